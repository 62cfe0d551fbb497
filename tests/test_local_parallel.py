"""The recommended local run (a pool of worker processes, waiting data
spilled to disk) gives every article, every time, exactly what one process
gives: the race the DirectRunner's multi_processing mode had cannot lose
data here unnoticed."""

import duckdb
import pytest

from benchmarks.scale_corpus import write_scale_corpus
from pipelines.akhbar import run
from tests.conftest import published_digests
from transforms import spill as spill_module

TABLES = {
    "articles": "article_id, title, text, cluster_id, cluster_size, is_canonical, duplicate_of, "
                "wire_paragraph_count, wire_article_ids, entities, date, source",
    "entities": "article_id, mention, label, start_char, end_char, canonical, entity_id, date, source",
    "removed_paragraphs": "article_id, paragraph_index, paragraph, reason, date, source",
}


def tables(output):
    """Every row of every table, in one order."""
    return {table: duckdb.sql(f"select {columns} from read_parquet('{output}/{table}/**/*.parquet', "
                              f"hive_partitioning = true) order by all").fetchall()
            for table, columns in TABLES.items()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("feeds")
    return write_scale_corpus(folder, 600)


@pytest.fixture(scope="module")
def alone(corpus, tmp_path_factory):
    """One process, waiting data spilled to a folder of the test's own:
    the output, the report, the folder and whether each value was spilled."""
    spilled = []
    original = spill_module.stored

    def counted(payload):
        reference = original(payload)
        spilled.append(reference[:1] == b"\1")
        return reference

    spill = tmp_path_factory.mktemp("spill")
    output = tmp_path_factory.mktemp("alone") / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(spill_module, "stored", counted)
        report = run(["--input", str(corpus), "--output", str(output), "--spill_dir", str(spill), "--processes", "1"])
    return output, report, spill, spilled


def test_the_pool_gives_what_one_process_gives_every_time(corpus, alone, tmp_path):
    output, report, _, _ = alone
    assert report["articles_written"] == 600 and report["balanced"]
    expected = tables(output)
    assert expected["articles"] and expected["entities"] and expected["removed_paragraphs"]
    assert any(row[4] > 1 for row in expected["articles"])  # the corpus has copies
    for attempt in range(3):
        output = tmp_path / f"pooled{attempt}"
        report = run(["--input", str(corpus), "--output", str(output), "--processes", "2"])
        assert report["articles_written"] == 600 and report["balanced"]
        assert tables(output) == expected
        assert published_digests(output) == published_digests(alone[0])  # byte for byte


def test_spill_files_are_used_and_removed(alone):
    _, report, spill, spilled = alone
    assert report["balanced"] and list(spill.iterdir()) == []
    assert sum(spilled) > 0  # batches and features waited on disk
    assert report["stages"]["entities"]["items"] == 600 and report["stages"]["write"]["items"] > 0
