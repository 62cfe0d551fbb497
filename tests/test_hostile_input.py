"""Hostile input generated afresh on every run (``tests.hostile``): no case
crashes, each ends as articles or rejects with a known reason, and nothing
is written outside the output folder. A failure prints its seed:
``python -m tests.hostile --seed S --cases N`` replays it."""

import os
import pathlib
import re
import time

import pyarrow.parquet as pq

import schemas
from pipelines.akhbar import run
from tests import hostile

CASES_PER_KIND = 100
FILES_PER_KIND = 20
_TABLES = "|".join(re.escape(folder) for folder in schemas.TABLE_FOLDERS.values())
PUBLISHED_FILE = re.compile(
    rf"^(?:{_TABLES})/date=(?:\d{{4}}-\d{{2}}-\d{{2}}|{schemas.NULL_PARTITION})"
    rf"/source=(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?|{schemas.NULL_PARTITION})/part-00000\.parquet$"
    r"|^_run_report\.json$"
)


def test_a_thousand_generated_hostile_files_each_end_as_articles_or_rejects(capsys):
    seed, count = time.time_ns(), CASES_PER_KIND * len(hostile.KINDS)
    kinds, outcomes, failures = hostile.campaign(seed, count)
    with capsys.disabled():
        print(f"\nfuzz: {sum(kinds.values())} generated cases (seed {seed}): "
              + ", ".join(f"{name} {n}" for name, n in outcomes.most_common()))
    assert sum(kinds.values()) == count and set(kinds) == {kind.__name__ for kind in hostile.KINDS}
    assert not failures, f"seed {seed}: {failures[:5]}"
    assert outcomes["article"] and len(outcomes) > 5  # the corpus reaches past the first check


def _files_under(folder):
    return sorted(str(path.relative_to(folder)) for path in pathlib.Path(folder).rglob("*") if path.is_file())


def test_the_job_over_hostile_files_accounts_for_each_and_writes_only_under_its_output(tmp_path):
    seed = time.time_ns()
    inputs, output, spill = tmp_path / "in", tmp_path / "out", tmp_path / "spill"
    spill.mkdir()
    for case in hostile.hostile_cases(seed, FILES_PER_KIND * len(hostile.KINDS)):
        path = inputs / case.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(case.data)
    written = {str(path) for path in inputs.iterdir()}
    not_utf8 = os.fsencode(inputs) + b"/\xff\xfe-latin1-\xe9.txt"  # a name no UTF-8 text spells
    with open(not_utf8, "wb") as handle:
        handle.write("عنوان\nنص".encode("utf-8"))
    written.add(not_utf8.decode("utf-8", "backslashreplace"))

    report = run(["--input", str(inputs), "--output", str(output), "--spill_dir", str(spill), "--processes", "1",
                  "--max_file_bytes", str(hostile.MAX_FILE_BYTES), "--max_record_bytes", str(hostile.MAX_RECORD_BYTES)])

    assert report["balanced"], f"seed {seed}"
    assert report["files_matched"] == len(written)
    accounted = set()
    for table in ("articles", "rejects"):
        for part in (output / table).rglob("*.parquet"):
            accounted |= set(pq.read_table(part, columns=["input_path"])["input_path"].to_pylist())
    assert accounted == written, f"seed {seed}: unaccounted {sorted(written - accounted)[:5]}"
    assert set(report["rejects_by_reason"]) <= set(hostile.rejects.REASONS)
    assert sorted(path for path in _files_under(tmp_path) if not path.startswith(("in/", "out/"))) == []
    strays = [path for path in _files_under(output) if not PUBLISHED_FILE.match(path)]
    assert strays == [], f"seed {seed}"
