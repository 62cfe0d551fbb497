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

#: One passage an article shares with an article of another source: a run of
#: at least ``--passage_min_words`` words, verbatim or nearly, wherever the
#: paragraph breaks fall. Offsets are characters of each article's ``text``
#: (end exclusive); ``similarity`` is the share of the two spans' word
#: 3-shingles that match. Each passage is in the partition of each article.
SHARED_PASSAGES = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("start_char", pa.int64(), nullable=False),
        pa.field("end_char", pa.int64(), nullable=False),
        pa.field("other_article_id", pa.string(), nullable=False),
        pa.field("other_date", pa.date32()),
        pa.field("other_source", pa.string()),
        pa.field("other_start_char", pa.int64(), nullable=False),
        pa.field("other_end_char", pa.int64(), nullable=False),
        pa.field("word_count", pa.int64(), nullable=False),
        pa.field("similarity", pa.float64(), nullable=False),
    ]
)

#: Table name -> file schema. Order is the order tables are written.
TABLES = {
    "articles": ARTICLES,
    "entities": ENTITIES,
    "removed_paragraphs": REMOVED_PARAGRAPHS,
    "shared_passages": SHARED_PASSAGES,
    "rejects": REJECTS,
}

#: What syndication keeps of each partition's articles, so that a later run
#: finds copies of them without reading their text: the article's number
#: (``packed.number_of`` its id) and each of its LSH band and fingerprint keys.
SIGNATURES = pa.schema(
    [
        pa.field("number", pa.uint64(), nullable=False),
        pa.field("bucket_key", pa.uint64(), nullable=False),
    ]
)

#: A shared passage inside a pair: its character span in each article, its
#: length in words and its similarity (see ``SHARED_PASSAGES``).
PASSAGE_FIELDS = ("a_start", "a_end", "b_start", "b_end", "words", "similarity")

#: One verified pair of articles that are copies or share wire paragraphs or
#: passages, kept in the partition of each of its two articles: the edges
#: later runs rebuild clusters, wire links and passages from. Dates and
#: times as ISO text, as syndication compares them.
PAIRS = pa.schema(
    [
        field
        for side in ("a", "b")
        for field in (
            pa.field(f"{side}_id", pa.string(), nullable=False),
            pa.field(f"{side}_date", pa.string()),
            pa.field(f"{side}_published_at", pa.string()),
            pa.field(f"{side}_source", pa.string()),
        )
    ]
    + [
        pa.field("jaccard", pa.float64(), nullable=False),
        pa.field("containment", pa.float64(), nullable=False),
        pa.field("a_paragraphs", pa.list_(pa.int32()), nullable=False),
        pa.field("b_paragraphs", pa.list_(pa.int32()), nullable=False),
        pa.field("passages", pa.list_(pa.struct([pa.field(name, pa.float64() if name == "similarity" else pa.int32())
                                                  for name in PASSAGE_FIELDS])), nullable=False),
    ]
)

#: Tables kept for later runs, not for readers: under ``_syndication/``.
STATE_TABLES = {
    "signatures": SIGNATURES,
    "pairs": PAIRS,
}

#: Every table the writer writes, public first.
ALL_TABLES = {**TABLES, **STATE_TABLES}

#: Where each table lives under the output folder.
TABLE_FOLDERS = {**{table: table for table in TABLES}, **{table: f"_syndication/{table}" for table in STATE_TABLES}}

#: Columns each table is sorted by inside a partition, so reruns write
#: byte-identical files.
SORT_KEYS = {
    "articles": ("article_id",),
    "entities": ("article_id", "start_char", "end_char", "label"),
    "removed_paragraphs": ("article_id", "paragraph_index"),
    "shared_passages": ("article_id", "start_char", "other_article_id", "other_start_char"),
    "rejects": ("input_path", "record_index", "reason"),
    "signatures": ("number", "bucket_key"),
    "pairs": ("a_id", "b_id"),
}

