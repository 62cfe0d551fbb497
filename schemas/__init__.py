"""The one definition of every output table.

Each table is written as Hive-style partitions ``date=YYYY-MM-DD/source=<slug>/``.
The partition columns live in the folder names only, never inside the Parquet
files: Spark and BigQuery refuse a column that is both in the file and in the
path, and DuckDB reads them back from the path with ``hive_partitioning``.
"""

import pyarrow as pa

#: Partition columns, in folder order. Read back from the path.
PARTITION_FIELDS = (
    pa.field("date", pa.date32()),
    pa.field("source", pa.string()),
)

#: The folder value that stands for NULL (Hive's convention; DuckDB and
#: Spark read it back as NULL).
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"

#: One distinct entity of an article, in ``articles.entities``.
ARTICLE_ENTITY = pa.struct(
    [
        pa.field("canonical", pa.string()),
        pa.field("entity_id", pa.string()),
        pa.field("label", pa.string()),
        pa.field("mentions", pa.int64()),
    ]
)

ARTICLES = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("record_id", pa.string()),
        pa.field("url", pa.string()),
        pa.field("title", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("source_name", pa.string()),
        pa.field("source_from", pa.string(), nullable=False),
        pa.field("date_from", pa.string(), nullable=False),
        pa.field("url_from", pa.string(), nullable=False),
        pa.field("published_at", pa.timestamp("us", tz="UTC")),
        pa.field("input_path", pa.string(), nullable=False),
        pa.field("record_index", pa.int64(), nullable=False),
        pa.field("input_format", pa.string(), nullable=False),
        pa.field("encoding", pa.string(), nullable=False),
        pa.field("char_count", pa.int64(), nullable=False),
        pa.field("paragraph_count", pa.int64(), nullable=False),
        pa.field("removed_paragraph_count", pa.int64(), nullable=False),
        pa.field("cluster_id", pa.string(), nullable=False),
        pa.field("cluster_size", pa.int64(), nullable=False),
        pa.field("is_canonical", pa.bool_(), nullable=False),
        pa.field("duplicate_of", pa.string()),
        pa.field("similarity_jaccard", pa.float64()),
        pa.field("similarity_containment", pa.float64()),
        pa.field("wire_paragraph_count", pa.int64(), nullable=False),
        pa.field("wire_article_ids", pa.list_(pa.string()), nullable=False),
        pa.field("entities", pa.list_(ARTICLE_ENTITY), nullable=False),
    ]
)

ENTITIES = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("mention", pa.string(), nullable=False),
        pa.field("label", pa.string(), nullable=False),
        pa.field("start_char", pa.int64(), nullable=False),
        pa.field("end_char", pa.int64(), nullable=False),
        pa.field("canonical", pa.string()),
        pa.field("entity_id", pa.string()),
        pa.field("annotator", pa.string(), nullable=False),
    ]
)

REMOVED_PARAGRAPHS = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("paragraph_index", pa.int64(), nullable=False),
        pa.field("paragraph", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("layer", pa.string(), nullable=False),
    ]
)

REJECTS = pa.schema(
    [
        pa.field("input_path", pa.string(), nullable=False),
        pa.field("record_index", pa.int64()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("detail", pa.string()),
        pa.field("size_bytes", pa.int64()),
    ]
)

#: Table name -> file schema. Order is the order tables are written.
TABLES = {
    "articles": ARTICLES,
    "entities": ENTITIES,
    "removed_paragraphs": REMOVED_PARAGRAPHS,
    "rejects": REJECTS,
}

#: Columns each table is sorted by inside a partition, so reruns write
#: byte-identical files.
SORT_KEYS = {
    "articles": ("article_id",),
    "entities": ("article_id", "start_char", "end_char", "label"),
    "removed_paragraphs": ("article_id", "paragraph_index"),
    "rejects": ("input_path", "record_index", "reason"),
}

