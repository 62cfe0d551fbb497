"""Stage 2: resolve each article's source, date and URL, saying where each
came from.

Precedence, first found wins:

* source: the record's own field, the manifest, the path (``source=X/`` or
  ``X/YYYY/MM/DD/``), the host of the article's URL, else unknown;
* date: the record's own field, the manifest, the path (``date=YYYY-MM-DD/``,
  ``YYYY/MM/DD/``, a date in the file name), a full date written in the
  text, else unknown;
* url: the record's own field, the manifest, else unknown.

Unknown values stay NULL (provenance ``unknown``).
"""

import csv
import io
import json

import apache_beam as beam

from transforms import files
from transforms.dates import date_from_path, date_from_text, parse_date_value
from transforms.sources import slugify_source, source_from_path, source_from_url

RECORD, MANIFEST, PATH, URL, TEXT, UNKNOWN = "record", "manifest", "path", "url", "text", "unknown"

# Column names a manifest may use for the file it describes and its fields.
MANIFEST_PATH_COLUMNS = ("path", "file", "filename", "file_name", "input_path")
MANIFEST_FIELDS = ("source", "date", "url")


def manifest_entries(manifest_url):
    """``(key, entry)`` pairs of a CSV or JSONL manifest.

    A row names a file (``path``, relative to the manifest's folder, or an
    absolute path or URL) and/or an article ``url``; each becomes a key. The
    entry holds the row's ``source``, ``date`` and ``url``.
    """
    with files.open_input(manifest_url) as handle:
        text = handle.read().decode("utf-8-sig")
    if manifest_url.lower().endswith(".csv"):
        rows = list(csv.DictReader(io.StringIO(text)))
    else:
        rows = [_manifest_line(manifest_url, number, line) for number, line in enumerate(text.splitlines(), 1)
                if line.strip()]
    folder = files.parent_url(manifest_url)
    for row in rows:
        row = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
        entry = {field: (str(row[field]).strip() or None) if row.get(field) else None for field in MANIFEST_FIELDS}
        path = next((row[c] for c in MANIFEST_PATH_COLUMNS if row.get(c)), None)
        if path:
            yield manifest_key_for_path(folder, str(path).strip()), entry
        if entry["url"]:
            yield manifest_key_for_url(entry["url"]), entry


def _manifest_line(manifest_url, number, line):
    """A manifest is configuration: a broken one stops the run, saying where."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"manifest {manifest_url} line {number}: {error}") from None
    if not isinstance(row, dict):
        raise ValueError(f"manifest {manifest_url} line {number}: not a JSON object")
    return row


def manifest_key_for_path(folder, path):
    """The key a manifest path is stored under: the file's full URL."""
    if "://" in path or path.startswith("/"):
        return "path:" + path
    return "path:" + files.join_url(folder, path)


def manifest_key_for_url(url):
    return "url:" + url.strip().rstrip("/")


def resolve(record, manifest):
    """The record with ``source``, ``source_name``, ``date``, ``published_at``
    and ``url`` resolved, plus ``*_from`` provenance columns."""
    entry = manifest.get("path:" + record["input_path"])
    if entry is None and record.get("url"):
        entry = manifest.get(manifest_key_for_url(record["url"]))
    entry = entry or {}
    out = dict(record)

    url, url_from = _first([(record.get("url"), RECORD), (entry.get("url"), MANIFEST)])
    out["url"], out["url_from"] = url, url_from

    source_name, source_from = _first(
        [
            (record.get("source_name"), RECORD),
            (entry.get("source"), MANIFEST),
            (source_from_path(record["input_path"]), PATH),
            (source_from_url(url), URL),
        ],
        accept=slugify_source,
    )
    out["source_name"], out["source_from"] = source_name, source_from
    out["source"] = slugify_source(source_name)

    published_at = None
    date, date_from = None, UNKNOWN
    for value, origin in ((record.get("published"), RECORD), (entry.get("date"), MANIFEST)):
        parsed = parse_date_value(value)
        if parsed:
            (date, published_at), date_from = parsed, origin
            break
    if date is None:
        date, date_from = _first(
            [
                (date_from_path(record["input_path"]), PATH),
                (date_from_text(record.get("text") or ""), TEXT),
            ]
        )
    out["date"], out["date_from"], out["published_at"] = date, date_from, published_at
    return out


def _first(candidates, accept=bool):
    for value, origin in candidates:
        if value is not None and accept(value):
            return value, origin
    return None, UNKNOWN


class LoadManifests(beam.PTransform):
    """Manifest rows keyed by file path and by URL, for a dict side input:
    of ``--manifest``, or else of the inputs' own folder manifests, found
    when the job runs (a launcher never reads the data)."""

    def __init__(self, inputs, explicit=None):
        super().__init__()
        self.inputs = list(inputs)
        self.explicit = explicit

    def expand(self, pipeline):
        return (
            pipeline
            | "Once" >> beam.Create([None])
            | "ManifestFiles" >> beam.FlatMap(lambda _: files.manifests_for(self.inputs, self.explicit)[0])
            | "ManifestRows" >> beam.FlatMap(manifest_entries)
            | "FirstRowPerKey" >> beam.CombinePerKey(_first_entry)
        )


def _first_entry(entries):
    """One deterministic entry when a manifest repeats a key."""
    return min(entries, key=lambda e: json.dumps(e, sort_keys=True), default=None)


class ResolveMetadata(beam.PTransform):
    """Records in, records with source, date and URL resolved out."""

    def __init__(self, manifest):
        super().__init__()
        self.manifest = manifest

    def expand(self, records):
        return records | "Resolve" >> beam.Map(resolve, manifest=beam.pvalue.AsDict(self.manifest))


OUTSIDE = "outside"


def split_by_date_range(record, start, end):
    """The record, or tagged ``OUTSIDE`` when a range is given and its date
    is not in it (undated records are in no range)."""
    if start is None and end is None:
        yield record
        return
    date = record.get("date")
    if date is not None and (start is None or date >= start) and (end is None or date <= end):
        yield record
    else:
        yield beam.pvalue.TaggedOutput(OUTSIDE, record)


class KeepDateRange(beam.PTransform):
    """Resolved records in; ``(in_range, outside)`` out: the records dated
    from ``start`` to ``end`` (``datetime.date``, inclusive, either None for
    no bound), and the others, which this run leaves to another."""

    def __init__(self, start=None, end=None):
        super().__init__()
        self.start = start
        self.end = end

    def expand(self, records):
        split = records | "ByDate" >> beam.FlatMap(split_by_date_range, self.start, self.end).with_outputs(
            OUTSIDE, main="kept")
        return split.kept, split[OUTSIDE]
