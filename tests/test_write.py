import datetime as dt
import json

import apache_beam as beam
import fsspec
import pyarrow as pa
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

import schemas
from tests.conftest import read_table
from transforms.spill import loaded
from transforms.syndication import singleton
from transforms.write import (
    COMMIT_NAME,
    STAGING_FOLDER,
    WriteTables,
    commit_publish,
    finish_interrupted_publishes,
    laid_over,
    partition_key,
    partition_path,
    partitioned_tables,
    publish_partitions,
    remove_staging,
    sorted_table,
    table_from_ipc,
    write_partition,
)


def article(article_id, date="2024-06-19", source="aawsat", text="نص"):
    return {
        "article_id": article_id, "url": None, "title": "عنوان", "text": text, "source_name": source,
        "source_from": "record", "date_from": "record", "url_from": "unknown", "published_at": None,
        "record_id": None, "input_path": f"/in/{article_id}.txt", "record_index": 0, "input_format": "txt",
        "encoding": "utf-8", "char_count": len(text), "paragraph_count": 1, "removed_paragraph_count": 0,
        **singleton(article_id), "wire_paragraph_count": 0, "wire_article_ids": [], "date": date, "source": source,
    }


def reject(path, reason="empty_file", date=None, source=None):
    return {"input_path": path, "record_index": None, "reason": reason, "detail": "", "size_bytes": 0,
            "date": date, "source": source}


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_partition_path_spells_null_the_hive_way():
    assert partition_path("articles", ("2024-06-19", "aawsat")) == "articles/date=2024-06-19/source=aawsat"
    assert partition_path("rejects", (None, None)) == (
        f"rejects/date={schemas.NULL_PARTITION}/source={schemas.NULL_PARTITION}")


def as_table(table, rows):
    return pa.Table.from_pylist(rows, schema=schemas.TABLES[table])


def test_sorted_table_is_independent_of_arrival_order_with_nulls_first():
    rows = [reject("/b", "x"), reject("/a", "y"), {**reject("/a", "x"), "record_index": 2}, reject("/a", "x")]
    forward = sorted_table("rejects", as_table("rejects", rows))
    assert forward.equals(sorted_table("rejects", as_table("rejects", list(reversed(rows)))))
    assert [(r["input_path"], r["record_index"], r["reason"]) for r in forward.to_pylist()] == [
        ("/a", None, "x"), ("/a", None, "y"), ("/a", 2, "x"), ("/b", None, "x")]


def test_partitioned_tables_split_a_batch_by_partition_and_round_trip():
    batch = [article("a1"), [article("a2", "2024-07-04", "khabaryn"), article("a3")], article("a4", None, None)]
    parts = {key: (table, table_from_ipc(loaded(data))) for key, (table, data) in partitioned_tables(batch, "articles")}
    assert {key: [row["article_id"] for row in part.to_pylist()] for key, (_, part) in parts.items()} == {
        ("2024-06-19", "aawsat"): ["a1", "a3"], ("2024-07-04", "khabaryn"): ["a2"], (None, None): ["a4"]}
    assert all(table == "articles" and part.schema.equals(schemas.ARTICLES) for table, part in parts.values())


def stage_and_commit(output, partitions, run, rows_per_row_group=1000):
    """Stage and commit a run's partitions; returns its staging URL and descriptors."""
    staging = f"{output}/{STAGING_FOLDER}/{run}"
    fs = fsspec.filesystem("file")
    descriptors = [
        write_partition(fs, staging, key, {table: as_table(table, rows) for table, rows in tables.items()},
                        rows_per_row_group)
        for key, tables in partitions.items()
    ]
    commit_publish(staging, descriptors, {"run_id": run})
    return staging, descriptors


def stage_and_publish(output, partitions, run, rows_per_row_group=1000):
    staging, descriptors = stage_and_commit(output, partitions, run, rows_per_row_group)
    publish_partitions(str(output), staging, descriptors)
    remove_staging(str(output))
    return descriptors


