"""Last stage: write every table as ``date=YYYY-MM-DD/source=<slug>/`` Parquet
partitions, to staging first, and publish them only after all are written.

A run owns the (date, source) partitions it writes: publishing replaces those
partitions in every table (articles, entities, rejects) and leaves all other
partitions alone. A run that fails before the publish step leaves the
previous output untouched; its staging folder is removed by the next run
that publishes.
"""

import datetime as dt
import posixpath
import time
import uuid

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq

import schemas
from transforms import files
from transforms.report import REPORT_NAME, build_report, write_report

STAGING_FOLDER = "_staging"
ARTICLE_UPDATES = "article_updates"
DEFAULT_ROWS_PER_FILE = 200_000


def new_run_id():
    """Time-ordered and unique, so staging folders of concurrent runs never meet."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]


def partition_key(row):
    """``(date_text_or_None, source_slug_or_None)`` of a row."""
    date = row.get("date")
    if isinstance(date, dt.date):
        date = date.isoformat()
    return date, row.get("source")


def keyed_by_partition(element, table):
    """``(partition, (table, rows))`` of an element that is a row, or a list
    of rows of one article (stages send an article's entity mentions or
    removed paragraphs together: one element instead of dozens)."""
    rows = element if isinstance(element, list) else [element]
    return partition_key(rows[0]), (table, rows)


def partition_path(table, key):
    """``table/date=.../source=...`` with NULL spelled the Hive way."""
    date, source = key
    return posixpath.join(
        table,
        f"date={date or schemas.NULL_PARTITION}",
        f"source={source or schemas.NULL_PARTITION}",
    )


def _sort_value(value):
    return (value is not None, value if value is not None else 0)


def sorted_rows(table, rows):
    """Rows in a fixed order, so reruns write identical files."""
    keys = schemas.SORT_KEYS[table]
    return sorted(rows, key=lambda row: tuple(_sort_value(row.get(k)) for k in keys))


def write_parquet(fs, path, rows, schema):
    """One zstd-compressed Parquet file with column statistics."""
    buffer = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), buffer, compression="zstd", write_statistics=True)
    fs.makedirs(posixpath.dirname(path), exist_ok=True)
    fs.pipe_file(path, buffer.getvalue().to_pybytes())


def apply_article_updates(articles, updates):
    """Article rows with later stages' updates laid over them by
    ``article_id`` (the updates' ``date`` and ``source`` only place them in
    the partition)."""
    by_id = {}
    for update in updates:
        fields = by_id.setdefault(update["article_id"], {})
        fields.update((k, v) for k, v in update.items() if k not in ("date", "source"))
    return [{**row, **by_id[row["article_id"]]} if row["article_id"] in by_id else row for row in articles]


def write_partition(fs, staging, key, rows_by_table, rows_per_file=DEFAULT_ROWS_PER_FILE):
    """Write one partition of each table that has rows in it under the
    ``staging`` path of file system ``fs``; returns the partition's
    descriptor for the publish step."""
    counts = {}
    for table, schema in schemas.TABLES.items():
        rows = sorted_rows(table, rows_by_table.get(table, []))
        counts[table] = len(rows)
        folder = posixpath.join(staging, partition_path(table, key))
        for number, start in enumerate(range(0, len(rows), rows_per_file)):
            path = posixpath.join(folder, part_name(number))
            write_parquet(fs, path, rows[start:start + rows_per_file], schema)
    reasons = {}
    for row in rows_by_table.get("rejects", []):
        reasons[row["reason"]] = reasons.get(row["reason"], 0) + 1
    return {"date": key[0], "source": key[1], "rows": counts, "reject_reasons": reasons}


def part_name(number):
    return f"part-{number:05d}.parquet"


class WritePartitionFn(beam.DoFn):
    """One grouped partition in, its staged files written, a descriptor out."""

    def __init__(self, staging, rows_per_file):
        self.staging = staging
        self.rows_per_file = rows_per_file

    def setup(self):
        self.fs, self.staging_path = files.filesystem(self.staging)

    def process(self, keyed_rows):
        key, tagged_rows = keyed_rows
        rows_by_table = {}
        for table, rows in tagged_rows:
            rows_by_table.setdefault(table, []).extend(rows)
        rows_by_table["articles"] = apply_article_updates(
            rows_by_table.get("articles", []), rows_by_table.pop(ARTICLE_UPDATES, [])
        )
        yield write_partition(self.fs, self.staging_path, key, rows_by_table, self.rows_per_file)


def stage_empty_tables(fs, staging, descriptors):
    """Give each table that got no rows in this run one empty file, in the
    run's first partition, so every table stays readable with its schema."""
    if not descriptors:
        return
    first = min(descriptors, key=lambda d: (d["date"] or "", d["source"] or ""))
    key = (first["date"], first["source"])
    for table, schema in schemas.TABLES.items():
        if not any(d["rows"][table] for d in descriptors):
            write_parquet(fs, posixpath.join(staging, partition_path(table, key), part_name(0)), [], schema)


