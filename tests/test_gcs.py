"""The job from Cloud Storage to Cloud Storage, against gcp-storage-emulator
started on loopback by the test (``tests.conftest.gcs``): no credentials,
no network. ``test_runners`` compares its tables with a local run's."""

import datetime as dt
import json

from benchmarks import synthetic
from benchmarks.scale_corpus import write_scale_corpus
from pipelines.akhbar import run
from tests.conftest import BUCKET, SAME_CLEANING, SEEDS, portable_tables, run_in_new_process


EXTRA_ENTITY = {"id": "org/unprecedented-level", "label": "ORG", "canonical": "مستوى غير مسبوق", "aliases": []}
EXTRA_CHROME = "وقال يوري أوشاكوف"  # opens a paragraph of a seed: a user's pattern makes it chrome


def test_gs_to_gs_with_every_file_option_on_gs_publishes_whole_and_reruns_to_the_same_objects(gcs):
    gcs.pipe(f"{BUCKET}/config/gazetteer.json", json.dumps({"entities": [EXTRA_ENTITY]}).encode("utf-8"))
    gcs.pipe(f"{BUCKET}/config/patterns.json", json.dumps({"line_patterns": [f"^{EXTRA_CHROME}"]}).encode("utf-8"))
    arguments = ["--input", f"gs://{BUCKET}/in", "--output", f"gs://{BUCKET}/out",
                 "--manifest", f"gs://{BUCKET}/in/manifest.jsonl", "--gazetteer", f"gs://{BUCKET}/config/gazetteer.json",
                 "--boilerplate_patterns", f"gs://{BUCKET}/config/patterns.json"]
    report = run_in_new_process(arguments)
    assert report["balanced"] and report["articles_written"] == len(list(SEEDS.glob("*.txt")))
    first = portable_tables(f"gs://{BUCKET}/out", f"gs://{BUCKET}/in/")
    assert EXTRA_ENTITY["id"] in {row["entity_id"] for row in first["entities"]}
    assert [row for row in first["removed_paragraphs"] if row["paragraph"].startswith(EXTRA_CHROME)]
    assert {row["date_from"] for row in first["articles"]} == {"manifest"}
    first_objects = sorted(gcs.find(f"{BUCKET}/out"))
    assert f"{BUCKET}/out/_run_report.json" in first_objects
    assert not [name for name in first_objects if "/_staging/" in name]

    run_in_new_process(arguments)
    assert portable_tables(f"gs://{BUCKET}/out", f"gs://{BUCKET}/in/") == first
    assert sorted(gcs.find(f"{BUCKET}/out")) == first_objects


def clusters_and_links(tables):
    """Which articles are copies of which and which share wire paragraphs,
    without the canonical article: ties between articles of one day go to
    the smaller article id, a hash of the path, which differs between a
    local and a gs:// copy of one corpus."""
    clusters = {}
    for row in tables["articles"]:
        clusters.setdefault(row["cluster_id"], set()).add(row["article_id"])
    links = {(row["article_id"], tuple(sorted(row["wire_article_ids"] or []))) for row in tables["articles"]}
    return sorted(sorted(members) for members in clusters.values()), sorted(links)


def test_runs_day_by_day_on_cloud_storage_find_copies_of_earlier_runs(gcs, tmp_path):
    """Each run finds copies of the runs before it through the signatures
    they left under gs://.../_syndication, and rewrites their articles."""
    corpus = write_scale_corpus(tmp_path / "feeds", 48, articles_per_day=24)  # copies up to 2 days later
    gcs.put(str(corpus), f"{BUCKET}/daily/in", recursive=True)
    local = tmp_path / "one"
    run(["--input", str(corpus), "--output", str(local), *SAME_CLEANING])
    one_run = clusters_and_links(portable_tables(str(local), f"{corpus}/"))
    assert len(one_run[0]) < 44  # copies are clustered

    first, last = synthetic.FIRST_DAY, synthetic.FIRST_DAY + dt.timedelta(days=3)
    summary = run_in_new_process(
        ["--start_date", first.isoformat(), "--end_date", last.isoformat(), "--days_per_run", "2",
         "--input", f"gs://{BUCKET}/daily/in/*/*-{{date}}.jsonl", "--output", f"gs://{BUCKET}/daily/out",
         *SAME_CLEANING], command="akhbar-walk")
    assert summary["balanced"] and summary["articles_written"] == 48
    assert [run["earlier_partitions_updated"] > 0 for run in summary["runs"]] == [False, True]
    assert gcs.find(f"{BUCKET}/daily/out/_syndication")
    assert clusters_and_links(portable_tables(f"gs://{BUCKET}/daily/out", f"gs://{BUCKET}/daily/in/")) == one_run
