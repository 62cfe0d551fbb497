"""Wall time and peak memory of a command and every process it starts
(the job, its pool workers, the forkserver): the resident set sizes of the
whole process tree, summed and sampled twice a second. A sum of RSS counts
pages that forked processes share once per process, so it is an upper
bound of what the tree needs."""

import os
import subprocess
import threading
import time

_SAMPLE_SECONDS = 0.5


def _children():
    """``pid -> [child pids]`` of every process on the machine."""
    tree = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(parent, []).append(int(entry))
    return tree


def _rss_bytes(pid):
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss_bytes(root):
    """The summed RSS of ``root`` and all its descendants now."""
    tree, total, stack = _children(), 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss_bytes(pid)
        stack.extend(tree.get(pid, ()))
    return total


def run_measured(command, **kwargs):
    """``(seconds, peak_tree_mb, completed_process)`` of ``command``."""
    started = time.perf_counter()
    process = subprocess.Popen(command, **kwargs)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.wait(_SAMPLE_SECONDS):
            peak[0] = max(peak[0], tree_rss_bytes(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    completed = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    return seconds, peak[0] / 2**20, completed


def machine_speed_seconds(loops=10_000_000):
    """Seconds one core takes to add up ``loops`` integers in pure Python:
    the same code ran 1.7 times slower on one VM of this kind than on
    another, so each figure goes out with this reference."""
    started = time.perf_counter()
    total = 0
    for number in range(loops):
        total += number
    return time.perf_counter() - started
