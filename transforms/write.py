"""Last stage: write every table as ``date=YYYY-MM-DD/source=<slug>/`` Parquet
partitions, to staging first, and publish them only after all are written.

A run owns the (date, source) partitions it writes: publishing replaces those
partitions in every table (articles, entities, rejects) and leaves all other
partitions alone. Each table's partition is one file, so replacing it is one
step a reader cannot see halfway, on a local disk (a rename) and on an
object store (an object is replaced whole). Publishing starts with a commit
record in staging: a run that fails before it leaves the previous output
untouched; one killed after it is finished by the next run.
"""

import datetime as dt
import json
import posixpath
import time
import uuid

import apache_beam as beam
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import schemas
from transforms import files, killpoints
from transforms.lock import held_for_publish
from transforms.pool import PooledFn
from transforms.progress import nothing
from transforms.report import REPORT_NAME, build_report, write_report
from transforms.spill import loaded, stored_each

STAGING_FOLDER = "_staging"
ARTICLE_UPDATES = "article_updates"
READY_PARTS = "ready_parts"  # parts built by an earlier stage: (partition, (table, stored_each reference))
#: A partition with rows of these tables is this run's; any other partition
#: it touches is an earlier run's, where only the tables it sends change.
OWNING_TABLES = ("articles", "entities", "removed_paragraphs", "rejects", "signatures")
DEFAULT_ROWS_PER_ROW_GROUP = 100_000
PART_NAME = "part-00000.parquet"  # the one file of a table's partition
COMMIT_NAME = "_commit.json"
ROWS_PER_PART = 2000  # rows turned into Arrow tables at a time


def new_run_id():
    """Time-ordered and unique, so staging folders of concurrent runs never meet."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]


def _update_part(update):
    """An article update as its partition's part: few, so kept as a dict."""
    return partition_key(update), (ARTICLE_UPDATES, [update])


def partition_key(row):
    """``(date_text_or_None, source_slug_or_None)`` of a row."""
    date = row.get("date")
    if isinstance(date, dt.date):
        date = date.isoformat()
    return date, row.get("source")


def rows_in(element):
    """How many rows an element holds: a row, or a list of rows."""
    return len(element) if isinstance(element, list) else 1


def partitioned_tables(batch, table):
    """A batch of one table's rows (each element a row, or a list of rows)
    as one Arrow table per partition, for the shuffle: ``[(partition,
    (table, ipc_bytes))]``, as ``spill.stored_each`` references on a local
    run (one file per batch, however small each partition's part). Compact,
    columnar bytes cost the runner far less to hold and move than a dict
    per row."""
    by_partition = {}
    for element in batch:
        for row in element if isinstance(element, list) else [element]:
            by_partition.setdefault(partition_key(row), []).append(row)
    schema = schemas.TABLES[table]
    keys = list(by_partition)
    parts = stored_each([ipc_bytes(pa.Table.from_pylist(by_partition[key], schema=schema)) for key in keys])
    return [(key, (table, part)) for key, part in zip(keys, parts)]


_IPC_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4")


def ipc_bytes(table):
    """An Arrow table as one LZ4-compressed IPC stream."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=_IPC_OPTIONS) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def table_from_ipc(data):
    return pa.ipc.open_stream(data).read_all()


def partition_path(table, key):
    """``<table's folder>/date=.../source=...`` with NULL spelled the Hive way."""
    date, source = key
    return posixpath.join(
        schemas.TABLE_FOLDERS[table],
        f"date={date or schemas.NULL_PARTITION}",
        f"source={source or schemas.NULL_PARTITION}",
    )


def partition_of_folders(date_folder, source_folder):
    """The partition key that ``partition_path`` spells as these two folders."""
    values = [folder.split("=", 1)[1] for folder in (date_folder, source_folder)]
    return tuple(None if value == schemas.NULL_PARTITION else value for value in values)


