"""The job from Cloud Storage to Cloud Storage, against gcp-storage-emulator
started on loopback by the test (``tests.conftest.gcs``): no credentials,
no network. ``test_runners`` compares its tables with a local run's."""

import json

from tests.conftest import BUCKET, SEEDS, portable_tables, run_in_new_process


EXTRA_ENTITY = {"id": "org/unprecedented-level", "label": "ORG", "canonical": "مستوى غير مسبوق", "aliases": []}


def test_gs_to_gs_publishes_whole_and_reruns_to_the_same_objects(gcs):
    gcs.pipe(f"{BUCKET}/config/gazetteer.json", json.dumps({"entities": [EXTRA_ENTITY]}).encode("utf-8"))
    arguments = ["--input", f"gs://{BUCKET}/in", "--output", f"gs://{BUCKET}/out",
                 "--manifest", f"gs://{BUCKET}/in/manifest.jsonl", "--gazetteer", f"gs://{BUCKET}/config/gazetteer.json"]
    report = run_in_new_process(arguments)
    assert report["balanced"] and report["articles_written"] == len(list(SEEDS.glob("*.txt")))
    first = portable_tables(f"gs://{BUCKET}/out", f"gs://{BUCKET}/in/")
    assert EXTRA_ENTITY["id"] in {row["entity_id"] for row in first["entities"]}
    assert {row["date_from"] for row in first["articles"]} == {"manifest"}
    first_objects = sorted(gcs.find(f"{BUCKET}/out"))
    assert f"{BUCKET}/out/_run_report.json" in first_objects
    assert not [name for name in first_objects if "/_staging/" in name]

    run_in_new_process(arguments)
    assert portable_tables(f"gs://{BUCKET}/out", f"gs://{BUCKET}/in/") == first
    assert sorted(gcs.find(f"{BUCKET}/out")) == first_objects
