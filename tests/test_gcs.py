"""The job from Cloud Storage to Cloud Storage, against gcp-storage-emulator
started on loopback by the test (``tests.conftest.gcs``): no credentials,
no network. ``test_runners`` compares its tables with a local run's."""

from pipelines.akhbar import run
from tests.conftest import BUCKET, SEEDS, portable_tables


def test_gs_to_gs_publishes_whole_and_reruns_to_the_same_objects(gcs):
    arguments = ["--input", f"gs://{BUCKET}/in", "--output", f"gs://{BUCKET}/out"]
    report = run(arguments)
    assert report["balanced"] and report["articles_written"] == len(list(SEEDS.glob("*.txt")))
    first = portable_tables(f"gs://{BUCKET}/out", f"gs://{BUCKET}/in/")
    first_objects = sorted(gcs.find(f"{BUCKET}/out"))
    assert f"{BUCKET}/out/_run_report.json" in first_objects
    assert not [name for name in first_objects if "/_staging/" in name]

    run(arguments)
    assert portable_tables(f"gs://{BUCKET}/out", f"gs://{BUCKET}/in/") == first
    assert sorted(gcs.find(f"{BUCKET}/out")) == first_objects