def table_files(output, relative):
    """The Parquet files of one published partition folder (none when absent)."""
    fs, folder = files.filesystem(files.join_url(output, relative))
    return [files.full_url(fs, path) for path in sorted(fs.glob(posixpath.join(folder, "*.parquet")))]


def sorted_table(table, rows):
    """``rows`` (an Arrow table of ``table``) in a fixed order, NULLs first,
    so reruns write identical files."""
    order = pc.sort_indices(rows, sort_keys=[(key, "ascending", "at_start") for key in schemas.SORT_KEYS[table]])
    return rows.take(order)


def write_parquet(fs, path, rows, rows_per_row_group=DEFAULT_ROWS_PER_ROW_GROUP):
    """One zstd-compressed Parquet file with column statistics."""
    buffer = pa.BufferOutputStream()
    pq.write_table(rows, buffer, compression="zstd", write_statistics=True, row_group_size=rows_per_row_group)
    fs.makedirs(posixpath.dirname(path), exist_ok=True)
    fs.pipe_file(path, buffer.getvalue().to_pybytes())


_PLACING_FIELDS = ("article_id", "date", "source")


def laid_over(articles, updates):
    """Article rows (an Arrow table) with later stages' updates laid over
    them by ``article_id``; an update's ``date`` and ``source`` only place
    it in the partition. Only the updated columns are rebuilt."""
    by_id = {}
    for update in updates:
        by_id.setdefault(update["article_id"], {}).update(
            (name, value) for name, value in update.items() if name not in _PLACING_FIELDS)
    updated = [(index, by_id[article_id]) for index, article_id in enumerate(articles["article_id"].to_pylist())
               if article_id in by_id]
    for name in sorted({name for _, fields in updated for name in fields}):
        position = articles.schema.get_field_index(name)
        field = articles.schema.field(position)
        values = articles.column(position).to_pylist()
        for index, fields in updated:
            if name in fields:
                values[index] = fields[name]
        articles = articles.set_column(position, field, pa.array(values, type=field.type))
    return articles


def read_published(output, table, key, columns=None):
    """One table's rows in one published partition (none when it has none)."""
    parts = []
    for url in table_files(output, partition_path(table, key)):
        with files.open_input(url) as handle:
            parts.append(pq.read_table(handle, columns=columns))
    if not parts:
        empty = schemas.ALL_TABLES[table].empty_table()
        return empty.select(columns) if columns else empty
    return pa.concat_tables(parts)


def write_partition(fs, staging, key, tables, rows_per_row_group=DEFAULT_ROWS_PER_ROW_GROUP):
    """Write one partition of each table that has rows in it (``tables``:
    table name -> Arrow table) under the ``staging`` path of file system
    ``fs``; returns the partition's descriptor for the publish step (its
    row counts, and the tables it staged a file for)."""
    counts = {}
    for table in schemas.ALL_TABLES:
        rows = tables.get(table)
        counts[table] = rows.num_rows if rows is not None else 0
        if counts[table]:
            write_parquet(fs, posixpath.join(staging, partition_path(table, key), PART_NAME),
                          sorted_table(table, rows), rows_per_row_group)
    reasons = {}
    if counts["rejects"]:
        for item in pc.value_counts(tables["rejects"]["reason"]).to_pylist():
            reasons[item["values"]] = item["counts"]
    return {"date": key[0], "source": key[1], "rows": counts, "reject_reasons": reasons,
            "files": [table for table, count in counts.items() if count]}


