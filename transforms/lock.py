"""One run at a time per output folder: a lease in ``<output>/_lock.json``.

Two runs publishing to one output would delete each other's staging and
interleave their partitions. A run takes the lease before it starts and
renews it while it runs; a second run waits for it (``--lock_wait_seconds``)
or fails at once, naming the holder. A lease whose holder died is taken
over: at once when the holder ran on this machine and its process is gone,
else once it expires (``--lock_lease_seconds`` after its last renewal).

The lease file appears whole or not at all and is created only if absent:
on a local disk by a hard link of a written side file, on Cloud Storage by an
upload with ``ifGenerationMatch=0``; elsewhere by a check before the write.
"""

import contextlib
import json
import os
import posixpath
import socket
import threading
import time
import uuid

from transforms import files

LOCK_NAME = "_lock.json"
DEFAULT_LEASE_SECONDS = 300
DEFAULT_WAIT_SECONDS = 0
_POLL_SECONDS = 1.0


class OutputLocked(RuntimeError):
    """Another live run holds the output."""

    def __init__(self, url, holder, waited):
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(holder.get("expires_at", 0)))
        super().__init__(
            f"{url} is held by run {holder.get('run_id')} (host {holder.get('host')}, pid {holder.get('pid')}, "
            f"lease until {expires} unless renewed); waited {waited:.0f} s. Two runs must not write one output at "
            "the same time: wait for it, or raise --lock_wait_seconds. If that run is dead on another machine, "
            f"its lease ends by itself at that time; delete {url} only if you are sure."
        )


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def is_stale(holder, now=None):
    """Whether a lease's holder is gone: past its expiry, or a process of
    this machine that no longer exists."""
    now = time.time() if now is None else now
    if now > holder.get("expires_at", 0):
        return True
    return holder.get("host") == socket.gethostname() and not _process_alive(holder.get("pid", -1))


class OutputLease:
    """``with OutputLease(output, run_id):`` holds the output for the block;
    raises ``OutputLocked`` when another live run holds it past the wait."""

    def __init__(self, output, run_id, lease_seconds=DEFAULT_LEASE_SECONDS, wait_seconds=DEFAULT_WAIT_SECONDS):
        self.url = files.join_url(output, LOCK_NAME)
        self.run_id = run_id
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds
        self.fs, self.path = files.filesystem(self.url)
        self._stop = threading.Event()
        self._renewer = None

    def _record(self):
        now = time.time()
        return {"run_id": self.run_id, "host": socket.gethostname(), "pid": os.getpid(),
                "renewed_at": now, "expires_at": now + self.lease_seconds}

    def holder(self):
        """The lease's record, or None when there is none (or it is unreadable)."""
        try:
            return json.loads(self.fs.cat_file(self.path))
        except FileNotFoundError:
            return None
        except ValueError:  # an older, broken file: its holder cannot be known
            return {"run_id": None, "expires_at": 0}

    def _create(self):
        """Write our record if there is no lease file; whether we did."""
        data = json.dumps(self._record()).encode("utf-8")
        self.fs.makedirs(posixpath.dirname(self.path), exist_ok=True)
        protocol = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        try:
            if protocol in ("file", "local"):
                side = f"{self.path}.{uuid.uuid4().hex}"
                self.fs.pipe_file(side, data)
                try:
                    os.link(side, self.path)
                finally:
                    os.unlink(side)
            elif protocol in ("gs", "gcs"):
                self.fs.pipe_file(self.path, data, mode="create")
            elif self.fs.exists(self.path):
                return False
            else:
                self.fs.pipe_file(self.path, data)
        except FileExistsError:
            return False
        return (self.holder() or {}).get("run_id") == self.run_id

    def acquire(self):
        started = time.monotonic()
        while True:
            holder = self.holder()
            if holder is not None and holder.get("run_id") != self.run_id and is_stale(holder):
                self._remove()
                holder = None
            if holder is None and self._create():
                return
            if holder is not None and holder.get("run_id") == self.run_id:
                return
            waited = time.monotonic() - started
            if waited >= self.wait_seconds:
                raise OutputLocked(self.url, holder or self.holder() or {}, waited)
            time.sleep(min(_POLL_SECONDS, self.wait_seconds - waited))

    def _remove(self):
        try:
            self.fs.rm_file(self.path)
        except FileNotFoundError:
            pass

    def _renew(self):
        while not self._stop.wait(self.lease_seconds / 3):
            if (self.holder() or {}).get("run_id") == self.run_id:
                files.write_whole(self.url, json.dumps(self._record()).encode("utf-8"))

    def release(self):
        self._stop.set()
        if self._renewer:
            self._renewer.join()
        if (self.holder() or {}).get("run_id") == self.run_id:
            self._remove()

    def __enter__(self):
        self.acquire()
        self._renewer = threading.Thread(target=self._renew, name="akhbar-lease", daemon=True)
        self._renewer.start()
        return self

    def __exit__(self, *exc_info):
        self.release()
        return False


@contextlib.contextmanager
def held_for_publish(output, run_id):
    """The publish step's hold on the output: the run's own lease where its
    launcher holds one, else one taken for the publish (a launcher that does
    not wait for its job holds none). Raises ``OutputLocked`` when another
    live run holds the output."""
    lease = OutputLease(output, run_id)
    if (lease.holder() or {}).get("run_id") == run_id:
        yield
        return
    with lease:
        yield
