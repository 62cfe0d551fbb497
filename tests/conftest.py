"""Shared fixtures: article files written by the tests themselves."""

import bz2
import gzip
import hashlib
import json
import os
import pathlib
import socket
import subprocess
import sys

import duckdb
import pytest
import zstandard

SEEDS = pathlib.Path(__file__).resolve().parent.parent / "seeds"
BUCKET = "news"  # on the Cloud Storage emulator
# The per-source boilerplate counts are per run (README): off where runs over
# parts of a corpus are compared with one run over all of it.
SAME_CLEANING = ["--boilerplate_min_source_docs", "100000", "--processes", "1"]

ARABIC_BODY = (
    "قال وزير الخارجية إن المحادثات بين البلدين كانت بناءة ومثمرة.\n"
    "وأضاف أن الجانبين اتفقا على مواصلة التعاون في مجالات الطاقة والتجارة."
)

COMPRESSORS = {
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".zst": lambda data: zstandard.ZstdCompressor().compress(data),
}


def write(path, data):
    """Write bytes or UTF-8 text to ``path`` (compressed by its suffix)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    compress = COMPRESSORS.get(path.suffix)
    path.write_bytes(compress(data) if compress else data)
    return path


def jsonl(*objects):
    return "".join(json.dumps(obj, ensure_ascii=False) + "\n" for obj in objects)


def query(sql):
    """Rows of a DuckDB query as a list of tuples."""
    return duckdb.sql(sql).fetchall()


def table_glob(output, table):
    return f"{output}/{table}/**/*.parquet"


def read_table(output, table, columns="*", where="true"):
    return query(
        f"select {columns} from read_parquet('{table_glob(output, table)}', "
        f"hive_partitioning=true) where {where} order by all"
    )


def part_rows(keyed_part):
    """A writer's part, ``(partition, (table, reference))``, as ``[(table,
    partition, row)]`` (a partition is ``(date, source)``)."""
    from transforms.spill import loaded
    from transforms.write import table_from_ipc

    partition, (table, reference) = keyed_part
    return [(table, partition, row) for row in table_from_ipc(loaded(reference)).to_pylist()]


@pytest.fixture
def seeds_path():
    return SEEDS


def portable_tables(output, input_root):
    """Every public table's rows in a fixed order, with what depends on
    where the input lived made relative: paths to ``input_root`` and
    article ids (hashes of the path) to ``relative path#record index``, so
    runs over copies of one input in different places compare equal."""
    import pyarrow.dataset as ds

    import schemas
    from transforms import files

    tables = {}
    for table in schemas.TABLES:
        fs, path = files.filesystem(files.join_url(output, table))
        tables[table] = ds.dataset(path, filesystem=fs, format="parquet", partitioning="hive").to_table().to_pylist()
    ids = {row["article_id"]: f"{row['input_path'].removeprefix(input_root)}#{row['record_index']}"
           for row in tables["articles"]}

    def portable(value):
        if isinstance(value, str):
            return ids.get(value, value.removeprefix(input_root))
        if isinstance(value, list):
            if value and all(isinstance(item, str) and item in ids for item in value):  # ids: in path order here
                return sorted(ids[item] for item in value)
            return [portable(item) for item in value]
        if isinstance(value, dict):
            return {name: portable(item) for name, item in value.items()}
        return value

    return {table: sorted((portable(row) for row in rows), key=repr) for table, rows in tables.items()}


def published_digests(output):
    """``{relative path: sha256}`` of every published table file (not the
    run report, the lease or staging): equal digests, byte-identical tables."""
    found = {}
    for path in pathlib.Path(output).rglob("*.parquet"):
        relative = str(path.relative_to(output))
        if not relative.startswith("_staging/"):
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def free_port():
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def gcs():
    """A gcsfs file system on a fresh in-memory emulator holding the seeds
    under ``gs://news/in``."""
    settings = {"GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false", "NO_GCE_CHECK": "true", "FSSPEC_GCS_TOKEN": "anon"}
    from http.server import HTTPServer

    from gcp_storage_emulator.server import create_server

    # The emulator answers one request at a time; past the listen backlog
    # (5), clients' connections wait for TCP's SYN retries (1 s, 3 s, 7 s,
    # ...): an upload of 80 files stalled for minutes.
    backlog, HTTPServer.request_queue_size = HTTPServer.request_queue_size, 1024
    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True)
    server.start()
    HTTPServer.request_queue_size = backlog
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


def run_in_new_process(arguments, command="akhbar"):
    """The ``akhbar`` (or ``akhbar-walk``) command in a fresh process, with
    this process's environment as it is now (the shared pool of this one was
    forked before the Cloud Storage emulator's settings existed); its report."""
    from pipelines.walk import WALK_REPORT_NAME
    from transforms.report import REPORT_NAME, read_report

    executable = pathlib.Path(sys.executable).parent / command
    subprocess.run([str(executable), *arguments], check=True, capture_output=True, env=dict(os.environ))
    output = arguments[arguments.index("--output") + 1]
    return read_report(output, WALK_REPORT_NAME if command == "akhbar-walk" else REPORT_NAME)
