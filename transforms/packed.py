"""Packed arrays: how many small keyed items cross a shuffle as a few large
elements. A runner spends far more per element than per byte, so a batch's
items go out as one element per shard, each column a numpy array as bytes.
Also the stable numbers those items are keyed by."""

import hashlib

import numpy as np


def _digest(text):
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()


def number_of(text):
    """A stable 63-bit number standing for a text (fits an int64 and a
    uint64 alike)."""
    return int.from_bytes(_digest(text), "little") >> 1


_UNDATED = 1 << 40  # after every date, and far enough from them that differences never overflow


def day_numbers(dates):
    """Days since 1970 of ISO dates (or None), as int64; None after every date."""
    days = np.array([date or "NaT" for date in dates], dtype="datetime64[D]")
    return np.where(np.isnat(days), _UNDATED, days.astype(np.int64))


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mixed(values):
    """SplitMix64's finaliser: every input bit moves every output bit."""
    values = values ^ (values >> np.uint64(30))
    values = values * np.uint64(0xBF58476D1CE4E5B9)
    values = values ^ (values >> np.uint64(27))
    values = values * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def numbers_of(texts, salt=0):
    """A stable 64-bit number for each of many texts, as one uint64 array
    (``span_numbers`` of their code points: one numpy pass, not a digest
    per text). ``salt`` (a number, or one per text) gives other numbers for
    the same texts, e.g. one set per source."""
    lengths = np.array([len(text) for text in texts], dtype=np.int64)
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    ends = np.cumsum(lengths)
    salts = np.atleast_1d(np.asarray(salt, dtype=np.uint64)) * _GOLDEN
    return _mixed(span_numbers(codes, ends - lengths, ends) ^ salts)


# A polynomial hash: the runs of code points are numbers in base _BASE
# modulo 2**64, where every odd base has an inverse, so that a run's number
# does not depend on where it stands. Good for text, not proof against
# input crafted to collide.
_BASE = 0xD6E8FEB86659FD93
_POWERS = [(np.ones(1, dtype=np.uint64),) * 2]  # _BASE**i and its inverse's, grown on demand (replaced at once)


def _powers(count):
    powers, inverses = _POWERS[0]
    if len(powers) < count:
        size = max(count, 2 * len(powers))
        powers, inverses = (np.cumprod(np.concatenate([[np.uint64(1)], np.full(size - 1, base, dtype=np.uint64)]))
                            for base in (_BASE, pow(_BASE, -1, 2**64)))
        _POWERS[0] = powers, inverses
    return powers[:count], inverses[:count]


def span_numbers(codes, starts, ends):
    """A stable 64-bit number for each run ``codes[starts[i]:ends[i]]`` of a
    uint32 array: equal runs get equal numbers wherever they stand, all runs
    in two passes over ``codes``."""
    powers, inverses = _powers(len(codes) + 1)
    prefix = np.zeros(len(codes) + 1, dtype=np.uint64)
    np.cumsum(codes * powers[:-1], out=prefix[1:])
    values = (prefix[ends] - prefix[starts]) * inverses[starts]
    return _mixed(values + (ends - starts).astype(np.uint64) * _GOLDEN)


def split_by_shard(shard_of, *columns):
    """``[(shard, (bytes, ...))]`` for each shard present: the columns' rows
    of that shard, packed."""
    if not len(shard_of):
        return []
    order = np.argsort(shard_of, kind="stable")
    sorted_shards = shard_of[order]
    starts = run_starts(sorted_shards)
    return [(int(sorted_shards[start]), tuple(column[order[start:end]].tobytes() for column in columns))
            for start, end in zip(starts, np.append(starts[1:], len(order)))]


def unpack(elements, dtypes):
    """The columns of several packed elements, concatenated."""
    columns = list(zip(*elements)) or [() for _ in dtypes]
    return [np.concatenate([np.frombuffer(b, dtype=d) for b in column] or [np.zeros(0, dtype=d)])
            for column, d in zip(columns, dtypes)]


def members(values, sorted_unique):
    """Which ``values`` are in the sorted array ``sorted_unique`` (binary
    search: much faster than ``np.isin`` for these sizes)."""
    return found_at(values, sorted_unique)[0]


def found_at(values, sorted_unique):
    """``(found, positions)``: ``members``, and where in ``sorted_unique``
    each value found stands (``positions[found]``)."""
    if not len(sorted_unique):
        return np.zeros(len(values), dtype=bool), np.zeros(len(values), dtype=np.int64)
    positions = np.minimum(np.searchsorted(sorted_unique, values), len(sorted_unique) - 1)
    return sorted_unique[positions] == values, positions


def true_runs(mask):
    """``(starts, ends)`` of each run of True in a boolean array."""
    edges = np.flatnonzero(np.diff(np.concatenate([[False], mask, [False]]).astype(np.int8)))
    return edges[::2], edges[1::2]


def run_starts(*columns):
    """Indexes where a new run of equal rows begins, in sorted columns."""
    if not len(columns[0]):
        return np.zeros(0, dtype=np.int64)
    changed = np.zeros(len(columns[0]) - 1, dtype=bool)
    for column in columns:
        changed |= column[1:] != column[:-1]
    return np.flatnonzero(np.concatenate([[True], changed]))
