"""How far a run is: items and seconds per stage.

Each stage's DoFn counts what it hands on and the time it spends, twice:
as Beam metrics (summed over every worker by the runner, read into the run
report at the end) and in this process (printed every ``INTERVAL`` seconds
while the run goes on, so a long local run shows its progress; on a
cluster each worker logs its own).
"""

import contextlib
import sys
import threading
import time

from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput

NAMESPACE = "akhbar"
INTERVAL = 10.0
# The stages in the order they are printed, with the unit they count.
STAGES = {
    "read": "files",
    "parse": "records",
    "normalize": "articles",
    "boilerplate": "articles",
    "syndication": "articles",
    "entities": "articles",
    "write": "partitions",
}


class _Local:
    """The counts of this process's run and the thread that prints them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.finished = threading.Event()
        self.restart()

    def restart(self):
        """Counts from zero, for a new run of this process (``akhbar-walk``
        or a caller running several jobs in one process)."""
        self.stop()
        with self.lock:
            self.items = dict.fromkeys(STAGES, 0)
            self.seconds = dict.fromkeys(STAGES, 0.0)
            self.started = None
            self.finished = threading.Event()

    def stop(self):
        """The run has ended: its printing thread stops."""
        self.finished.set()

    def add(self, stage, items, seconds):
        with self.lock:
            self.items[stage] += items
            self.seconds[stage] += seconds
            if self.started is None:
                self.started = time.monotonic()
                threading.Thread(target=self._print_every_interval, args=(self.finished,),
                                 name="akhbar-progress", daemon=True).start()

    def line(self):
        with self.lock:
            elapsed = time.monotonic() - self.started
            shown = [f"{stage} {self.items[stage]:,} {unit}" for stage, unit in STAGES.items() if self.items[stage]]
            annotated = self.items["entities"]
        return f"akhbar progress {elapsed:6.0f} s: " + " | ".join(shown) + f" ({annotated / elapsed:,.0f} articles/s annotated)"

    def _print_every_interval(self, finished):
        while not finished.wait(INTERVAL):
            print(self.line(), file=sys.stderr, flush=True)


LOCAL = _Local()


@contextlib.contextmanager
def printed_while_running():
    """This process's counts from zero, printed every ``INTERVAL`` seconds
    until the run ends (before, the printing went on after it)."""
    LOCAL.restart()
    try:
        yield
    finally:
        LOCAL.stop()


def _one(_):
    return 1


def main_output(output):
    """1 for an output to a DoFn's main output, 0 for a tagged one."""
    return not isinstance(output, TaggedOutput)


def batch_size(output):
    """The items of a batch sent to a DoFn's main output, 0 for a tagged one."""
    return len(output) if main_output(output) else 0


def nothing(_):
    """For a step whose items its stage counts elsewhere."""
    return 0


class StageMeter:
    """A stage's counters. ``each`` passes the stage's outputs on, timing
    only the making of them (a fused runner runs the next stages inside
    each ``yield``) and counting them."""

    def __init__(self, stage):
        self.stage = stage
        self._items = Metrics.counter(NAMESPACE, f"{stage}.items")
        self._milliseconds = Metrics.counter(NAMESPACE, f"{stage}.milliseconds")

    def each(self, outputs, counted=_one):
        items, seconds = 0, 0.0
        started = time.perf_counter()
        for output in outputs:
            seconds += time.perf_counter() - started
            items += counted(output)
            yield output
            started = time.perf_counter()
        self.add(items, seconds + time.perf_counter() - started)

    def add(self, items, seconds):
        self._items.inc(items)
        self._milliseconds.inc(round(seconds * 1000))
        LOCAL.add(self.stage, items, seconds)


def stage_figures(metrics_result):
    """``{stage: {"items": n, "seconds": s}}`` from a pipeline result's
    metrics (committed values, summed over workers)."""
    figures = {stage: {"items": 0, "seconds": 0.0} for stage in STAGES}
    for counter in metrics_result.query()["counters"]:
        if counter.key.metric.namespace != NAMESPACE:
            continue
        stage, _, kind = counter.key.metric.name.partition(".")
        if stage in figures:
            value = counter.committed or 0
            if kind == "items":
                figures[stage]["items"] += value
            else:
                figures[stage]["seconds"] += value / 1000
    return figures
