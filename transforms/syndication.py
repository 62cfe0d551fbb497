"""Syndication: which articles are copies of which, and which paragraphs are
shared wire copy.

* Candidates: MinHash signatures of word 3-shingles of the matching keys,
  LSH banding (near and exact copies), plus pairs sharing sampled shingle
  fingerprints (truncated copies and shared paragraphs, which Jaccard alone
  misses).
* Every candidate pair is verified on the exact shingle sets: Jaccard and
  containment for whole articles, containment per paragraph for wire copy.
* Verified copies form clusters (connected components); the earliest
  published article of a cluster is its canonical copy. Copies are flagged,
  never deleted.
"""

import zlib
from typing import Tuple

import apache_beam as beam
import numpy as np

from transforms.text import paragraph_keys

SHINGLE_WORDS = 3
PERMUTATIONS = 64
BANDS = 16  # 16 bands x 4 rows: a pair at Jaccard 0.8 is a candidate with p > 0.999
MINIMA_PER_PARAGRAPH = 2  # each long paragraph's smallest shingle hashes are its fingerprints
MIN_SHARED_FINGERPRINTS = 2
MAX_BUCKET = 200  # an LSH bucket of more articles is skipped
DEFAULT_SHARDS = 64  # bucket keys are grouped per shard: each holds 1/64 of all keys in memory
MAX_FINGERPRINT_GROUP = 50  # a shingle in more articles is a common phrase, not wire copy
DEFAULT_JACCARD = 0.8
DEFAULT_CONTAINMENT = 0.9
DEFAULT_WIRE_CONTAINMENT = 0.7
DEFAULT_WIRE_MIN_WORDS = 8

_EMPTY = np.zeros(0, dtype=np.uint64)
_SHIFT = np.uint64(32)
_MASK = np.uint64(0xFFFFFFFF)
_rng = np.random.default_rng(20240619)
# Multiply-shift hashing: h(x) = ((a*x + b) mod 2**64) >> 32, a odd. No
# modulo by a prime, so numpy does it at full speed.
_A = _rng.integers(0, 2**63 - 1, size=PERMUTATIONS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_B = _rng.integers(0, 2**63 - 1, size=PERMUTATIONS, dtype=np.uint64)
_MIX = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D], dtype=np.uint64)[:SHINGLE_WORDS]
_BYTE_WEIGHTS = _rng.integers(1, 2**32 - 1, size=64, dtype=np.uint64)
_FINAL_MIX = np.uint64(0xBF58476D1CE4E5B9)


def word_hashes(text):
    """Stable 32-bit hashes of the space-separated words of ``text``, all at
    once: a position-weighted sum of each word's UTF-8 bytes, then mixed.
    The same on every worker (no Python ``hash``)."""
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    if not len(data):
        return _EMPTY
    space = data == 32
    starts = np.flatnonzero(~space & np.concatenate([[True], space[:-1]]))
    if not len(starts):
        return _EMPTY
    marks = np.zeros(len(data), dtype=np.int64)
    marks[starts] = starts
    position = np.arange(len(data)) - np.maximum.accumulate(marks)
    weights = _BYTE_WEIGHTS[position % len(_BYTE_WEIGHTS)] * data.astype(np.uint64)
    weights[space] = 0
    hashes = np.add.reduceat(weights, starts)
    hashes ^= hashes >> np.uint64(29)
    hashes *= _FINAL_MIX
    hashes ^= hashes >> np.uint64(32)
    return hashes & _MASK


def _combine(hashes):
    """3-shingle hashes of consecutive word hashes (padded when shorter)."""
    if len(hashes) < SHINGLE_WORDS:
        hashes = np.concatenate([hashes, np.zeros(SHINGLE_WORDS - len(hashes), dtype=np.uint64)])
    count = len(hashes) - SHINGLE_WORDS + 1
    combined = np.zeros(count, dtype=np.uint64)
    for offset in range(SHINGLE_WORDS):
        combined = (combined + hashes[offset:offset + count] * _MIX[offset]) & _MASK
    return combined


def shingle_hashes(words):
    """Sorted unique 32-bit hashes of the word 3-shingles of a list of words;
    a text shorter than a shingle is one shingle."""
    if not words:
        return _EMPTY
    return np.unique(_combine(word_hashes(" ".join(words))))


