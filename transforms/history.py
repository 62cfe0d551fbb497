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
from transforms.write import partition_of_folders

#: Tags a stored article's number in the buckets: pairs of two tagged
#: numbers were found by an earlier run.
STORED = np.uint64(1 << 63)


#: Partitions read together in one multi-threaded scan: a long history holds
#: thousands of small partition files, too many to open one by one, and one
#: element per partition would crowd the shuffle after it.
PARTITIONS_PER_READ = 200


def stored_partitions(output):
    """Every partition an earlier run left signatures for, in date order and
    in chunks of ``PARTITIONS_PER_READ``: ``[(key, signature_files,
    article_files)]``, the files found in one listing of each table."""
    found = {table: _published_files(output, table) for table in ("signatures", "articles")}
    keys = sorted(found["signatures"], key=lambda key: (key[0] or "", key[1] or ""))
    entries = [(key, found["signatures"][key], found["articles"].get(key, [])) for key in keys]
    return [entries[start:start + PARTITIONS_PER_READ] for start in range(0, len(entries), PARTITIONS_PER_READ)]


def _published_files(output, table):
    """``{partition_key: [file paths]}`` of a published table."""
    fs, root = files.filesystem(files.join_url(output, schemas.TABLE_FOLDERS[table]))
    found = {}
    for path in fs.glob(posixpath.join(root, "date=*", "source=*", "*.parquet")):
        found.setdefault(partition_of_folders(*path.split("/")[-3:-1]), []).append(path)
    return found


def _scanned(output, table, paths, columns, row_filter=None):
    """The ``columns`` (and ``date``, ``source``) of some published files of
    ``table``, read in one multi-threaded scan."""
    fs, root = files.filesystem(files.join_url(output, schemas.TABLE_FOLDERS[table]))
    partitioning = ds.HivePartitioning(_PARTITION_COLUMNS, null_fallback=schemas.NULL_PARTITION)
    schema = pa.schema([*schemas.ALL_TABLES[table], *_PARTITION_COLUMNS])  # a column older files lack reads as NULL
    dataset = ds.dataset(sorted(paths), schema=schema, filesystem=fs, format="parquet", partitioning=partitioning,
                         partition_base_dir=root)
    return dataset.to_table(columns=[*columns, "date", "source"], filter=row_filter)


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


def _comparable_entries(chunk, owned, days, window_days):
    """The entries of a ``stored_partitions`` chunk this run compares with."""
    return [entry for entry in chunk if comparable(entry[0], owned, days, window_days)]


def _day_column(table):
    """The day number of each row of a scanned table, from its ``date``."""
    dates = pc.dictionary_encode(table["date"]).combine_chunks()
    return day_numbers(dates.dictionary.to_pylist())[dates.indices.to_numpy(zero_copy_only=False)]


def stored_bucket_keys(chunk, output, shards, window_days, owned, days):
    """The bucket keys of a chunk of stored partitions (``stored_partitions``),
    packed per shard as ``syndication.shard_bucket_keys`` packs a run's own,
    their articles' numbers tagged ``STORED``; only of the partitions this
    run compares with (``comparable``)."""
    paths = [path for _, signature_files, _ in _comparable_entries(chunk, owned, days, window_days)
             for path in signature_files]
    if not paths:
        return []
    signatures = _scanned(output, "signatures", paths, ["number", "bucket_key"])
    keys = signatures["bucket_key"].to_numpy()
    return split_by_shard(keys % np.uint64(shards), keys, signatures["number"].to_numpy() | STORED,
                          _day_column(signatures))


def stored_partners(chunk, output, candidate_numbers, owned, days, window_days, batch_size):
    """The articles of a chunk of stored partitions that some candidate pair
    names (``candidate_numbers``: sorted numbers of every candidate pair's
    articles), read back from the published articles table in batches of
    ``batch_size`` rows, to be described as a run's own are: their text is
    stored already, so their features are not."""
    entries = _comparable_entries(chunk, owned, days, window_days)
    paths = [path for _, _, article_files in entries for path in article_files]
    if not paths:
        return
    ids = _scanned(output, "articles", paths, ["article_id"])
    numbers = np.array([number_of(article_id) for article_id in ids["article_id"].to_pylist()], dtype=np.uint64)
    wanted = ids.filter(pa.array(members(numbers, candidate_numbers)))
    if not wanted.num_rows:
        return
    holding = set(zip(*(wanted[name].to_pylist() for name in ("date", "source"))))
    rows = _scanned(output, "articles", [path for key, _, article_files in entries if key in holding
                                         for path in article_files], ["article_id", "text", "published_at"],
                    pc.field("article_id").isin(wanted["article_id"].combine_chunks())).to_pylist()
    for start in range(0, len(rows), batch_size):
        yield rows[start:start + batch_size]


