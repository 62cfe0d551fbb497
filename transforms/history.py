"""What syndication keeps between runs, so that a run finds copies of the
articles earlier runs published without reading them all again.

Every run leaves, per partition, under ``<output>/_syndication/``: the bucket
keys of its articles (``signatures``) and the verified pairs its articles are
in (``pairs``, kept in the partition of each of the two articles). A later
run puts the stored keys in its buckets, tagged so that two stored articles
are never paired again; describes the stored articles it pairs with from
their published text (their features are not stored: text is already there);
and rebuilds the clusters and wire links its pairs change. A run owns the
partitions it writes: what is stored for them is replaced, never compared.
"""

import posixpath

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

import schemas
from transforms import files
from transforms.packed import day_numbers, members, number_of, split_by_shard
from transforms.write import partition_of_folders, read_published

#: Tags a stored article's number in the buckets: pairs of two tagged
#: numbers were found by an earlier run.
STORED = np.uint64(1 << 63)


def stored_partitions(output):
    """The key of every partition an earlier run left signatures for."""
    fs, root = files.filesystem(files.join_url(output, schemas.TABLE_FOLDERS["signatures"]))
    found = {partition_of_folders(*path.split("/")[-3:-1])
             for path in fs.glob(posixpath.join(root, "date=*", "source=*", "*.parquet"))}
    return sorted(found, key=lambda key: (key[0] or "", key[1] or ""))


def owned_days(owned_keys):
    """The sorted day numbers of the partitions a run owns."""
    return np.unique(day_numbers([date for (date, _), _ in owned_keys]))


def comparable(key, owned, days, window_days):
    """Whether this run compares its articles with a stored partition's: not
    one it replaces, and (``window_days`` > 0) dated at most that many days
    from one of its own (``days``: ``owned_days``)."""
    if key in owned:
        return False
    if not window_days:
        return True
    day = day_numbers([key[0]])[0]
    position = np.searchsorted(days, day)
    nearest = days[max(position - 1, 0):position + 1]
    return bool(len(nearest)) and int(np.abs(nearest - day).min()) <= window_days


def stored_bucket_keys(key, output, shards, window_days, owned, days):
    """A stored partition's bucket keys, packed per shard as
    ``syndication.shard_bucket_keys`` packs a run's own, its articles'
    numbers tagged ``STORED``; none for a partition this run does not
    compare with (``comparable``)."""
    if not comparable(key, owned, days, window_days):
        return []
    signatures = read_published(output, "signatures", key)
    keys = signatures["bucket_key"].to_numpy()
    days = np.full(len(keys), day_numbers([key[0]])[0])
    return split_by_shard(keys % np.uint64(shards), keys, signatures["number"].to_numpy() | STORED, days)


def stored_partners(key, output, candidate_numbers, owned, days, window_days, batch_size):
    """The articles of a stored partition that some candidate pair names
    (``candidate_numbers``: sorted numbers of every candidate pair's
    articles), read back from the published articles table in batches of
    ``batch_size``, as syndication describes a run's own."""
    if not comparable(key, owned, days, window_days):
        return
    numbers = np.unique(read_published(output, "signatures", key, ["number"])["number"].to_numpy())
    if not members(numbers, candidate_numbers).any():
        return
    articles = read_published(output, "articles", key, ["article_id", "text", "published_at"])
    numbers = np.array([number_of(article_id) for article_id in articles["article_id"].to_pylist()], dtype=np.uint64)
    rows = articles.filter(pa.array(members(numbers, candidate_numbers))).to_pylist()
    date, source = key
    for start in range(0, len(rows), batch_size):
        yield [{**row, "date": date, "source": source} for row in rows[start:start + batch_size]]


_PARTITION_COLUMNS = pa.schema([("date", pa.string()), ("source", pa.string())])


def stored_pairs(output):
    """Every stored pair once (each is kept in the partitions of both its
    articles: the copy in its first article's counts), read in one
    multi-threaded scan: a long history holds tens of thousands of small
    partition files, too many to open one by one each run."""
    fs, root = files.filesystem(files.join_url(output, schemas.TABLE_FOLDERS["pairs"]))
    if not fs.exists(root):
        return schemas.PAIRS.empty_table()
    partitioning = ds.HivePartitioning(_PARTITION_COLUMNS, null_fallback=schemas.NULL_PARTITION)
    dataset = ds.dataset(root, filesystem=fs, format="parquet", partitioning=partitioning)
    pairs = dataset.to_table()
    first_here = pc.and_(_same(pairs["a_date"], pairs["date"]), _same(pairs["a_source"], pairs["source"]))
    return pairs.filter(first_here).select(schemas.PAIRS.names).cast(schemas.PAIRS)


def _same(column, other):
    """Where two text columns are equal, NULL equal to NULL."""
    return pc.equal(pc.fill_null(column, "\0"), pc.fill_null(other, "\0"))
