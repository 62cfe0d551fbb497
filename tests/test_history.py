"""A corpus published in several runs, walking its dates, gives what one run
over all of it gives: the same clusters and wire links, down to the last
column, because each run finds copies of earlier runs' articles through the
signatures they left, and rewrites the earlier articles its copies change."""

import datetime as dt
import json
import shutil

import duckdb
import pytest

from benchmarks.scale_corpus import write_scale_corpus
from pipelines.akhbar import run
from pipelines.walk import walk, windows
from tests.conftest import SAME_CLEANING
from transforms import history

TABLES = {
    "articles": "*",
    "entities": "*",
    "removed_paragraphs": "*",
}
DAYS = [f"2024-01-0{day}" for day in range(1, 7)]  # 4 days of stories, copies up to 2 days later


def tables(output):
    return {table: duckdb.sql(f"select {columns} from read_parquet('{output}/{table}/**/*.parquet', "
                              f"hive_partitioning = true) order by all").fetchall()
            for table, columns in TABLES.items()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_scale_corpus(tmp_path_factory.mktemp("feeds"), 480, articles_per_day=120)


@pytest.fixture(scope="module")
def one_run(corpus, tmp_path_factory):
    output = tmp_path_factory.mktemp("one") / "out"
    report = run(["--input", str(corpus), "--output", str(output), *SAME_CLEANING])
    assert report["articles_written"] == 480 and report["balanced"]
    return output, tables(output)


def walked(corpus, output, first, last, days_per_run=1):
    return walk(["--start_date", first, "--end_date", last, "--days_per_run", str(days_per_run),
                 "--input", f"{corpus}/*/*-{{date}}.jsonl", "--output", str(output), *SAME_CLEANING])


def test_the_corpus_has_clusters_across_days(one_run):
    output, _ = one_run
    (across,) = duckdb.sql(f"""select count(*) from (
        select cluster_id from read_parquet('{output}/articles/**/*.parquet', hive_partitioning = true)
        group by cluster_id having count(distinct date) > 1)""").fetchall()[0]
    assert across > 10


@pytest.fixture(scope="module")
def day_by_day(corpus, tmp_path_factory):
    """The corpus published by a walk, one run a day: its output and reports."""
    output = tmp_path_factory.mktemp("walked") / "out"
    return output, walked(corpus, output, DAYS[0], DAYS[-1])


def test_a_walk_day_by_day_gives_what_one_run_gives(day_by_day, one_run):
    output, reports = day_by_day
    assert sum(report["articles_written"] for report in reports) == 480
    assert all(report["balanced"] and not report["outside_date_range"] for report in reports)
    assert reports[0]["earlier_partitions_updated"] == 0
    assert all(report["earlier_partitions_updated"] > 0 for report in reports[1:])  # copies of earlier days
    summary = json.loads((output / "_walk_report.json").read_text())
    assert (summary["articles_written"], len(summary["runs"]), summary["balanced"]) == (480, len(DAYS), True)
    assert summary["stages"]["syndication"]["items"] == 480
    assert tables(output) == one_run[1]


def test_a_rerun_of_any_window_changes_nothing(corpus, day_by_day, one_run, tmp_path):
    output = tmp_path / "rerun"
    shutil.copytree(day_by_day[0], output)
    walked(corpus, output, DAYS[1], DAYS[3], days_per_run=3)  # a window across earlier runs, again
    walked(corpus, output, DAYS[-1], DAYS[-1])  # the last day, again (a retried daily run)
    assert tables(output) == one_run[1]


def test_a_date_range_publishes_its_days_and_counts_the_rest(corpus, tmp_path):
    output = tmp_path / "range"
    report = run(["--input", str(corpus), "--output", str(output), "--start_date", DAYS[1],
                  "--end_date", DAYS[2], *SAME_CLEANING])
    assert report["articles_written"] and report["outside_date_range"] and report["balanced"]
    assert report["articles_written"] + report["outside_date_range"] == 480
    dates = duckdb.sql(f"select distinct date::varchar from read_parquet('{output}/articles/**/*.parquet', "
                       f"hive_partitioning = true) order by 1").fetchall()
    assert dates == [(DAYS[1],), (DAYS[2],)]


def test_windows_cover_the_range_in_order():
    day = dt.date.fromisoformat
    assert list(windows(day("2024-01-30"), day("2024-02-03"), 2)) == [
        (day("2024-01-30"), day("2024-01-31")), (day("2024-02-01"), day("2024-02-02")),
        (day("2024-02-03"), day("2024-02-03"))]


def test_a_run_compares_with_the_stored_partitions_near_its_own_days():
    days = history.owned_days([(("2024-03-10", "a"), None), (("2024-03-20", "b"), None)])
    owned = {("2024-03-10", "a"): None, ("2024-03-20", "b"): None}
    near = [key for key in (("2024-03-10", "a"), ("2024-03-10", "c"), ("2024-02-09", "c"), ("2024-02-08", "c"),
                            ("2024-04-19", "c"), ("2024-04-20", "c"), (None, "c"))
            if history.comparable(key, owned, days, 30)]
    assert near == [("2024-03-10", "c"), ("2024-02-09", "c"), ("2024-04-19", "c")]
    assert history.comparable(("2020-01-01", "c"), owned, days, 0)