def test_publish_replaces_only_the_partitions_a_run_writes(tmp_path):
    june, july = ("2024-06-19", "aawsat"), ("2024-07-04", "khabaryn")
    stage_and_publish(tmp_path, {
        june: {"articles": [article("a1"), article("a2"), article("a3")]},
        july: {"articles": [article("b1", *july)]},
    }, "run1")
    stale = tmp_path / "articles/date=2024-06-19/source=aawsat/part-00001.parquet"
    stale.write_bytes(b"an older layout's second file")

    stage_and_publish(tmp_path, {june: {"articles": [article("a1", text="نص جديد")]}}, "run2")
    assert read_table(tmp_path, "articles", "article_id, text, date::varchar, source") == [
        ("a1", "نص جديد", "2024-06-19", "aawsat"),
        ("b1", "نص", "2024-07-04", "khabaryn"),
    ]
    assert not stale.exists()


def test_a_partition_is_one_file_in_row_groups(tmp_path):
    import pyarrow.parquet as pq

    stage_and_publish(tmp_path, {("2024-06-19", "aawsat"): {"articles": [article(f"a{i}") for i in range(5)]}},
                      "run1", rows_per_row_group=2)
    assert files_under(tmp_path / "articles") == ["date=2024-06-19/source=aawsat/part-00000.parquet"]
    assert pq.ParquetFile(tmp_path / "articles/date=2024-06-19/source=aawsat/part-00000.parquet").num_row_groups == 3


def test_a_publish_cut_short_is_finished_by_the_next_run(tmp_path):
    """Killed after its commit, halfway through publishing: the next run
    finishes it before anything else, and repeating it changes nothing."""
    june, july = ("2024-06-19", "aawsat"), ("2024-07-04", "khabaryn")
    stage_and_publish(tmp_path, {june: {"articles": [article("a1")], "rejects": [reject("/x", "e", *june)]},
                                 july: {"articles": [article("b1", *july)]}}, "run1")
    staging, descriptors = stage_and_commit(tmp_path, {
        june: {"articles": [article("a1", text="جديد"), article("a2")]},
        july: {"articles": [article("b1", *july, text="جديد")]},
    }, "run2")
    publish_partitions(str(tmp_path), staging, descriptors[:1])  # the kill comes after the first partition
    finish_interrupted_publishes(str(tmp_path))
    expected = [("a1", "جديد"), ("a2", "نص"), ("b1", "جديد")]
    assert read_table(tmp_path, "articles", "article_id, text") == expected
    assert read_table(tmp_path, "rejects", "count(*)") == [(0,)]
    assert json.loads((tmp_path / "_run_report.json").read_text()) == {"run_id": "run2"}
    assert not (tmp_path / STAGING_FOLDER / "run2").exists()
    finish_interrupted_publishes(str(tmp_path))
    assert read_table(tmp_path, "articles", "article_id, text") == expected


def test_a_run_staged_but_not_committed_is_never_published(tmp_path):
    june = ("2024-06-19", "aawsat")
    stage_and_publish(tmp_path, {june: {"articles": [article("a1")]}}, "run1")
    stage_and_commit(tmp_path, {june: {"articles": [article("a1", text="جديد")]}}, "run2")
    (tmp_path / STAGING_FOLDER / "run2" / COMMIT_NAME).unlink()
    finish_interrupted_publishes(str(tmp_path))
    assert read_table(tmp_path, "articles", "article_id, text") == [("a1", "نص")]


def test_a_run_whose_staging_was_removed_commits_nothing(tmp_path):
    june = ("2024-06-19", "aawsat")
    staging = f"{tmp_path}/{STAGING_FOLDER}/run1"
    fs = fsspec.filesystem("file")
    descriptors = [write_partition(fs, staging, june, {"articles": as_table("articles", [article("a1")])})]
    (tmp_path / STAGING_FOLDER / "run1" / partition_path("articles", june) / "part-00000.parquet").unlink()
    with pytest.raises(RuntimeError, match="1 staged files are gone"):
        commit_publish(staging, descriptors, {"run_id": "run1"})
    assert not (tmp_path / STAGING_FOLDER / "run1" / COMMIT_NAME).exists()


