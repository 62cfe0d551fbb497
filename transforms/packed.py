"""Packed arrays: how many small keyed items cross a shuffle as a few large
elements. A runner spends far more per element than per byte, so a batch's
items go out as one element per shard, each column a numpy array as bytes."""

import hashlib

import numpy as np


def number_of(text):
    """A stable 63-bit number standing for a text (fits an int64 and a
    uint64 alike)."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def split_by_shard(shard_of, *columns):
    """``(shard, (bytes, ...))`` for each shard present: the columns' rows of
    that shard, packed."""
    if not len(shard_of):
        return
    order = np.argsort(shard_of, kind="stable")
    sorted_shards = shard_of[order]
    starts = np.flatnonzero(np.concatenate([[True], sorted_shards[1:] != sorted_shards[:-1]]))
    for start, end in zip(starts, np.append(starts[1:], len(order))):
        rows = order[start:end]
        yield int(sorted_shards[start]), tuple(column[rows].tobytes() for column in columns)


def unpack(elements, dtypes):
    """The columns of several packed elements, concatenated."""
    columns = list(zip(*elements)) or [() for _ in dtypes]
    return [np.concatenate([np.frombuffer(b, dtype=d) for b in column] or [np.zeros(0, dtype=d)])
            for column, d in zip(columns, dtypes)]


def run_starts(*columns):
    """Indexes where a new run of equal rows begins, in sorted columns."""
    if not len(columns[0]):
        return np.zeros(0, dtype=np.int64)
    changed = np.zeros(len(columns[0]) - 1, dtype=bool)
    for column in columns:
        changed |= column[1:] != column[:-1]
    return np.flatnonzero(np.concatenate([[True], changed]))
