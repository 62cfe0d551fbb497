"""The job from Cloud Storage to Cloud Storage through transient faults:
``tests.fault_proxy`` sits between gcsfs and the emulator and answers some
requests with 503, or closes the connection before passing them on, or
after the emulator did the work but before the client hears of it. gcsfs
retries; the run must end exactly as an undisturbed one does."""

import collections
import os

from tests.conftest import BUCKET, portable_tables, run_in_new_process
from tests.fault_proxy import FAULT_KINDS, FaultProxy, FaultSchedule
from transforms.write import PART_NAME

EVERY = 3
#: Each operation's faults, in order, on its 3rd, 6th ... request: reads,
#: writes, listings and the publish step's copies and deletes. Each fault
#: costs a retry's back-off of 1-2 s.
FAULT_PLAN = {
    "download": ["status_503", "drop_before_forward"],
    "list": ["drop_before_forward", "status_503"],
    "metadata": ["drop_after_forward"],
    "upload": ["drop_before_forward", "drop_after_forward"],
    "copy": ["drop_after_forward", "status_503"],
    "delete": ["drop_after_forward", "drop_before_forward"],
}
#: An older layout's file in partitions the run replaces: the publish step
#: deletes them first of all, so the third delete, faulted, is one of them.
STALE_NAME = "part-stale.parquet"


def objects(gcs, output):
    """Every object's name under an output folder, relative to it."""
    gcs.invalidate_cache()
    return sorted(name.removeprefix(f"{BUCKET}/{output}/") for name in gcs.find(f"{BUCKET}/{output}"))


def test_gs_to_gs_through_503s_and_dropped_connections_retries_to_the_undisturbed_tables(gcs, monkeypatch):
    clean = run_in_new_process(["--input", f"gs://{BUCKET}/in", "--output", f"gs://{BUCKET}/clean"])
    for part in sorted(gcs.glob(f"{BUCKET}/clean/articles/*/*/{PART_NAME}"))[:EVERY]:
        gcs.copy(part, part.replace("/clean/", "/faulty/").replace(PART_NAME, STALE_NAME))

    with (FaultProxy(os.environ["STORAGE_EMULATOR_HOST"], FaultSchedule(FAULT_PLAN, EVERY)) as proxy,
          monkeypatch.context() as patch):
        patch.setenv("STORAGE_EMULATOR_HOST", proxy.url)  # for the job's process
        faulty = run_in_new_process(["--input", f"gs://{BUCKET}/in", "--output", f"gs://{BUCKET}/faulty"])

    planned = collections.Counter((name, kind) for name, kinds in FAULT_PLAN.items() for kind in kinds)
    assert proxy.faults == planned, proxy.requests
    assert {kind for _, kind in proxy.faults} == set(FAULT_KINDS)
    assert [url for name, kind, _, url in proxy.injected
            if (name, kind) == ("delete", "drop_after_forward") and STALE_NAME in url]
    assert faulty["balanced"] and faulty["articles_written"] == clean["articles_written"] > 0
    assert portable_tables(f"gs://{BUCKET}/faulty", f"gs://{BUCKET}/in/") == portable_tables(
        f"gs://{BUCKET}/clean", f"gs://{BUCKET}/in/")
    assert objects(gcs, "faulty") == objects(gcs, "clean")  # no staging, lease or stale file left