def staged_partition(keyed_parts, output, staging, rows_per_row_group):
    """One grouped partition (its Arrow tables as ``stored_each``
    references, and its article updates) in; its staged files written and
    ``[descriptor]`` for the publish step out.

    A partition of an earlier run (one this run only sends updates or
    pairs to) has its published articles read back for the updates, and its
    descriptor says which tables it ``replaces``: only those."""
    key, parts = keyed_parts
    tables, updates = {}, []
    for table, part in parts:
        if table == ARTICLE_UPDATES:
            updates.extend(part)
        else:
            tables.setdefault(table, []).append(table_from_ipc(loaded(part)))
    tables = {table: pa.concat_tables(pieces) for table, pieces in tables.items()}
    replaces = None
    if not any(table in OWNING_TABLES for table in tables):
        if updates:
            tables["articles"] = read_published(output, "articles", key)
        replaces = sorted(tables)
    if updates and "articles" in tables:
        tables["articles"] = laid_over(tables["articles"], updates)
    fs, staging_path = files.filesystem(staging)
    descriptor = write_partition(fs, staging_path, key, tables, rows_per_row_group)
    if replaces is not None:
        descriptor["replaces"] = replaces
    killpoints.reached("staged")
    return [descriptor]


def stage_empty_tables(fs, staging, descriptors):
    """Give each table that got no rows in this run one empty file, in the
    run's first partition, so every table stays readable with its schema."""
    descriptors = [d for d in descriptors if "replaces" not in d]
    if not descriptors:
        return
    first = min(descriptors, key=lambda d: (d["date"] or "", d["source"] or ""))
    key = (first["date"], first["source"])
    for table, schema in schemas.TABLES.items():
        if not any(d["rows"][table] for d in descriptors):
            write_parquet(fs, posixpath.join(staging, partition_path(table, key), PART_NAME), schema.empty_table())
            first["files"].append(table)


def commit_publish(staging, descriptors, report):
    """The publish's point of no return: once this record is whole in
    staging, the run's partitions go out, by this run or the next."""
    fs, staging_path = files.filesystem(staging)
    stage_empty_tables(fs, staging_path, descriptors)
    staged = set(fs.find(staging_path))
    missing = [path for descriptor in descriptors for table in descriptor["files"]
               if (path := posixpath.join(staging_path, partition_path(table, (descriptor["date"], descriptor["source"])),
                                          PART_NAME)) not in staged]
    if missing:
        raise RuntimeError(f"{len(missing)} staged files are gone (first: {missing[0]}): something removed this run's "
                           "staging; nothing was published")
    record = {"descriptors": descriptors, "report": report}
    files.write_whole(files.join_url(staging, COMMIT_NAME), json.dumps(record, ensure_ascii=False).encode("utf-8"))


def publish_partitions(output, staging, descriptors):
    """Put each staged partition in place, in every table it replaces (all,
    for this run's own partitions): its one file replaces the published one;
    a table with no rows there loses its file. Any other file in the folder
    (an older layout's) goes after. Repeating it is harmless, so a publish
    that was cut short is finished by running it again."""
    fs, output_path = files.filesystem(output)
    staging_path = files.filesystem(staging)[1]
    for descriptor in descriptors:
        key = (descriptor["date"], descriptor["source"])
        for table in descriptor.get("replaces", schemas.ALL_TABLES):
            relative = partition_path(table, key)
            final = posixpath.join(output_path, relative, PART_NAME)
            staged = posixpath.join(staging_path, relative, PART_NAME)
            if table in descriptor["files"]:
                if fs.exists(staged):  # else an earlier try moved it already
                    files.replace_file(fs, staged, final)
                    killpoints.reached("publishing")
                keep = {final}
            else:
                keep = set()
            for path in fs.glob(posixpath.join(output_path, relative, "*.parquet")):
                if path not in keep:
                    files.remove_file(fs, path)


def finish_interrupted_publishes(output):
    """Finish every publish an earlier run committed but did not end (it was
    killed while publishing), oldest first; returns ``output``. Runs before
    this run reads earlier output and before it publishes."""
    fs, root = files.filesystem(files.join_url(output, STAGING_FOLDER))
    for commit in sorted(fs.glob(posixpath.join(root, "*", COMMIT_NAME))):
        record = json.loads(fs.cat_file(commit))
        staging = files.full_url(fs, posixpath.dirname(commit))
        publish_partitions(output, staging, record["descriptors"])
        write_report(output, record["report"])
        fs.rm(posixpath.dirname(commit), recursive=True)
    return output