def text_shingles(keys, wire_min_words=DEFAULT_WIRE_MIN_WORDS):
    """``(all_shingles, long_index, long_sizes, long_shingles)`` of a text
    given as the matching keys of its paragraphs, all in a few numpy passes.

    Shingles never cross a paragraph break; a paragraph shorter than a
    shingle is one (padded) shingle. "Long" paragraphs have at least
    ``wire_min_words`` words; their shingles are given end to end.
    """
    counts = np.array([key.count(" ") + 1 if key else 0 for key in keys], dtype=np.int64)
    hashes = word_hashes(" ".join(key for key in keys if key))
    paragraph_of_word = np.repeat(np.arange(len(keys)), counts)
    if len(hashes) >= SHINGLE_WORDS:
        inside = paragraph_of_word[: 1 - SHINGLE_WORDS] == paragraph_of_word[SHINGLE_WORDS - 1:]
        shingles = _combine(hashes)[inside]
        paragraph_of_shingle = paragraph_of_word[: 1 - SHINGLE_WORDS][inside]
    else:
        shingles, paragraph_of_shingle = _EMPTY, np.zeros(0, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(counts) else counts
    short = [_combine(hashes[starts[i]:starts[i] + counts[i]]) for i in np.flatnonzero((counts > 0) & (counts < SHINGLE_WORDS))]
    whole = np.unique(np.concatenate([shingles, *short])) if len(shingles) or short else _EMPTY
    is_long = counts >= max(wire_min_words, SHINGLE_WORDS)
    return (
        whole,
        np.flatnonzero(is_long),
        counts[is_long] - (SHINGLE_WORDS - 1),
        shingles[is_long[paragraph_of_shingle]] if len(shingles) else _EMPTY,
    )


def minhash(shingles):
    """The MinHash signature (``PERMUTATIONS`` uint32 values), computed for
    all permutations and shingles at once."""
    if len(shingles) == 0:
        return np.full(PERMUTATIONS, 0xFFFFFFFF, dtype=np.uint64)
    values = (_A[:, None] * shingles[None, :] + _B[:, None]) >> _SHIFT
    return values.min(axis=1)


def band_keys(signature):
    """One LSH bucket key per band: ``b``, the band number, its rows."""
    rows = PERMUTATIONS // BANDS
    return [b"b" + bytes([band]) + signature[band * rows:(band + 1) * rows].tobytes() for band in range(BANDS)]


def fingerprints(features):
    """The shingles two articles must share to be compared: the smallest
    ``MINIMA_PER_PARAGRAPH`` shingle hashes of each long paragraph (a
    bottom-k sketch), so a paragraph copied word for word always shares all
    of them and an edited one most."""
    sizes = feature_array(features, "paragraph_sizes")
    if not len(sizes):
        return _EMPTY
    values = feature_array(features, "paragraph_shingles")
    paragraph = np.repeat(np.arange(len(sizes)), sizes)
    order = np.lexsort((values, paragraph))
    rank = np.arange(len(values)) - np.repeat(np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes)
    return np.unique(values[order][rank < MINIMA_PER_PARAGRAPH])


def article_features(article, wire_min_words=DEFAULT_WIRE_MIN_WORDS):
    """What syndication needs of an article: shingles of the whole body and
    of each paragraph long enough to count as wire copy. Shingles do not
    cross paragraph breaks."""
    keys = paragraph_keys(article["text"]) if article["text"] else []
    shingles, long_index, long_sizes, long_shingles = text_shingles(keys, wire_min_words)
    # Arrays travel as bytes and dates as text: Beam encodes those natively,
    # ten times faster than it pickles numpy arrays and date objects.
    return {
        "article_id": article["article_id"],
        "source": article.get("source"),
        "date": _iso(article.get("date")),
        "published_at": _iso(article.get("published_at")),
        "shingles": shingles.astype(np.uint32).tobytes(),
        # long paragraphs, flattened: their indexes, sizes and shingles end to end
        "paragraph_index": long_index.astype(np.int32).tobytes(),
        "paragraph_sizes": long_sizes.astype(np.int32).tobytes(),
        "paragraph_shingles": long_shingles.astype(np.uint32).tobytes(),
    }


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def feature_array(features, name):
    """One of the features' arrays, back from its bytes (no copy)."""
    dtype = np.uint32 if name.endswith("shingles") else np.int32
    return np.frombuffer(features[name], dtype=dtype)


def _members(values, sorted_unique):
    """Which ``values`` are in the sorted array ``sorted_unique`` (binary
    search: much faster than ``np.isin`` for these sizes)."""
    if not len(sorted_unique):
        return np.zeros(len(values), dtype=bool)
    positions = np.minimum(np.searchsorted(sorted_unique, values), len(sorted_unique) - 1)
    return sorted_unique[positions] == values


def similarity(a, b):
    """``(jaccard, containment)`` of two shingle sets; containment is the
    share of the smaller set found in the larger."""
    if len(a) == 0 or len(b) == 0:
        return 0.0, 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    shared = int(np.count_nonzero(_members(small, large)))
    return shared / (len(a) + len(b) - shared), shared / min(len(a), len(b))


def shared_paragraphs(features, other_shingles, threshold=DEFAULT_WIRE_CONTAINMENT):
    """Indexes of ``features``' paragraphs that stand (mostly) in the other
    article: one membership test for all paragraphs at once."""
    sizes = feature_array(features, "paragraph_sizes")
    if not len(sizes):
        return []
    found = _members(feature_array(features, "paragraph_shingles"), other_shingles).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    shares = np.add.reduceat(found, starts) / sizes
    return feature_array(features, "paragraph_index")[shares >= threshold].tolist()


def verify_pair(a, b, wire_threshold=DEFAULT_WIRE_CONTAINMENT):
    """The verified relation of a candidate pair."""
    a_shingles, b_shingles = feature_array(a, "shingles"), feature_array(b, "shingles")
    jaccard, containment = similarity(a_shingles, b_shingles)
    cross_source = a["source"] != b["source"] or a["source"] is None
    return {
        "a": _node(a),
        "b": _node(b),
        "jaccard": round(jaccard, 4),
        "containment": round(containment, 4),
        "a_paragraphs": shared_paragraphs(a, b_shingles, wire_threshold) if cross_source else [],
        "b_paragraphs": shared_paragraphs(b, a_shingles, wire_threshold) if cross_source else [],
    }


def _node(features):
    return (features["article_id"], features["date"], features["published_at"])


def _publication_order(node):
    article_id, date, published_at = node
    return (date is None, date or 0, published_at is None, published_at or 0, article_id)


def clusters(edges):
    """``article_id -> cluster fields`` for every article in a verified copy
    relation. ``edges`` are verified pairs that count as copies."""
    parent = {}

    def find(node):
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    nodes = {}
    for edge in edges:
        for node in (edge["a"], edge["b"]):
            nodes[node[0]] = node
            parent.setdefault(node[0], node[0])
        root_a, root_b = find(edge["a"][0]), find(edge["b"][0])
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    members = {}
    for article_id in nodes:
        members.setdefault(find(article_id), []).append(nodes[article_id])
    best = {}
    for edge in edges:
        for mine, theirs in ((edge["a"][0], edge["b"][0]), (edge["b"][0], edge["a"][0])):
            best.setdefault(mine, {})[theirs] = (edge["jaccard"], edge["containment"])
    result = {}
    for group in members.values():
        canonical = min(group, key=_publication_order)[0]
        for article_id, _, _ in group:
            links = best[article_id]
            if article_id == canonical:
                jaccard, containment = None, None
            else:
                jaccard, containment = links.get(canonical) or max(links.values())
            result[article_id] = {
                "cluster_id": canonical,
                "cluster_size": len(group),
                "is_canonical": article_id == canonical,
                "duplicate_of": None if article_id == canonical else canonical,
                "similarity_jaccard": jaccard,
                "similarity_containment": containment,
            }
    return result


def singleton(article_id):
    return {"cluster_id": article_id, "cluster_size": 1, "is_canonical": True, "duplicate_of": None,
            "similarity_jaccard": None, "similarity_containment": None}


def wire_hits(verified):
    """``(article_id, (paragraph_index, other_article_id))`` for each paragraph
    found in another source's article."""
    for mine, theirs, hits in (("a", "b", "a_paragraphs"), ("b", "a", "b_paragraphs")):
        for index in verified[hits]:
            yield verified[mine][0], (index, verified[theirs][0])


def wire_summary(hits):
    """Per-article wire fields from its paragraph hits."""
    hits = list(hits)
    return {
        "wire_paragraph_count": len({index for index, _ in hits}),
        "wire_article_ids": sorted({other for _, other in hits}),
    }


def is_copy(verified, jaccard, containment):
    return verified["jaccard"] >= jaccard or verified["containment"] >= containment


def candidate_keys(keyed_features):
    """``(bucket_key, article_id)`` for every LSH band and fingerprint."""
    article_id, features = keyed_features
    shingles = feature_array(features, "shingles").astype(np.uint64)
    keys = band_keys(minhash(shingles))
    blob = fingerprints(features).astype("<u4").tobytes()
    keys += [b"f" + blob[i:i + 4] for i in range(0, len(blob), 4)]
    return [(key, article_id) for key in keys]


def weighted_pairs(bucket):
    """Pairs of a bucket, weighted so that one shared LSH band, or
    ``MIN_SHARED_FINGERPRINTS`` shared fingerprints, make a candidate."""
    key, ids = bucket
    is_band = key[:1] == b"b"
    weight = MIN_SHARED_FINGERPRINTS if is_band else 1
    for pair in _pairs(ids, MAX_BUCKET if is_band else MAX_FINGERPRINT_GROUP):
        yield pair, weight


def shard_bucket_keys(batch, shards):
    """A batch of ``(article_id, features)`` in; ``(shard, [(bucket_key,
    article_id), ...])`` out, one element per shard instead of one per key:
    the runner then moves a few large elements, not ~35 small ones per
    article."""
    by_shard = {}
    for keyed in batch:
        for key, article_id in candidate_keys(keyed):
            by_shard.setdefault(zlib.crc32(key) % shards, []).append((key, article_id))
    return by_shard.items()


def shard_pair_weights(shard_group):
    """All the buckets of one shard, paired in memory: ``((a, b), weight)``
    summed within the shard (a pair's buckets may sit in several shards)."""
    _, lists = shard_group
    buckets = {}
    for pairs in lists:
        for key, article_id in pairs:
            buckets.setdefault(key, []).append(article_id)
    weights = {}
    for bucket in buckets.items():
        for pair, weight in weighted_pairs(bucket):
            weights[pair] = weights.get(pair, 0) + weight
    return weights.items()


def _pairs(ids, cap):
    ids = sorted(set(ids))
    if len(ids) > cap:
        return
    for i, first in enumerate(ids):
        for second in ids[i + 1:]:
            yield first, second


def _with_partner_features(element):
    _, grouped = element
    for features in grouped["features"]:
        for partner in grouped["partners"]:
            yield partner, features


def _verify_grouped(element, wire_threshold):
    _, grouped = element
    for features in grouped["features"]:
        for partner_features in grouped["left"]:
            yield verify_pair(partner_features, features, wire_threshold)


def _annotate(element):
    article_id, grouped = element
    for article in grouped["article"]:
        out = dict(article)
        out.update(next(iter(grouped["cluster"]), None) or singleton(article_id))
        out.update(wire_summary(hit for hits in grouped["wire"] for hit in hits))
        yield out


class DetectSyndication(beam.PTransform):
    """Articles in; the same articles out with their cluster and wire fields."""

    def __init__(self, jaccard=DEFAULT_JACCARD, containment=DEFAULT_CONTAINMENT,
                 wire_containment=DEFAULT_WIRE_CONTAINMENT, wire_min_words=DEFAULT_WIRE_MIN_WORDS,
                 shards=DEFAULT_SHARDS):
        super().__init__()
        self.shards = shards
        self.jaccard = jaccard
        self.containment = containment
        self.wire_containment = wire_containment
        self.wire_min_words = wire_min_words

    def expand(self, articles):
        wire_min_words = self.wire_min_words
        features = articles | "Features" >> beam.Map(
            lambda a: (a["article_id"], article_features(a, wire_min_words))
        )
        candidates = (
            features
            | "Batches" >> beam.BatchElements(min_batch_size=100, max_batch_size=2000)
            | "BucketKeysByShard" >> beam.FlatMap(shard_bucket_keys, self.shards)
            | "Shards" >> beam.GroupByKey()
            | "ShardPairs" >> beam.FlatMap(shard_pair_weights).with_output_types(Tuple[Tuple[str, str], int])
            | "PairWeights" >> beam.CombinePerKey(sum)
            | "Candidates" >> beam.Filter(lambda pair_weight: pair_weight[1] >= MIN_SHARED_FINGERPRINTS)
            | "PairOnly" >> beam.Keys()
        )
        left = (
            {"features": features, "partners": candidates}
            | "JoinFirst" >> beam.CoGroupByKey()
            | "ToSecond" >> beam.FlatMap(_with_partner_features)
        )
        verified = (
            {"features": features, "left": left}
            | "JoinSecond" >> beam.CoGroupByKey()
            | "Verify" >> beam.FlatMap(_verify_grouped, self.wire_containment)
        )
        jaccard, containment = self.jaccard, self.containment
        cluster_fields = (
            verified
            | "Copies" >> beam.Filter(is_copy, jaccard, containment)
            | "AllCopies" >> beam.combiners.ToList()
            | "Components" >> beam.FlatMap(lambda edges: clusters(edges).items())
        )
        wire = (
            verified
            | "WireHits" >> beam.FlatMap(wire_hits)
            | "WireByArticle" >> beam.GroupByKey()
        )
        return (
            {
                "article": articles | "ById" >> beam.Map(lambda a: (a["article_id"], a)),
                "cluster": cluster_fields,
                "wire": wire,
            }
            | "JoinFields" >> beam.CoGroupByKey()
            | "Annotate" >> beam.FlatMap(_annotate)
        )