_PARTITION_COLUMNS = pa.schema([("date", pa.string()), ("source", pa.string())])


def partitions_of(pairs):
    """The partitions of both articles of some pairs."""
    labels = pa.concat_arrays([partition_labels(pairs, "a_"), partition_labels(pairs, "b_")])
    return {key_of_label(label) for label in pc.unique(labels).to_pylist()}


def partition_labels(table, prefix=""):
    """Each row's partition (its ``<prefix>date`` and ``<prefix>source``) as
    one text, NULL as a NUL character: partitions compared column-wise."""
    return pc.binary_join_element_wise(pc.fill_null(table[f"{prefix}date"], "\0"),
                                       pc.fill_null(table[f"{prefix}source"], "\0"), "/").combine_chunks()


def label_of_key(key):
    """A partition key as ``partition_labels`` spells it."""
    return "/".join("\0" if part is None else part for part in key)


def key_of_label(label):
    """The partition key a ``partition_labels`` text spells."""
    return tuple(None if part == "\0" else part for part in label.split("/", 1))


def stored_pairs(output, found, owned, is_copy):
    """The stored pairs a run's changes can reach, each once.

    ``found``: the run's new pairs, whose articles change; ``owned``: the
    partitions it replaces, whose stored pairs are dropped (their other
    articles change too); ``is_copy(pairs)``: which pairs make copy
    clusters. A pair is stored in the partitions of both its articles, so
    reading an article's partition finds all its pairs. The partitions are
    read in rounds, one multi-threaded scan each: first those of the
    changed articles and the owned ones, then those of the articles that a
    dropped pair or a copy pair of a changed article reaches (the rest of
    its cluster), until no article is new. So a run reads its clusters'
    part of a long history, not all of it: following partitions instead of
    articles would chain day by day through every story of the history."""
    published = _published_files(output, "pairs")
    owned_labels = pa.array(sorted(label_of_key(key) for key in owned), type=pa.string())
    reached = set(found["a_id"].to_pylist()) | set(found["b_id"].to_pylist())
    to_read = {key for key in owned | partitions_of(found) if key in published}
    read, parts = set(), []
    while to_read:
        pairs = _scanned(output, "pairs", [path for key in to_read for path in published[key]], schemas.PAIRS.names)
        read |= to_read
        parts.append(pairs)
        a_labels, b_labels = partition_labels(pairs, "a_"), partition_labels(pairs, "b_")
        known = pa.array(sorted(reached), type=pa.string())
        leading = pc.or_(pc.or_(pc.is_in(a_labels, owned_labels), pc.is_in(b_labels, owned_labels)),
                         pc.and_(is_copy(pairs), pc.or_(pc.is_in(pairs["a_id"], known), pc.is_in(pairs["b_id"], known))))
        led = pairs.filter(leading)
        new = (set(led["a_id"].to_pylist()) | set(led["b_id"].to_pylist())) - reached
        reached |= new
        to_read = {key for key in partitions_of(led) if key in published} - read
    if not parts:
        return schemas.PAIRS.empty_table()
    pairs = pa.concat_tables(parts)
    a_labels = partition_labels(pairs, "a_")
    read_labels = pa.array(sorted(label_of_key(key) for key in read), type=pa.string())
    once = pc.or_(pc.equal(partition_labels(pairs), a_labels), pc.invert(pc.is_in(a_labels, read_labels)))
    pairs = pairs.filter(once).select(schemas.PAIRS.names)
    passages = pairs.schema.get_field_index("passages")  # pairs stored before passages were found have none
    pairs = pairs.set_column(passages, "passages", pc.fill_null(
        pairs["passages"], pa.scalar([], schemas.PAIRS.field("passages").type)))
    return pairs.cast(schemas.PAIRS)


