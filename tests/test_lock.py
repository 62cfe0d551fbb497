"""One run at a time per output (``transforms.lock``): a second run waits or
fails naming the first, a dead run's lease is taken over, and two runs
started together leave the output as one run would."""

import json
import os
import pathlib
import socket
import subprocess
import sys
import threading
import time

import pytest

from pipelines.akhbar import run
from tests.conftest import BUCKET, SEEDS, published_digests
from transforms.lock import LOCK_NAME, OutputLease, OutputLocked, held_for_publish


def lease_file(output, **holder):
    record = {"run_id": "other", "host": socket.gethostname(), "pid": os.getpid(), "expires_at": time.time() + 60}
    record.update(holder)
    pathlib.Path(output).mkdir(parents=True, exist_ok=True)
    (pathlib.Path(output) / LOCK_NAME).write_text(json.dumps(record))


def test_a_run_on_a_held_output_fails_naming_the_holder_and_publishes_nothing(tmp_path):
    output = tmp_path / "out"
    with OutputLease(str(output), "first-run"):
        with pytest.raises(OutputLocked, match="held by run first-run .* --lock_wait_seconds"):
            run(["--input", str(SEEDS), "--output", str(output), "--processes", "1"])
    assert published_digests(output) == {} and not (output / LOCK_NAME).exists()


def test_a_run_waits_for_the_holder_to_finish(tmp_path):
    output = tmp_path / "out"
    lease = OutputLease(str(output), "first-run").__enter__()
    threading.Timer(1.0, lease.release).start()
    report = run(["--input", str(SEEDS), "--output", str(output), "--processes", "1", "--lock_wait_seconds", "60"])
    assert report["balanced"] and report["articles_written"] == 5
    assert not (output / LOCK_NAME).exists()


@pytest.mark.parametrize("holder, taken_over", [
    ({"pid": 2**22 + 1}, True),  # a process of this machine that is gone
    ({"host": "elsewhere", "pid": 1, "expires_at": time.time() - 1}, True),  # expired
    ({"host": "elsewhere", "pid": 1}, False),  # another machine's, still leased
    ({}, False),  # a live process of this machine
])
def test_a_dead_runs_lease_is_taken_over_a_live_ones_is_not(tmp_path, holder, taken_over):
    lease_file(tmp_path, **holder)
    lease = OutputLease(str(tmp_path), "new-run")
    if taken_over:
        with lease:
            assert lease.holder()["run_id"] == "new-run"
        assert not (tmp_path / LOCK_NAME).exists()
    else:
        with pytest.raises(OutputLocked, match="held by run other"):
            lease.acquire()
        assert lease.holder()["run_id"] == "other"


def test_the_lease_is_renewed_while_held_and_the_publish_holds_it_too(tmp_path):
    with OutputLease(str(tmp_path), "long-run", lease_seconds=0.3) as lease:
        first = lease.holder()["expires_at"]
        time.sleep(0.5)
        assert lease.holder()["expires_at"] > first
        with held_for_publish(str(tmp_path), "long-run"):
            assert lease.holder()["run_id"] == "long-run"
        with pytest.raises(OutputLocked):
            with held_for_publish(str(tmp_path), "another-run"):
                pass
    with held_for_publish(str(tmp_path), "remote-run"):  # no launcher's lease: the publish takes one
        assert OutputLease(str(tmp_path), "x").holder()["run_id"] == "remote-run"
    assert not (tmp_path / LOCK_NAME).exists()


def test_only_one_of_many_racing_acquirers_gets_the_lease(tmp_path):
    winners, barrier = [], threading.Barrier(8)

    def contend(run_id):
        barrier.wait()
        try:
            OutputLease(str(tmp_path), run_id).acquire()
            winners.append(run_id)
        except OutputLocked:
            pass

    threads = [threading.Thread(target=contend, args=(f"run-{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1 and json.loads((tmp_path / LOCK_NAME).read_text())["run_id"] == winners[0]


def test_two_runs_started_together_leave_the_output_as_one_run_does(tmp_path):
    alone = tmp_path / "alone"
    run(["--input", str(SEEDS), "--output", str(alone), "--processes", "1"])
    output = tmp_path / "out"
    command = [str(pathlib.Path(sys.executable).parent / "akhbar"), "--input", str(SEEDS), "--output", str(output),
               "--processes", "1"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(process.wait(), process.stderr.read()) for process in runs]
    failed = [stderr for code, stderr in results if code]
    assert len(failed) == 1 and "is held by run" in failed[0]
    assert published_digests(output) == published_digests(alone)
    assert not (output / LOCK_NAME).exists() and not (output / "_staging").exists()


def test_the_lease_on_cloud_storage(gcs):
    output = f"gs://{BUCKET}/leased"
    with OutputLease(output, "first-run") as lease:
        assert gcs.exists(f"{BUCKET}/leased/{LOCK_NAME}") and lease.holder()["run_id"] == "first-run"
        with pytest.raises(OutputLocked, match="held by run first-run"):
            OutputLease(output, "second-run").acquire()
    assert not gcs.exists(f"{BUCKET}/leased/{LOCK_NAME}")
    gcs.pipe(f"{BUCKET}/leased/{LOCK_NAME}", json.dumps(
        {"run_id": "dead-run", "host": "elsewhere", "pid": 1, "expires_at": time.time() - 1}).encode())
    with OutputLease(output, "second-run") as lease:
        assert lease.holder()["run_id"] == "second-run"