def test_a_table_without_rows_is_still_readable(tmp_path):
    stage_and_publish(tmp_path, {
        ("2024-07-04", "b"): {"articles": [article("a2", "2024-07-04", "b")]},
        ("2024-06-19", "a"): {"articles": [article("a1", "2024-06-19", "a")]},
    }, "run1")
    assert read_table(tmp_path, "articles", "count(*)") == [(2,)]
    assert read_table(tmp_path, "entities", "count(*)") == [(0,)]
    assert read_table(tmp_path, "rejects", "count(*)") == [(0,)]
    assert files_under(tmp_path / "entities") == ["date=2024-06-19/source=a/part-00000.parquet"]


def test_a_partition_holds_only_tables_with_rows(tmp_path):
    stage_and_publish(tmp_path, {
        ("2024-06-19", "a"): {"articles": [article("a1", "2024-06-19", "a")]},
        (None, None): {"rejects": [reject("/x")]},
    }, "run1")
    assert files_under(tmp_path / "articles") == ["date=2024-06-19/source=a/part-00000.parquet"]
    assert read_table(tmp_path, "rejects", "input_path, date, source") == [("/x", None, None)]


def test_rerun_removes_rows_a_partition_no_longer_has(tmp_path):
    key = ("2024-06-19", "a")
    stage_and_publish(tmp_path, {key: {"articles": [article("a1", *key)], "rejects": [reject("/x", "e", *key)]}},
                      "run1")
    stage_and_publish(tmp_path, {key: {"articles": [article("a1", *key), article("a2", *key)]}}, "run2")
    assert read_table(tmp_path, "articles", "article_id") == [("a1",), ("a2",)]
    assert read_table(tmp_path, "rejects", "count(*)") == [(0,)]


def test_parquet_files_are_zstd_with_statistics(tmp_path):
    import pyarrow.parquet as pq

    stage_and_publish(tmp_path, {("2024-06-19", "aawsat"): {"articles": [article("a1"), article("a2")]}}, "r")
    meta = pq.ParquetFile(tmp_path / "articles/date=2024-06-19/source=aawsat/part-00000.parquet").metadata
    column = meta.row_group(0).column(0)
    assert column.compression == "ZSTD"
    assert column.statistics.has_min_max and column.statistics.min == "a1"
    assert pq.read_schema(tmp_path / "articles/date=2024-06-19/source=aawsat/part-00000.parquet").equals(
        schemas.ARTICLES)


def _fail(row):
    raise RuntimeError("stage failed")


def test_failed_run_leaves_previous_output_untouched(tmp_path):
    stage_and_publish(tmp_path, {("2024-06-19", "aawsat"): {"articles": [article("a1")]}}, "run1")
    before = {p: (tmp_path / p).read_bytes() for p in files_under(tmp_path)}
    run_info = {"run_id": "run2", "started_at": 0.0, "inputs": [], "output": str(tmp_path)}
    with pytest.raises(Exception, match="stage failed"):
        with TestPipeline() as p:
            good = p | "Good" >> beam.Create([article("a1", text="جديد")])
            bad = p | "Bad" >> beam.Create([article("a2")]) | beam.Map(_fail)
            articles = (good, bad) | beam.Flatten()
            empty = p | "NoRows" >> beam.Create([])
            counts = p | "Counts" >> beam.Create([("files_matched", 2)])
            ({"articles": articles, "entities": empty, "rejects": empty}, counts) | WriteTables(
                str(tmp_path), run_info)
    after = {p: (tmp_path / p).read_bytes() for p in files_under(tmp_path) if not p.startswith(STAGING_FOLDER)}
    assert after == before


