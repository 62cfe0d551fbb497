"""The seeds give the same tables wherever the job runs: one local process,
two, Cloud Storage (the emulator) and the portable runner that Flink and
Spark use, with its SDK workers in a separate worker pool."""

import logging
import os
import pathlib
import socket
import subprocess
import sys
import time

import pytest

from pipelines.akhbar import run
from tests.conftest import BUCKET, SEEDS, free_port, portable_tables, run_in_new_process


@pytest.fixture
def worker_pool():
    """``host:port`` of an SDK worker pool started as Flink's or Spark's
    workers would start it, with this project's virtualenv first on PATH."""
    port = free_port()
    environment = dict(os.environ, PATH=f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    pool = subprocess.Popen([sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main",
                             f"--service_port={port}"], env=environment)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert pool.poll() is None and time.monotonic() < deadline, "the worker pool did not start"
                time.sleep(0.2)
        yield f"localhost:{port}"
    finally:
        pool.kill()
        pool.wait()


def test_the_same_tables_on_every_runner(gcs, worker_pool, tmp_path, caplog):
    seeds = ["--input", str(SEEDS)]
    caplog.set_level(logging.INFO)
    run([*seeds, "--output", str(tmp_path / "one"), "--processes", "1"])
    # Where Beam's DirectRunner can download Prism it runs there: a local run must not.
    assert not [record for record in caplog.records if "Prism" in record.getMessage()]
    expected = portable_tables(str(tmp_path / "one"), f"{SEEDS}/")
    assert expected["articles"] and expected["entities"] and expected["removed_paragraphs"]

    run([*seeds, "--output", str(tmp_path / "two"), "--processes", "2"])
    assert portable_tables(str(tmp_path / "two"), f"{SEEDS}/") == expected

    run_in_new_process(["--input", f"gs://{BUCKET}/in", "--output", f"gs://{BUCKET}/runners"])
    assert portable_tables(f"gs://{BUCKET}/runners", f"gs://{BUCKET}/in/") == expected

    run([*seeds, "--output", str(tmp_path / "portable"), "--runner=PortableRunner", "--job_endpoint=embed",
         "--environment_type=EXTERNAL", f"--environment_config={worker_pool}"])
    assert portable_tables(str(tmp_path / "portable"), f"{SEEDS}/") == expected