def remove_staging(output):
    """Delete the staging folder: this run's, and any a failed run left
    (the output's lease lets no other run write here meanwhile)."""
    fs, path = files.filesystem(files.join_url(output, STAGING_FOLDER))
    if fs.exists(path):
        fs.rm(path, recursive=True)


def _owned(key):
    return key, None


class OwnedPartitions(beam.PTransform):
    """``(article_batches, reject_rows)`` in; ``(partition_key, None)`` out
    for each partition this run writes (and so replaces), for a side input."""

    def expand(self, batches_and_rejects):
        batches, rejects = batches_and_rejects
        return (
            (batches | "OfArticles" >> beam.FlatMap(lambda batch: {partition_key(article) for article in batch}),
             rejects | "OfRejects" >> beam.Map(partition_key))
            | "AllPartitions" >> beam.Flatten()
            | "Distinct" >> beam.Distinct()
            | "Owned" >> beam.Map(_owned)
        )


class UnbalancedRun(RuntimeError):
    """Records went missing between reading and writing: nothing is
    published, so the previous output stays as it was."""

    def __init__(self, report, report_url):
        super().__init__(
            f"count in != out + rejects: {report['records_parsed']} records parsed + {report['read_rejects']} "
            f"files rejected at reading, but {report['articles_written']} articles + {report['rejects_total']} "
            f"rejects written + {report['outside_date_range']} outside the date range. Nothing was published; "
            f"the run's report is {report_url}"
        )


class PublishFn(beam.DoFn):
    """Runs once, after every partition is staged (the side inputs are the
    barrier): checks that count in = out + rejects, commits, publishes the
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
        with held_for_publish(self.output, self.run_info["run_id"]):
            finish_interrupted_publishes(self.output)
            commit_publish(self.staging, descriptors, report)
            killpoints.reached("committed")
            publish_partitions(self.output, self.staging, descriptors)
            write_report(self.output, report)
            killpoints.reached("reported")
            remove_staging(self.output)
        yield report


class WriteTables(beam.PTransform):
    """Rows of every table in (a dict ``table -> PCollection`` of rows, or of
    lists of rows), published partitions and a run report out.

    The dict may also hold ``ARTICLE_UPDATES``: rows with ``article_id``,
    ``date``, ``source`` and columns to lay over that article's row.

    It may hold ``READY_PARTS`` too: parts already built by a stage, as
    ``partitioned_tables`` builds them.

    ``counts`` is a PCollection of ``(name, number)`` pairs for the report.
    """

    def __init__(self, output, run_info, rows_per_row_group=DEFAULT_ROWS_PER_ROW_GROUP, processes=1):
        super().__init__()
        self.processes = processes
        self.output = output.rstrip("/")
        self.run_info = run_info
        self.rows_per_row_group = rows_per_row_group
        self.staging = files.join_url(self.output, STAGING_FOLDER, run_info["run_id"])

    def expand(self, tables_and_counts):
        tables, counts = tables_and_counts
        parts = [
            rows if table == READY_PARTS else
            rows | f"Key{table.title()}" >> beam.Map(_update_part)
            if table == ARTICLE_UPDATES else
            rows
            | f"Batch{table.title()}" >> beam.BatchElements(
                min_batch_size=ROWS_PER_PART, max_batch_size=ROWS_PER_PART, element_size_fn=rows_in)
            | f"Partition{table.title()}" >> beam.ParDo(
                PooledFn("write", partitioned_tables, table, counted=nothing, processes=self.processes))
            for table, rows in tables.items()
        ]
        descriptors = (
            parts
            | "AllTables" >> beam.Flatten()
            | "GroupByPartition" >> beam.GroupByKey()
            | "WriteStaged" >> beam.ParDo(PooledFn(
                "write", staged_partition, self.output, self.staging, self.rows_per_row_group, processes=self.processes))
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