def test_a_run_that_does_not_balance_fails_and_publishes_nothing(tmp_path):
    """Three records parsed but two articles reached the writer: the run
    fails with the figures, the previous output stays, the report is kept
    in staging."""
    stage_and_publish(tmp_path, {("2024-06-19", "aawsat"): {"articles": [article("a1")]}}, "run1")
    before = {p: (tmp_path / p).read_bytes() for p in files_under(tmp_path)}
    run_info = {"run_id": "run2", "started_at": 0.0, "inputs": [], "output": str(tmp_path)}
    with pytest.raises(Exception, match=r"count in != out \+ rejects: 3 records parsed .* 2 articles"):
        with TestPipeline() as p:
            articles = p | "Articles" >> beam.Create([article("a1", text="جديد"), article("a2")])
            empty = p | "NoRows" >> beam.Create([])
            counts = p | "Counts" >> beam.Create([("records_parsed", 3), ("read_rejects", 0)])
            ({"articles": articles, "entities": empty, "rejects": empty}, counts) | WriteTables(
                str(tmp_path), run_info)
    after = {p: (tmp_path / p).read_bytes() for p in files_under(tmp_path) if not p.startswith(STAGING_FOLDER)}
    assert after == before
    kept = json.loads((tmp_path / STAGING_FOLDER / "run2" / "_run_report.json").read_text())
    assert kept["articles_written"] == 2 and not kept["balanced"]


def test_write_tables_publishes_after_the_barrier_and_reports(tmp_path):
    run_info = {"run_id": "run1", "started_at": 0.0, "inputs": ["/in"], "output": str(tmp_path)}
    rows = [article("a1"), article("a2", "2024-07-04", "khabaryn"), article("a3", None, None)]
    with TestPipeline() as p:
        articles = p | "Articles" >> beam.Create(rows)
        rejected = p | "Rejects" >> beam.Create([reject("/bad", "binary_file"), reject("/e", "empty_file", "2024-06-19", "aawsat")])
        entities = p | "Entities" >> beam.Create([])
        counts = p | "Counts" >> beam.Create([("files_matched", 5), ("records_parsed", 3), ("read_rejects", 2)])
        report = ({"articles": articles, "entities": entities, "rejects": rejected}, counts) | WriteTables(
            str(tmp_path), run_info)
        assert_that(
            report | beam.Map(lambda r: (r["articles_written"], r["rejects_total"], r["rejects_by_reason"],
                                         r["partitions_written"], r["balanced"], r["files_matched"])),
            equal_to([(3, 2, {"binary_file": 1, "empty_file": 1}, 3, True, 5)]),
        )
    assert read_table(tmp_path, "articles", "article_id, date::varchar, source") == [
        ("a1", "2024-06-19", "aawsat"), ("a2", "2024-07-04", "khabaryn"), ("a3", None, None)]
    assert read_table(tmp_path, "rejects", "reason, date::varchar, source") == [
        ("binary_file", None, None), ("empty_file", "2024-06-19", "aawsat")]
    assert not (tmp_path / STAGING_FOLDER).exists()
    report = json.loads((tmp_path / "_run_report.json").read_text())
    assert report["rows_per_table"] == {"articles": 3, "entities": 0, "removed_paragraphs": 0, "shared_passages": 0,
                                      "rejects": 2}


def test_partition_key_accepts_date_objects_and_nulls():
    assert partition_key({"date": dt.date(2024, 6, 19), "source": "x"}) == ("2024-06-19", "x")
    assert partition_key({"date": None, "source": None}) == (None, None)


def test_article_updates_are_laid_over_their_article_only():
    articles = as_table("articles", [article("a"), article("b")])
    updates = [{"article_id": "a", "date": "ignored", "source": "ignored", "cluster_size": 3},
               {"article_id": "a", "date": "ignored", "wire_paragraph_count": 2, "wire_article_ids": ["b"]}]
    a, b = laid_over(articles, updates).to_pylist()
    assert (a["cluster_size"], a["wire_paragraph_count"], a["wire_article_ids"], a["title"]) == (3, 2, ["b"], "عنوان")
    assert b == articles.to_pylist()[1]
    assert laid_over(articles, []).equals(articles)
