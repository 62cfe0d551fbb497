"""Local parallelism: a stage's work on a batch runs in a pool of worker
processes, several batches at once.

Beam's DirectRunner gives no safe way to use a second core here: its
multi_processing mode lost a run of one worker's output now and then (see
the README), and its multi_threading mode is held by the GIL and grew past
24 GB on 20,000 articles. So each heavy step is a plain function over a
batch (``work(batch, *args) -> [outputs]``) that ``PooledFn`` runs inline
(``processes=1``: what a cluster runner wants, it has its own workers) or in
a shared pool of ``processes`` processes, keeping up to two batches per
process in flight. Outputs keep the order of their batches.
"""

import atexit
import collections
import concurrent.futures
import multiprocessing
import os
import threading
import time

import apache_beam as beam
from apache_beam.transforms.window import GlobalWindows

from transforms.progress import StageMeter, main_output
from transforms.spill import SPILL_DIR

_IN_FLIGHT_PER_PROCESS = 2
_POOLS = {}
_POOLS_LOCK = threading.Lock()


def default_processes():
    """Every core of this machine (what ``--processes 0`` means locally)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _shut_down_pools():
    for pool in _POOLS.values():
        pool.shutdown(cancel_futures=True)


atexit.register(_shut_down_pools)


def shared_pool(processes):
    """One pool per process and size, shared by every stage: the runner runs
    one stage at a time, so a stage never waits for another's batches. The
    workers are forked from a clean server process (``forkserver``), not
    from this one and its runner threads."""
    with _POOLS_LOCK:
        if processes not in _POOLS:
            context = multiprocessing.get_context("forkserver")
            _POOLS[processes] = concurrent.futures.ProcessPoolExecutor(processes, mp_context=context)
        return _POOLS[processes]


def _windowed(output):
    """An output made outside ``process`` (in ``finish_bundle``): in the
    global window, as all of this job's data is."""
    if isinstance(output, beam.pvalue.TaggedOutput):
        return beam.pvalue.TaggedOutput(output.tag, GlobalWindows.windowed_value(output.value))
    return GlobalWindows.windowed_value(output)


def _timed(spill_dir, work, element, *args):
    """``(seconds, outputs)`` of ``work``, measured where it runs, with the
    calling process's spill folder (a pool outlives runs)."""
    if spill_dir:
        os.environ[SPILL_DIR] = spill_dir
    else:
        os.environ.pop(SPILL_DIR, None)
    started = time.perf_counter()
    outputs = work(element, *args)
    return time.perf_counter() - started, outputs


class PooledFn(beam.DoFn):
    """Runs ``work(element, *args, *side_inputs)`` (a module-level function
    returning a list of outputs, tagged ones as ``TaggedOutput``) on each
    element, in the shared pool when ``processes > 1``; counts
    ``counted(output)`` of its outputs (or ``counted_input(element)`` of
    its input, when given) and its time for ``stage``."""

    def __init__(self, stage, work, *args, counted=main_output, counted_input=None, processes=1):
        self.stage = stage
        self.work = work
        self.args = args
        self.counted = counted
        self.counted_input = counted_input
        self.processes = processes

    def setup(self):
        self.meter = StageMeter(self.stage)
        self.pool = shared_pool(self.processes) if self.processes > 1 else None

    def start_bundle(self):
        self.pending = collections.deque()

    def process(self, element, *side_inputs):
        count = self.counted_input(element) if self.counted_input else None
        if self.pool is None:
            yield from self._metered(count, _timed(os.environ.get(SPILL_DIR), self.work, element, *self.args, *side_inputs))
            return
        self.pending.append((count, self.pool.submit(
            _timed, os.environ.get(SPILL_DIR), self.work, element, *self.args, *side_inputs)))
        while len(self.pending) > _IN_FLIGHT_PER_PROCESS * self.processes or (
                self.pending and self.pending[0][1].done()):
            yield from self._finished(self.pending.popleft())

    def finish_bundle(self):
        while self.pending:
            for output in self._finished(self.pending.popleft()):
                yield _windowed(output)

    def _finished(self, pending):
        count, future = pending
        return self._metered(count, future.result())

    def _metered(self, count, timed):
        seconds, outputs = timed
        self.meter.add(sum(self.counted(output) for output in outputs) if count is None else count, seconds)
        return outputs
