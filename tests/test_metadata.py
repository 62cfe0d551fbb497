import datetime as dt

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from tests.conftest import jsonl, write
from transforms.files import manifests_for
from transforms.metadata import LoadManifests, ResolveMetadata, manifest_entries, resolve


def raw(input_path="/in/a.txt", **fields):
    record = {
        "record_id": None, "url": None, "source_name": None, "published": None,
        "title": None, "text": "نص", "input_path": input_path, "record_index": 0,
    }
    record.update(fields)
    return record


def summary(record):
    return (record["source"], record["source_from"], record["date"], record["date_from"],
            record["url"], record["url_from"])


MANIFEST = {
    "path:/in/a.txt": {"source": "Manifest Source", "date": "2024-01-02", "url": "https://m.example/a"},
    "url:https://site.example/b": {"source": "By Url", "date": "2024-01-03", "url": "https://site.example/b"},
}


def test_record_fields_win_over_everything():
    record = raw(source_name="Al Jazeera", published="2024-06-19T10:00:00Z", url="https://aljazeera.net/x",
                 input_path="/in/source=other/date=2020-01-01/a.txt")
    out = resolve(record, MANIFEST)
    assert summary(out) == ("al-jazeera", "record", dt.date(2024, 6, 19), "record",
                            "https://aljazeera.net/x", "record")
    assert out["source_name"] == "Al Jazeera"
    assert out["published_at"] == dt.datetime(2024, 6, 19, 10, tzinfo=dt.timezone.utc)


def test_manifest_by_path_then_by_url():
    assert summary(resolve(raw(), MANIFEST)) == (
        "manifest-source", "manifest", dt.date(2024, 1, 2), "manifest", "https://m.example/a", "manifest")
    by_url = resolve(raw("/in/z.json", url="https://site.example/b/"), MANIFEST)
    assert summary(by_url) == ("by-url", "manifest", dt.date(2024, 1, 3), "manifest",
                               "https://site.example/b/", "record")


def test_path_then_url_host_then_text_then_unknown():
    hive = resolve(raw("/in/source=Aawsat/date=2024-06-19/a.txt"), {})
    assert summary(hive) == ("aawsat", "path", dt.date(2024, 6, 19), "path", None, "unknown")
    folders = resolve(raw("gs://b/alrai/2025/09/02/a.txt"), {})
    assert summary(folders) == ("alrai", "path", dt.date(2025, 9, 2), "path", None, "unknown")
    host = resolve(raw(url="https://www.aawsat.com/x", text="موسكو - ١٩ حزيران ٢٠٢٤"), {})
    assert summary(host) == ("aawsat-com", "url", dt.date(2024, 6, 19), "text",
                             "https://www.aawsat.com/x", "record")
    nothing = resolve(raw(text="اليوم 3 سبتمبر"), {})
    assert summary(nothing) == (None, "unknown", None, "unknown", None, "unknown")
    assert nothing["published_at"] is None


def test_unusable_record_values_fall_through():
    out = resolve(raw(source_name="../", published="not a date", input_path="/in/2024-05-06.txt"), MANIFEST)
    assert summary(out)[:4] == (None, "unknown", dt.date(2024, 5, 6), "path")


def test_path_traversal_in_source_is_neutralised():
    out = resolve(raw(source_name="../../../etc"), {})
    assert out["source"] == "etc"
    assert out["source_name"] == "../../../etc"


def test_manifest_jsonl_and_csv(tmp_path):
    write(tmp_path / "m.jsonl", jsonl(
        {"path": "sub/a.txt", "source": "S1", "date": "2024-01-02"},
        {"url": "https://x.example/b", "source": "S2"},
        {"file": "/abs/c.txt", "date": "2024-01-04", "url": None},
    ))
    write(tmp_path / "m.csv", "file,source,date,url\nd.txt,S4,2024-01-05,https://x.example/d\n")
    entries = dict(manifest_entries(str(tmp_path / "m.jsonl")))
    assert entries == {
        f"path:{tmp_path}/sub/a.txt": {"source": "S1", "date": "2024-01-02", "url": None},
        "url:https://x.example/b": {"source": "S2", "date": None, "url": "https://x.example/b"},
        "path:/abs/c.txt": {"source": None, "date": "2024-01-04", "url": None},
    }
    csv_entries = dict(manifest_entries(str(tmp_path / "m.csv")))
    entry = {"source": "S4", "date": "2024-01-05", "url": "https://x.example/d"}
    assert csv_entries == {f"path:{tmp_path}/d.txt": entry, "url:https://x.example/d": entry}


def test_broken_manifest_says_where(tmp_path):
    write(tmp_path / "m.jsonl", jsonl({"path": "a.txt"}) + "{oops\n")
    with pytest.raises(ValueError, match="m.jsonl line 2"):
        list(manifest_entries(str(tmp_path / "m.jsonl")))


def test_manifests_for_folder_and_explicit(tmp_path):
    write(tmp_path / "in" / "manifest.csv", "path,source\n")
    write(tmp_path / "other.jsonl", "")
    folder = str(tmp_path / "in")
    assert manifests_for([folder]) == ([f"{folder}/manifest.csv"], [f"{folder}/manifest.csv"])
    explicit = str(tmp_path / "other.jsonl")
    assert manifests_for([folder], explicit) == ([explicit], sorted([explicit, f"{folder}/manifest.csv"]))
    assert manifests_for([f"{folder}/*.txt"]) == ([], [])


def test_resolve_metadata_transform_joins_the_manifest(tmp_path):
    write(tmp_path / "manifest.jsonl", jsonl(
        {"path": "a.txt", "source": "Asharq Al-Awsat", "date": "2024-06-19"},
        {"path": "a.txt", "source": "Asharq Al-Awsat", "date": "2024-06-19"},
    ))
    records = [raw(f"{tmp_path}/a.txt"), raw(f"{tmp_path}/b.txt")]
    with TestPipeline() as p:
        manifest = p | LoadManifests([str(tmp_path / "a.txt")], str(tmp_path / "manifest.jsonl"))
        resolved = p | beam.Create(records) | ResolveMetadata(manifest)
        assert_that(
            resolved | beam.Map(summary),
            equal_to([
                ("asharq-al-awsat", "manifest", dt.date(2024, 6, 19), "manifest", None, "unknown"),
                (None, "unknown", None, "unknown", None, "unknown"),
            ]),
        )
