import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.report import CountEach, build_report, format_report

RUN = {"run_id": "r1", "started_at": 100.0, "inputs": ["in"], "output": "out"}
DESCRIPTORS = [
    {"date": "2024-06-19", "source": "a", "rows": {"articles": 3, "entities": 0, "rejects": 1},
     "reject_reasons": {"missing_text": 1}},
    {"date": None, "source": None, "rows": {"articles": 0, "entities": 0, "rejects": 2},
     "reject_reasons": {"binary_file": 1, "missing_text": 1}},
    # an earlier run's partition whose articles this run's copies changed: not this run's output
    {"date": "2024-06-18", "source": "a", "rows": {"articles": 7, "pairs": 2}, "reject_reasons": {},
     "replaces": ["articles", "pairs"]},
]


def test_count_each_counts_every_collection_even_empty_ones():
    with TestPipeline() as p:
        counts = {
            "three": p | "Three" >> beam.Create([1, 2, 3]),
            "none": p | "None" >> beam.Create([]),
        } | CountEach()
        assert_that(counts, equal_to([("three", 3), ("none", 0)]))


def test_build_report_sums_partitions_and_checks_the_balance():
    counts = {"files_matched": 4, "records_parsed": 5, "read_rejects": 1}
    report = build_report(RUN, DESCRIPTORS, counts, finished_at=102.0)
    assert report["articles_written"] == 3
    assert report["rejects_by_reason"] == {"binary_file": 1, "missing_text": 2}
    assert report["rows_per_table"] == {"articles": 3, "entities": 0, "removed_paragraphs": 0, "shared_passages": 0, "rejects": 3}
    assert report["partitions_written"] == 2 and report["earlier_partitions_updated"] == 1
    assert report["elapsed_seconds"] == 2.0 and report["articles_per_second"] == 1.5
    assert report["balanced"]  # 5 parsed + 1 file reject == 3 articles + 3 rejects
    unbalanced = build_report(RUN, DESCRIPTORS, {**counts, "records_parsed": 6}, finished_at=102.0)
    assert not unbalanced["balanced"]


def test_format_report_shows_every_figure():
    report = build_report(RUN, DESCRIPTORS, {"files_matched": 4, "records_parsed": 5, "read_rejects": 1}, 102.0)
    text = format_report(report)
    for label in ("files matched", "articles written", "binary_file", "missing_text", "rows in entities",
                  "elapsed seconds", "articles per second"):
        assert label in text
    assert [line.split()[-1] for line in text.splitlines() if line.startswith("count in = out + rejects")] == ["yes"]
    assert [line.split()[-1] for line in text.splitlines() if line.startswith("earlier partitions updated")] == ["1"]
