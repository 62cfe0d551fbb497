"""Named points where a test kills the job outright, to prove that no kill
leaves the output half-written or lets a rerun differ.

``AKHBAR_KILL_AT=<point>`` (or ``<point>:<n>``, the n-th time it is reached
in one process) sends SIGKILL to the job's process group there: the test
starts the job in a session of its own. Unset, a point costs one lookup.
"""

import os
import signal

KILL_AT = "AKHBAR_KILL_AT"
_times_reached = {}


def reached(point):
    wanted = os.environ.get(KILL_AT)
    if not wanted:
        return
    name, _, times = wanted.partition(":")
    if name == point:
        _times_reached[point] = _times_reached.get(point, 0) + 1
        if _times_reached[point] >= int(times or 1):
            os.killpg(os.getpgrp(), signal.SIGKILL)
