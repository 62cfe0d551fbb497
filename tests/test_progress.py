import threading
import time

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline

from transforms import progress
from transforms.progress import StageMeter, main_output, stage_figures
from transforms.report import format_report


def test_each_counts_main_outputs_and_times_only_their_making():
    meter = StageMeter("normalize")
    before = progress.LOCAL.items["normalize"], progress.LOCAL.seconds["normalize"]

    def outputs():
        time.sleep(0.05)
        yield "a"
        yield beam.pvalue.TaggedOutput("rejects", "r")
        yield "b"

    for _ in meter.each(outputs(), counted=main_output):
        time.sleep(0.1)  # downstream work, run inside the yield by a fused runner
    items = progress.LOCAL.items["normalize"] - before[0]
    seconds = progress.LOCAL.seconds["normalize"] - before[1]
    assert items == 2
    assert 0.05 <= seconds < 0.1


class _Counted(beam.DoFn):
    def setup(self):
        self.meter = StageMeter("entities")

    def process(self, batch):
        yield from self.meter.each(batch)


def test_stage_figures_sum_what_every_bundle_counted():
    pipeline = TestPipeline()
    _ = pipeline | beam.Create([[1, 2, 3], [4, 5]]) | beam.ParDo(_Counted())
    figures = stage_figures(pipeline.run().metrics())
    assert figures["entities"]["items"] == 5
    assert figures["read"] == {"items": 0, "seconds": 0.0}


def test_progress_line_and_report_show_each_stage():
    progress.LOCAL.add("read", 3, 0.5)
    assert "read" in progress.LOCAL.line() and "articles/s annotated" in progress.LOCAL.line()
    report = {"run_id": "r", "output": "o", "files_matched": 1, "records_parsed": 1, "articles_written": 1,
              "rejects_total": 0, "rejects_by_reason": {}, "rows_per_table": {}, "partitions_written": 1,
              "elapsed_seconds": 1.0, "articles_per_second": 1.0, "balanced": True,
              "stages": {"read": {"items": 7, "seconds": 1.25}, "write": {"items": 0, "seconds": 0.0}}}
    text = format_report(report)
    assert "  read" in text and "1.2" in text and "  write" not in text


def test_each_run_counts_from_zero_and_stops_printing_when_it_ends(monkeypatch):
    monkeypatch.setattr(progress, "INTERVAL", 0.02)
    lines = []
    monkeypatch.setattr(progress.LOCAL, "line", lambda: lines.append("line") or "line")
    with progress.printed_while_running():
        progress.LOCAL.add("read", 3, 0.5)
        time.sleep(0.2)
    assert lines
    printing = [thread for thread in threading.enumerate() if thread.name == "akhbar-progress"]
    for thread in printing:
        thread.join(timeout=1)
    assert not [thread for thread in printing if thread.is_alive()]
    printed = len(lines)
    time.sleep(0.1)
    assert len(lines) == printed
    with progress.printed_while_running():
        assert progress.LOCAL.items["read"] == 0
