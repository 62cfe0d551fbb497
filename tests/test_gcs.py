"""The job from Cloud Storage to Cloud Storage, against gcp-storage-emulator
started on loopback by the test: no credentials, no network."""

import os
import socket

import pytest

from pipelines.akhbar import run
from tests.conftest import SEEDS, portable_tables

BUCKET = "news"


@pytest.fixture(scope="module")
def gcs():
    """A gcsfs file system on a fresh in-memory emulator holding the seeds
    under ``gs://news/in``."""
    settings = {"GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false", "NO_GCE_CHECK": "true", "FSSPEC_GCS_TOKEN": "anon"}
    from gcp_storage_emulator.server import create_server

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = create_server("127.0.0.1", port, in_memory=True)
    server.start()
    saved = {name: os.environ.get(name) for name in [*settings, "STORAGE_EMULATOR_HOST"]}
    os.environ.update(settings, STORAGE_EMULATOR_HOST=f"http://127.0.0.1:{port}")
    import fsspec

    fsspec.config.conf["gcs"] = {"token": "anon"}  # this process read FSSPEC_GCS_TOKEN before it was set

    fs = fsspec.filesystem("gs", skip_instance_cache=True)
    fs.mkdir(BUCKET)
    fs.put(str(SEEDS), f"{BUCKET}/in", recursive=True)
    try:
        yield fs
    finally:
        fsspec.filesystem("gs").clear_instance_cache()
        fsspec.config.conf.pop("gcs", None)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()


def test_gs_to_gs_gives_the_local_tables_and_reruns_cleanly(gcs, tmp_path):
    run(["--input", f"gs://{BUCKET}/in", "--output", f"gs://{BUCKET}/out"])
    on_gcs = portable_tables(f"gs://{BUCKET}/out", f"gs://{BUCKET}/in/")
    run(["--input", str(SEEDS), "--output", str(tmp_path / "out")])
    local = portable_tables(str(tmp_path / "out"), f"{SEEDS}/")
    assert on_gcs == local
    assert len(on_gcs["articles"]) == len(list(SEEDS.glob("*.txt"))) and on_gcs["entities"]

    first_files = sorted(gcs.find(f"{BUCKET}/out"))
    run(["--input", f"gs://{BUCKET}/in", "--output", f"gs://{BUCKET}/out"])
    assert portable_tables(f"gs://{BUCKET}/out", f"gs://{BUCKET}/in/") == on_gcs
    assert sorted(gcs.find(f"{BUCKET}/out")) == first_files
    assert not gcs.exists(f"{BUCKET}/out/_staging") and gcs.exists(f"{BUCKET}/out/_run_report.json")