def publish_partitions(output, staging, descriptors):
    """Swap each staged partition into place, in every table.

    The old partition folder is moved aside before the new one moves in, so
    no reader ever sees old and new rows together; a table with no rows in
    the partition loses its old folder and gets no new one.
    """
    fs, output_path = files.filesystem(output)
    staging_path = files.filesystem(staging)[1]
    stage_empty_tables(fs, staging_path, descriptors)
    trash = posixpath.join(staging_path, "_replaced")
    for descriptor in descriptors:
        key = (descriptor["date"], descriptor["source"])
        for table in schemas.TABLES:
            relative = partition_path(table, key)
            staged = posixpath.join(staging_path, relative)
            final = posixpath.join(output_path, relative)
            if fs.exists(final):
                old = posixpath.join(trash, relative)
                fs.makedirs(posixpath.dirname(old), exist_ok=True)
                fs.mv(final, old, recursive=True)
            if fs.exists(staged):
                fs.makedirs(posixpath.dirname(final), exist_ok=True)
                fs.mv(staged, final, recursive=True)


def remove_staging(output):
    """Delete the staging folder: this run's, and any a failed run left.
    (Two runs must not write to one output at the same time.)"""
    fs, path = files.filesystem(files.join_url(output, STAGING_FOLDER))
    if fs.exists(path):
        fs.rm(path, recursive=True)


class UnbalancedRun(RuntimeError):
    """Records went missing between reading and writing: nothing is
    published, so the previous output stays as it was."""

    def __init__(self, report, report_url):
        super().__init__(
            f"count in != out + rejects: {report['records_parsed']} records parsed + {report['read_rejects']} "
            f"files rejected at reading, but {report['articles_written']} articles + {report['rejects_total']} "
            f"rejects written. Nothing was published; the run's report is {report_url}"
        )


class PublishFn(beam.DoFn):
    """Runs once, after every partition is staged (the side inputs are the
    barrier): checks that count in = out + rejects, publishes the
    partitions, writes the run report, removes staging. A run that does not
    balance fails and publishes nothing."""

    def __init__(self, output, staging, run_info):
        self.output = output
        self.staging = staging
        self.run_info = run_info

    def process(self, _, descriptors, counts):
        report = build_report(self.run_info, descriptors, counts, finished_at=time.time())
        if not report["balanced"]:
            write_report(self.staging, report)
            raise UnbalancedRun(report, files.join_url(self.staging, REPORT_NAME))
        publish_partitions(self.output, self.staging, descriptors)
        write_report(self.output, report)
        remove_staging(self.output)
        yield report


class WriteTables(beam.PTransform):
    """Rows of every table in (a dict ``table -> PCollection`` of rows, or of
    lists of rows of one article), published partitions and a run report out.

    The dict may also hold ``ARTICLE_UPDATES``: rows with ``article_id``,
    ``date``, ``source`` and columns to lay over that article's row.

    ``counts`` is a PCollection of ``(name, number)`` pairs for the report.
    """

    def __init__(self, output, run_info, rows_per_file=DEFAULT_ROWS_PER_FILE):
        super().__init__()
        self.output = output.rstrip("/")
        self.run_info = run_info
        self.rows_per_file = rows_per_file
        self.staging = files.join_url(self.output, STAGING_FOLDER, run_info["run_id"])

    def expand(self, tables_and_counts):
        tables, counts = tables_and_counts
        keyed = [
            rows | f"Key{table.title()}" >> beam.Map(keyed_by_partition, table)
            for table, rows in tables.items()
        ]
        descriptors = (
            keyed
            | "AllTables" >> beam.Flatten()
            | "GroupByPartition" >> beam.GroupByKey()
            | "WriteStaged" >> beam.ParDo(WritePartitionFn(self.staging, self.rows_per_file))
        )
        pipeline = descriptors.pipeline
        return (
            pipeline
            | "Once" >> beam.Create([None])
            | "Publish" >> beam.ParDo(
                PublishFn(self.output, self.staging, self.run_info),
                descriptors=beam.pvalue.AsList(descriptors),
                counts=beam.pvalue.AsDict(counts),
            )
        )
