"""Shared fixtures: article files written by the tests themselves."""

import bz2
import gzip
import json
import pathlib

import duckdb
import pytest
import zstandard

SEEDS = pathlib.Path(__file__).resolve().parent.parent / "seeds"

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


@pytest.fixture
def seeds_path():
    return SEEDS
