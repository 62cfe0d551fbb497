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
* Earlier runs into the same output count (``transforms.history``): their
  articles' bucket keys join the buckets, their pairs join the clusters, and
  their articles whose clusters or wire links change are rewritten, so that a
  corpus processed in several runs gives what one run over it gives.
"""

import collections
from typing import NamedTuple

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

import schemas
from transforms.history import (
    STORED, label_of_key, owned_days, partition_labels, partitions_of, stored_bucket_keys, stored_pairs,
    stored_partitions, stored_partners,
)
from transforms.passages import (
    DEFAULT_MIN_WORDS, SHINGLE_MIX, SHINGLE_WORDS, batch_words, shared_passages, shingles,
)
from transforms.packed import (
    day_numbers, found_at, members, number_of, run_starts, split_by_shard, unpack,
)
from transforms.pool import PooledFn
from transforms.progress import nothing
from transforms.spill import Spilled, loaded, stored, stored_each
from transforms.text import ARTICLES_PER_BATCH
from transforms.write import finish_interrupted_publishes, ipc_bytes, partition_key, table_from_ipc

PERMUTATIONS = 64
BANDS = 16  # 16 bands x 4 rows: a pair at Jaccard 0.8 is a candidate with p > 0.999
MINIMA_PER_PARAGRAPH = 2  # each long paragraph's smallest shingle hashes are its fingerprints
MIN_SHARED_FINGERPRINTS = 2
MAX_BUCKET = 200  # in an LSH bucket, an article pairs with the 200 before it by date
DEFAULT_SHARDS = 64  # bucket keys are grouped per shard: each holds 1/64 of all keys in memory
MAX_FINGERPRINT_GROUP = 50  # ... through a fingerprint, with the 50 before it: more is a common phrase
DEFAULT_JACCARD = 0.8
DEFAULT_CONTAINMENT = 0.9
DEFAULT_WIRE_CONTAINMENT = 0.7
DEFAULT_WIRE_MIN_WORDS = 8
DEFAULT_WINDOW_DAYS = 0  # no limit: outlets reuse wire paragraphs weeks later

_EMPTY = np.zeros(0, dtype=np.uint64)
_SHIFT = np.uint64(32)
_MASK = np.uint64(0xFFFFFFFF)
_rng = np.random.default_rng(20240619)
# Multiply-shift hashing: h(x) = ((a*x + b) mod 2**64) >> 32, a odd. No
# modulo by a prime, so numpy does it at full speed.
_A = _rng.integers(0, 2**63 - 1, size=PERMUTATIONS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_B = _rng.integers(0, 2**63 - 1, size=PERMUTATIONS, dtype=np.uint64)
_BAND_MIX = _rng.integers(0, 2**63 - 1, size=PERMUTATIONS // BANDS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_BAND_HASH_BITS = np.uint64(2**58 - 1)
_FINGERPRINT_TAG = np.uint64(2**63)


def _combine(hashes):
    """3-shingle hashes of consecutive word hashes (padded when shorter)."""
    if len(hashes) < SHINGLE_WORDS:
        hashes = np.concatenate([hashes, np.zeros(SHINGLE_WORDS - len(hashes), dtype=np.uint64)])
    return shingles(hashes)


def shingle_hashes(words):
    """Sorted unique 32-bit hashes of the word 3-shingles of a list of words;
    a text shorter than a shingle is one shingle."""
    if not words:
        return _EMPTY
    return np.unique(_combine(batch_words([" ".join(words)]).hashes.astype(np.uint64)))


def _paragraph_shingles(hashes, paragraph_of_word, paragraphs):
    """The shingles of many paragraphs (the 32-bit hashes of their words,
    end to end, and each word's paragraph) in a few numpy passes:
    ``(values, paragraph_of_value, words_per_paragraph)``. Shingles never
    cross a paragraph break; a paragraph shorter than a shingle is one
    (padded) shingle, listed after all the others."""
    hashes = hashes.astype(np.uint64)
    counts = np.bincount(paragraph_of_word, minlength=paragraphs)
    if len(hashes) >= SHINGLE_WORDS:
        inside = paragraph_of_word[: 1 - SHINGLE_WORDS] == paragraph_of_word[SHINGLE_WORDS - 1:]
        shingles = _combine(hashes)[inside]
        paragraph_of_shingle = paragraph_of_word[: 1 - SHINGLE_WORDS][inside]
    else:
        shingles, paragraph_of_shingle = _EMPTY, np.zeros(0, dtype=np.int64)
    first_word = np.cumsum(counts) - counts
    short = np.flatnonzero((counts > 0) & (counts < SHINGLE_WORDS))
    padded = np.zeros(len(short), dtype=np.uint64)
    for offset in range(SHINGLE_WORDS - 1):  # what _combine gives a short paragraph padded with zeros
        present = counts[short] > offset
        padded[present] += hashes[first_word[short[present]] + offset] * SHINGLE_MIX[offset]
    values = np.concatenate([shingles, padded & _MASK])
    return values, np.concatenate([paragraph_of_shingle, short]), counts


def _high_and_low(high, low):
    """One uint64 per row, ``high`` in the top 32 bits and the 32-bit
    ``low`` below: sorting it sorts by ``high``, then ``low``."""
    return (high.astype(np.uint64) << _SHIFT) | low


def _per_article_unique(article_of_value, values, articles):
    """Sorted unique values of each article: ``(values, starts)`` with
    article ``i``'s values at ``values[starts[i]:starts[i + 1]]``."""
    combined = np.sort(_high_and_low(article_of_value, values))
    combined = combined[run_starts(combined)]
    starts = np.searchsorted(combined >> _SHIFT, np.arange(articles + 1, dtype=np.uint64))
    return combined & _MASK, starts


_MINHASH_CHUNK = 1 << 16  # shingles per step: bounds the (permutations x shingles) array


def signatures(values, starts):
    """The MinHash signature (``PERMUTATIONS`` uint32 values) of each
    article whose unique shingles are ``values[starts[i]:starts[i + 1]]``,
    all permutations and shingles at once; an article with no shingles gets
    the maximum everywhere."""
    articles = len(starts) - 1
    result = np.full((articles, PERMUTATIONS), 0xFFFFFFFF, dtype=np.uint64)
    non_empty = np.flatnonzero(np.diff(starts) > 0)
    first = 0
    while first < len(non_empty):
        # a run of articles whose shingles fit in one chunk (at least one article)
        fitting = np.searchsorted(starts[non_empty], starts[non_empty[first]] + _MINHASH_CHUNK, side="right")
        last = max(first + 1, int(fitting))
        chosen = non_empty[first:last]
        low, high = starts[chosen[0]], starts[chosen[-1] + 1]
        products = _A[:, None] * values[None, low:high]
        products += _B[:, None]
        products >>= _SHIFT
        result[chosen] = np.minimum.reduceat(products, starts[chosen] - low, axis=1).T
        first = last
    return result


def band_keys(signature):
    """One LSH bucket key per band (per row of ``signature`` when it holds
    several articles'): the band number in the top bits, a hash of its rows
    below; fingerprint keys have the top bit set instead."""
    rows = signature.reshape(signature.shape[:-1] + (BANDS, -1))
    mixed = (rows * _BAND_MIX).sum(axis=-1)
    return (np.arange(BANDS, dtype=np.uint64) << np.uint64(58)) | (mixed & _BAND_HASH_BITS)


def _fingerprints(values, paragraph, article_of_paragraph, articles, text_words):
    """The shingles two articles must share to be compared: the smallest
    ``MINIMA_PER_PARAGRAPH`` shingle hashes of each long paragraph (a
    bottom-k sketch), so a paragraph copied word for word always shares all
    of them and an edited one most, and the sentence anchors of
    ``text_words`` (``passages.batch_words``). Per article, as ``_per_article_unique``."""
    ordered = np.sort(_high_and_low(paragraph, values))
    paragraph = (ordered >> _SHIFT).astype(np.int64)
    rank = np.arange(len(ordered)) - np.searchsorted(paragraph, paragraph)
    kept = rank < MINIMA_PER_PARAGRAPH
    owners = np.concatenate([article_of_paragraph[paragraph[kept]], text_words.anchor_texts])
    values = np.concatenate([ordered[kept] & _MASK, text_words.anchor_values])
    return _per_article_unique(owners, values, articles)


_FEATURE_ARRAYS = ("shingles", "paragraph_index", "paragraph_sizes", "paragraph_shingle_positions",
                   "word_hashes", "word_starts", "word_ends")


def describe_articles(articles, wire_min_words=DEFAULT_WIRE_MIN_WORDS, passage_min_words=DEFAULT_MIN_WORDS):
    """What syndication needs of a batch of articles, all in a few numpy
    passes over the whole batch: ``(features, bucket_keys, owners)``.

    Each article's features are ``(node, packed)``: its identity and date,
    the shingles of its whole body and of each paragraph long enough to
    count as wire copy (indexes and sizes of those paragraphs, and the
    positions of their shingles among the whole body's), and its words
    (``passages.batch_words``), as one bytes value: what Beam
    encodes fastest. The bucket keys (one per LSH band, one per
    fingerprint: of each long paragraph, and of each sentence long enough to
    be a passage, ``passages.sentence_anchors``) come with the index of the
    article they belong to."""
    texts = [article["text"] for article in articles]
    paragraphs_per_article = np.array([text.count("\n") + 1 for text in texts], dtype=np.int64)
    article_of_paragraph = np.repeat(np.arange(len(articles)), paragraphs_per_article)
    first_paragraph = np.cumsum(paragraphs_per_article) - paragraphs_per_article
    text_words = batch_words(texts, passage_min_words)
    values, paragraph_of_value, words = _paragraph_shingles(
        text_words.hashes, text_words.paragraphs, int(paragraphs_per_article.sum()))
    whole, whole_starts = _per_article_unique(article_of_paragraph[paragraph_of_value], values, len(articles))
    is_long = words >= max(wire_min_words, SHINGLE_WORDS)
    long_paragraphs = np.flatnonzero(is_long)
    long_value = is_long[paragraph_of_value]
    long_values, long_paragraph_of_value = values[long_value], paragraph_of_value[long_value]
    long_articles = article_of_paragraph[long_paragraph_of_value]
    whole_articles = np.repeat(np.arange(len(articles)), np.diff(whole_starts))
    long_positions = np.searchsorted(_high_and_low(whole_articles, whole),
                                     _high_and_low(long_articles, long_values)) - whole_starts[long_articles]
    fingerprints, fingerprint_starts = _fingerprints(
        long_values, long_paragraph_of_value, article_of_paragraph, len(articles), text_words
    )
    bands = band_keys(signatures(whole, whole_starts))
    bucket_keys = np.concatenate([bands.ravel(), fingerprints | _FINGERPRINT_TAG])
    owners = np.concatenate([np.repeat(np.arange(len(articles)), BANDS),
                             np.repeat(np.arange(len(articles)), np.diff(fingerprint_starts))])
    # per article, its slice of each array, packed
    long_starts = np.searchsorted(article_of_paragraph[long_paragraphs], np.arange(len(articles) + 1))
    sizes = words[long_paragraphs] - (SHINGLE_WORDS - 1)
    value_starts = np.concatenate([[0], np.cumsum(sizes)])[long_starts]
    index_in_article = long_paragraphs - first_paragraph[article_of_paragraph[long_paragraphs]]
    packed, ends = _packed_per_article(
        (whole, index_in_article, sizes, long_positions, text_words.hashes, text_words.starts, text_words.ends),
        (whole_starts, long_starts, long_starts, value_starts, *[text_words.bounds] * 3)
    )
    features = []
    for article, start, end in zip(articles, [0] + ends[:-1], ends):
        node = (article["article_id"], _iso(article.get("date")), _iso(article.get("published_at")),
                article.get("source"))
        features.append((node, packed[start:end]))
    return features, bucket_keys, owners


def _packed_per_article(arrays, bounds):
    """Each article's slices of the arrays (4-byte values; article ``i``'s
    slice of ``arrays[k]`` is ``bounds[k][i]:bounds[k][i + 1]``), after the
    slices' lengths, as one bytes value with every article's end offset:
    one gather for the whole batch instead of a join per article."""
    articles = len(bounds[0]) - 1
    starts = np.stack([np.asarray(bound[:-1], dtype=np.int64) for bound in bounds], axis=1)
    lengths = np.stack([np.diff(bound).astype(np.int64) for bound in bounds], axis=1)
    arrays = [np.asarray(array).astype(np.uint32) for array in arrays]  # int32 values keep their bits
    offsets = np.cumsum([articles * len(arrays)] + [len(array) for array in arrays])[:-1]
    source = np.concatenate([lengths.astype(np.uint32).ravel()] + arrays)
    # per article: its lengths, then each array's slice
    run_starts = np.concatenate([(np.arange(articles) * len(arrays))[:, None], starts + offsets], axis=1).ravel()
    run_lengths = np.concatenate([np.full((articles, 1), len(arrays)), lengths], axis=1).ravel()
    run_ends = np.cumsum(run_lengths)
    gather = np.arange(run_ends[-1] if len(run_ends) else 0) - np.repeat(run_ends - run_lengths - run_starts,
                                                                           run_lengths)
    ends = (4 * run_ends.reshape(articles, -1)[:, -1]).tolist() if articles else []
    return source[gather].tobytes(), ends


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


FeatureArrays = collections.namedtuple("FeatureArrays", _FEATURE_ARRAYS)


def feature_arrays(features):
    """The features' arrays, back from their bytes (no copies)."""
    _, packed = features
    lengths = np.frombuffer(packed, dtype=np.int32, count=len(_FEATURE_ARRAYS)).tolist()
    arrays, offset = [], 4 * len(_FEATURE_ARRAYS)
    for name, length in zip(_FEATURE_ARRAYS, lengths):
        arrays.append(np.frombuffer(packed, dtype=np.uint32 if name.endswith(("shingles", "hashes")) else np.int32,
                                    count=length, offset=offset))
        offset += 4 * length
    return FeatureArrays(*arrays)


def _matched(a, b):
    """Which values of the sorted unique arrays ``a`` and ``b`` the other
    holds: a mask over each, from one binary search."""
    in_b, positions = found_at(a, b)
    in_a = np.zeros(len(b), dtype=bool)
    in_a[positions[in_b]] = True
    return in_b, in_a


def _ratios(shared, a_size, b_size):
    """``(jaccard, containment)`` from the size of an intersection."""
    if not a_size or not b_size:
        return 0.0, 0.0
    return shared / (a_size + b_size - shared), shared / min(a_size, b_size)


def similarity(a, b):
    """``(jaccard, containment)`` of two shingle sets; containment is the
    share of the smaller set found in the larger."""
    return _ratios(int(np.count_nonzero(_matched(a, b)[0])), len(a), len(b))


def _paragraphs_found(arrays_list, found, offsets, threshold):
    """Per article of ``arrays_list`` (``feature_arrays``, their shingles end
    to end at ``offsets``), the indexes of its paragraphs that stand
    (mostly) in the article it is paired with: ``found`` says which
    shingles that article holds. One pass for all."""
    sizes = [arrays.paragraph_sizes for arrays in arrays_list]
    counts = [len(part) for part in sizes]
    if not sum(counts):
        return [[] for _ in arrays_list]
    sizes = np.concatenate(sizes)
    positions = np.concatenate([arrays.paragraph_shingle_positions + offset
                                for arrays, offset in zip(arrays_list, offsets)])
    shares = np.add.reduceat(found[positions].astype(np.int32), np.cumsum(sizes) - sizes) / sizes
    chosen = shares >= threshold
    kept = np.concatenate([arrays.paragraph_index for arrays in arrays_list])[chosen].tolist()
    bounds = np.searchsorted(np.flatnonzero(chosen), np.cumsum([0] + counts)).tolist()
    return [kept[start:end] for start, end in zip(bounds, bounds[1:])]


def _tagged_shingles(arrays_list):
    """All the articles' shingles end to end, each tagged with its
    article's place in ``arrays_list`` in the top bits (so sorted, as each
    article's are), with each article's count and each value's article."""
    sizes = [len(arrays.shingles) for arrays in arrays_list]
    owners = np.repeat(np.arange(len(arrays_list), dtype=np.uint64), sizes)
    values = np.concatenate([arrays.shingles for arrays in arrays_list] or [_EMPTY])
    return _high_and_low(owners, values.astype(np.uint64)), np.array(sizes, dtype=np.int64), owners


def verify_pairs(pairs, wire_threshold=DEFAULT_WIRE_CONTAINMENT, passage_min_words=DEFAULT_MIN_WORDS):
    """The verified relations of candidate pairs of features, ``[(a, b),
    ...]``: all pairs in a few numpy passes (each article's arrays unpacked
    once); the passages of two sources' articles that share at least half
    as many shingles as a passage has."""
    if not pairs:
        return []
    unpacked = {}

    def arrays_of(features):
        article_id = features[0][0]
        if article_id not in unpacked:
            unpacked[article_id] = feature_arrays(features)
        return unpacked[article_id]

    a_arrays = [arrays_of(a) for a, _ in pairs]
    b_arrays = [arrays_of(b) for _, b in pairs]
    a_values, a_sizes, a_owners = _tagged_shingles(a_arrays)
    b_values, b_sizes, _ = _tagged_shingles(b_arrays)
    in_b, in_a = _matched(a_values, b_values)
    shared = np.bincount(a_owners[in_b].astype(np.int64), minlength=len(pairs)).tolist()
    a_paragraphs = _paragraphs_found(a_arrays, in_b, (np.cumsum(a_sizes) - a_sizes).tolist(), wire_threshold)
    b_paragraphs = _paragraphs_found(b_arrays, in_a, (np.cumsum(b_sizes) - b_sizes).tolist(), wire_threshold)
    verified = []
    for index, ((a_node, _), (b_node, _)) in enumerate(pairs):
        jaccard, containment = _ratios(shared[index], int(a_sizes[index]), int(b_sizes[index]))
        cross_source = a_node[3] != b_node[3] or a_node[3] is None
        passages = shared_passages(_words(a_arrays[index]), _words(b_arrays[index]), passage_min_words) \
            if cross_source and 2 * shared[index] >= passage_min_words - SHINGLE_WORDS + 1 else []
        verified.append({
            "a": a_node,
            "b": b_node,
            "jaccard": round(jaccard, 4),
            "containment": round(containment, 4),
            "a_paragraphs": a_paragraphs[index] if cross_source else [],
            "b_paragraphs": b_paragraphs[index] if cross_source else [],
            "passages": passages,
        })
    return verified


def _words(arrays):
    """An article's ``passages.words_with_offsets``, from its features."""
    return arrays.word_hashes, arrays.word_starts, arrays.word_ends


def _publication_order(node):
    article_id, date, published_at, _ = node
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
        for article_id, date, _, source in group:
            links = best[article_id]
            if article_id == canonical:
                jaccard, containment = None, None
            else:
                jaccard, containment = links.get(canonical) or max(links.values())
            result[article_id] = {
                "date": date,
                "source": source,
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


def wire_hits(verified_pairs, owned):
    """``((article_id, date, source), [(other_article_id, [paragraph_index,
    ...]), ...])`` for each article of this run (in a partition of
    ``owned``, or any when it is None) with paragraphs found in another
    source's article: one element per article for all the pairs. An earlier
    run's article gets its wire fields from ``relations``, with its stored
    pairs."""
    hits = {}
    for verified in verified_pairs:
        for mine, other, indexes in ((verified["a"], verified["b"], verified["a_paragraphs"]),
                                     (verified["b"], verified["a"], verified["b_paragraphs"])):
            article_id, date, _, source = mine
            if indexes and (owned is None or (date, source) in owned):
                hits.setdefault((article_id, date, source), []).append((other[0], indexes))
    return list(hits.items())


def wire_update(article, hit_lists):
    """The wire fields of an article with paragraph hits, as an article
    update (``hit_lists``: the lists ``wire_hits`` gave for it)."""
    article_id, date, source = article
    hits = [(index, other) for hits in hit_lists for other, indexes in hits for index in indexes]
    return {"article_id": article_id, "date": date, "source": source, **wire_summary(hits)}


def wire_summary(hits):
    """Per-article wire fields from its paragraph hits."""
    hits = list(hits)
    return {
        "wire_paragraph_count": len({index for index, _ in hits}),
        "wire_article_ids": sorted({other for _, other in hits}),
    }


def is_copy(verified, jaccard, containment):
    return verified["jaccard"] >= jaccard or verified["containment"] >= containment


_NODE_FIELDS = ("id", "date", "published_at", "source")


def pair_table(verified_pairs, jaccard, containment):
    """The verified pairs that count, copies or pairs sharing wire
    paragraphs or passages, as a table of ``schemas.PAIRS``."""
    kept = [verified for verified in verified_pairs if is_copy(verified, jaccard, containment)
            or verified["a_paragraphs"] or verified["b_paragraphs"] or verified["passages"]]
    columns = {f"{side}_{name}": [verified[side][position] for verified in kept]
               for side in "ab" for position, name in enumerate(_NODE_FIELDS)}
    for name in ("jaccard", "containment", "a_paragraphs", "b_paragraphs"):
        columns[name] = [verified[name] for verified in kept]
    columns["passages"] = [[dict(zip(schemas.PASSAGE_FIELDS, passage)) for passage in verified["passages"]]
                           for verified in kept]
    return pa.table(columns, schema=schemas.PAIRS)


def new_pairs(verified_pairs, jaccard, containment):
    """A batch of verified pairs as one table for ``relation_outputs``."""
    yield None, stored(ipc_bytes(pair_table(verified_pairs, jaccard, containment)))


def copy_mask(pairs, jaccard, containment):
    """Which rows of a pairs table are copies (the clusters' edges)."""
    return pc.or_(pc.greater_equal(pairs["jaccard"], jaccard),
                  pc.greater_equal(pairs["containment"], containment)).combine_chunks()


def _ends(pairs):
    """``{article_id: (article_id, date, source)}`` of both articles of some pairs."""
    ends = {}
    for side in "ab":
        columns = (pairs[f"{side}_{name}"].to_pylist() for name in ("id", "date", "source"))
        for article_id, date, source in zip(*columns):
            ends[article_id] = (article_id, date, source)
    return ends


def _changed_components(copies, changed_ids):
    """The copy pairs in a cluster that holds one of ``changed_ids``."""
    ids = pc.unique(pa.concat_arrays([copies["a_id"].combine_chunks(), copies["b_id"].combine_chunks()]))
    a_codes = pc.index_in(copies["a_id"], ids).to_numpy(zero_copy_only=False)
    b_codes = pc.index_in(copies["b_id"], ids).to_numpy(zero_copy_only=False)
    graph = coo_matrix((np.ones(len(a_codes), dtype=np.int8), (a_codes, b_codes)), shape=(len(ids), len(ids)))
    _, component = connected_components(graph, directed=False)
    changed_codes = pc.index_in(pa.array(sorted(changed_ids), type=pa.string()), ids).drop_null().to_numpy()
    return copies.filter(pa.array(np.isin(component[a_codes], component[changed_codes])))


def _as_edges(pairs):
    """Pair rows as the edges ``clusters`` takes."""
    edges = []
    for row in pairs.to_pylist():
        edges.append({"a": tuple(row[f"a_{name}"] for name in _NODE_FIELDS),
                      "b": tuple(row[f"b_{name}"] for name in _NODE_FIELDS),
                      "jaccard": row["jaccard"], "containment": row["containment"]})
    return edges


def relations(found, kept_before, owned, jaccard, containment):
    """What this run's pairs change: ``(article_updates, pairs_by_partition)``.

    ``found``: this run's verified pairs that count (``pair_table``);
    ``kept_before``: the pairs earlier runs stored that this run's changes
    reach (``stored_pairs``), each once; ``owned``: the partitions this run
    replaces. Stored pairs with an
    article in an owned partition are gone with it. Every article in a copy
    cluster that a found or a gone pair touches gets its cluster fields; an
    earlier run's article whose pairs change also gets its wire fields (this
    run's own get theirs from ``wire_hits``) and, when it is left in no
    cluster, those of a cluster of one. Every partition whose pairs change
    gets its new pairs table."""
    owned_labels = pa.array(sorted(label_of_key(key) for key in owned), type=pa.string())
    gone = pc.or_(pc.is_in(partition_labels(kept_before, "a_"), owned_labels),
                  pc.is_in(partition_labels(kept_before, "b_"), owned_labels))
    pairs = pa.concat_tables([kept_before.filter(pc.invert(gone)), found])
    changed = {**_ends(found), **_ends(kept_before.filter(gone))}
    earlier = {article_id: end for article_id, end in changed.items() if (end[1], end[2]) not in owned}

    copies = pairs.filter(copy_mask(pairs, jaccard, containment))
    cluster_fields = clusters(_as_edges(_changed_components(copies, changed))) if copies.num_rows else {}
    updates = {article_id: {"article_id": article_id, **fields} for article_id, fields in cluster_fields.items()}
    if earlier:
        touching = pairs.filter(pc.or_(pc.is_in(pairs["a_id"], pa.array(list(earlier))),
                                       pc.is_in(pairs["b_id"], pa.array(list(earlier)))))
        hits = {article_id: [] for article_id in earlier}
        for row in touching.to_pylist():
            for mine, other in (("a", "b"), ("b", "a")):
                if row[f"{mine}_id"] in hits:
                    hits[row[f"{mine}_id"]].extend((index, row[f"{other}_id"]) for index in row[f"{mine}_paragraphs"])
        for article_id, (_, date, source) in earlier.items():
            base = updates.get(article_id) or {"article_id": article_id, "date": date, "source": source,
                                               **singleton(article_id)}
            updates[article_id] = {**base, **wire_summary(hits[article_id])}
    return list(updates.values()), _pairs_by_partition(pairs, owned | {(end[1], end[2]) for end in earlier.values()})


def _pairs_by_partition(pairs, partitions):
    """The pairs table of each of ``partitions``: the pairs with an article
    there (an empty table for one with none), as slices of one table
    ordered by partition (a pair of two partitions is in it twice)."""
    wanted = pa.array(sorted(label_of_key(key) for key in partitions), type=pa.string())
    a_labels, b_labels = partition_labels(pairs, "a_"), partition_labels(pairs, "b_")
    touching = pc.or_(pc.is_in(a_labels, wanted), pc.is_in(b_labels, wanted))
    pairs, a_labels, b_labels = pairs.filter(touching), a_labels.filter(touching), b_labels.filter(touching)
    labels = pa.concat_arrays([a_labels, b_labels.filter(pc.not_equal(a_labels, b_labels))]).dictionary_encode()
    rows = np.concatenate([np.arange(pairs.num_rows),
                           np.flatnonzero(pc.not_equal(a_labels, b_labels).to_numpy(zero_copy_only=False))])
    codes = labels.indices.to_numpy()
    order = np.lexsort((rows, codes))
    arranged = pairs.take(pa.array(rows[order], type=pa.int64())).combine_chunks()
    bounds = np.searchsorted(codes[order], np.arange(len(labels.dictionary) + 1))
    code_of = {label: code for code, label in enumerate(labels.dictionary.to_pylist())}
    result = {}
    for key in partitions:
        code = code_of.get(label_of_key(key))
        result[key] = arranged.slice(bounds[code], bounds[code + 1] - bounds[code]) if code is not None \
            else arranged.slice(0, 0)
    return result


def relation_outputs(grouped, histories, owned, jaccard, containment):
    """``relations`` of all this run's pair tables and the stored pairs they
    reach (``histories``: the output whose earlier runs count, or none):
    article updates, and the pairs tables as writer parts (tagged
    ``"parts"``). Without ``owned``, a run owns the partitions of its pairs."""
    _, references = grouped
    found = pa.concat_tables([schemas.PAIRS.empty_table()] + [table_from_ipc(loaded(ref)) for ref in references])
    owned = set(owned) if owned is not None else partitions_of(found)
    kept_before = stored_pairs(histories[0], found, owned, lambda pairs: copy_mask(pairs, jaccard, containment)) \
        if histories else schemas.PAIRS.empty_table()
    updates, pairs_by_partition = relations(found, kept_before, owned, jaccard, containment)
    yield from updates
    for key, table in pairs_by_partition.items():
        yield beam.pvalue.TaggedOutput("parts", (key, ("pairs", stored(ipc_bytes(table)))))
        yield beam.pvalue.TaggedOutput("parts", (key, ("shared_passages", stored(ipc_bytes(passage_rows(table, key))))))


def passage_rows(pairs, key):
    """The ``shared_passages`` rows of one partition from its pairs table:
    each passage once for each of the pair's articles in the partition."""
    columns = {field.name: [] for field in schemas.SHARED_PASSAGES}
    for pair in pairs.to_pylist():
        for mine, other in (("a", "b"), ("b", "a")):
            if (pair[f"{mine}_date"], pair[f"{mine}_source"]) != key:
                continue
            for passage in pair["passages"]:
                for name, value in (("article_id", pair[f"{mine}_id"]), ("other_article_id", pair[f"{other}_id"]),
                                    ("other_date", pair[f"{other}_date"]), ("other_source", pair[f"{other}_source"]),
                                    ("start_char", passage[f"{mine}_start"]), ("end_char", passage[f"{mine}_end"]),
                                    ("other_start_char", passage[f"{other}_start"]),
                                    ("other_end_char", passage[f"{other}_end"]),
                                    ("word_count", passage["words"]), ("similarity", passage["similarity"])):
                    columns[name].append(value)
    columns["other_date"] = pc.cast(pa.array(columns["other_date"], pa.string()), pa.date32())
    return pa.table(columns, schema=schemas.SHARED_PASSAGES)


def signature_parts(described):
    """A described batch's bucket keys as writer parts of the
    ``signatures`` table, one per partition."""
    numbers, features, keys, owners = described
    keys_of_article = [partition_key({"date": node[1], "source": node[3]}) for node, _ in features]
    for key in sorted(set(keys_of_article), key=lambda k: (k[0] or "", k[1] or "")):
        articles = np.flatnonzero([article_key == key for article_key in keys_of_article])
        rows = np.isin(owners, articles)
        table = pa.table({"number": numbers[owners[rows]], "bucket_key": keys[rows]}, schema=schemas.SIGNATURES)
        yield key, ("signatures", stored(ipc_bytes(table)))


def candidate_numbers(candidates):
    """The sorted numbers of every article in some of the shards'
    ``candidate_pairs``."""
    return np.unique(np.concatenate([np.frombuffer(part, dtype=np.uint64)
                                     for firsts, seconds, _ in candidates for part in (firsts, seconds)] or [_EMPTY]))


class Description(NamedTuple):
    """``describe_articles`` of a batch, with each article's number (what
    the candidate pairs and the join are keyed by)."""

    numbers: np.ndarray
    features: list
    bucket_keys: np.ndarray
    owners: np.ndarray


BUCKET_KEYS, SIGNATURES = "bucket_keys", "signatures"


def description_of(batch, wire_min_words, passage_min_words, shards):
    """A batch of articles described once, and all that the stage needs of
    it: its ``Description``, ``Spilled`` here (its features wait for the
    candidate pairs), its ``shard_bucket_keys`` (tagged ``bucket_keys``)
    and its ``signature_parts`` (tagged ``signatures``). Run in a pool
    worker, so the runner's process never handles a description."""
    described = numbered_description(batch, wire_min_words, passage_min_words)
    return ([Spilled.of(described)]
            + [beam.pvalue.TaggedOutput(BUCKET_KEYS, item) for item in shard_bucket_keys(described, shards)]
            + [beam.pvalue.TaggedOutput(SIGNATURES, item) for item in signature_parts(described)])


def partner_description(batch, wire_min_words, passage_min_words):
    """A batch of an earlier run's articles described as a run's own, and
    ``Spilled`` where it is described (a pool worker)."""
    return [Spilled.of(numbered_description(batch, wire_min_words, passage_min_words))]


def numbered_description(batch, wire_min_words, passage_min_words=DEFAULT_MIN_WORDS):
    """The ``Description`` of a batch of articles."""
    features, keys, owners = describe_articles(batch, wire_min_words, passage_min_words)
    return Description(np.array([number_of(node[0]) for node, _ in features], dtype=np.uint64), features, keys, owners)


def shard_bucket_keys(described, shards):
    """A numbered description in; per shard of bucket keys, ``(shard,
    (keys, article_numbers, article_days))`` out as packed arrays."""
    numbers, features, keys, owners = described
    days = day_numbers([node[1] for node, _ in features])
    return split_by_shard(keys % np.uint64(shards), keys, numbers[owners], days[owners])


def bucket_pairs(keys, numbers, days, window_days=DEFAULT_WINDOW_DAYS):
    """``(first, second, weight)`` arrays: every pair of articles sharing a
    bucket key, weighted so that one shared LSH band, or
    ``MIN_SHARED_FINGERPRINTS`` shared fingerprints, make a candidate.

    In a bucket ordered by date, each article pairs with the ones just
    before it, up to the bucket's cap, and (``window_days`` > 0) only with
    those published at most that many days apart: a crowded bucket costs no
    more than a full one, and what an article pairs with depends only on
    the articles near it in time, whichever run they come in. ``numbers``
    tagged ``STORED`` are earlier runs' articles: paired only with this
    run's."""
    order = np.lexsort((numbers & ~STORED, days, keys))
    keys, numbers, days = keys[order], numbers[order], days[order]
    distinct = run_starts(keys, numbers)
    keys, numbers, days = keys[distinct], numbers[distinct], days[distinct]
    starts = run_starts(keys)
    sizes = np.diff(np.append(starts, len(keys)))
    is_band = keys[starts] < _FINGERPRINT_TAG
    firsts, seconds, weights = [_EMPTY], [_EMPTY], [np.zeros(0, dtype=np.uint32)]
    for size, band in sorted({(int(size), bool(band)) for size, band in zip(sizes, is_band) if size >= 2}):
        i, j = _neighbours(size, MAX_BUCKET if band else MAX_FINGERPRINT_GROUP)
        group_starts = starts[(sizes == size) & (is_band == band)][:, None]
        first, second = (group_starts + i).ravel(), (group_starts + j).ravel()
        if window_days:
            near = np.abs(days[second] - days[first]) <= window_days
            first, second = first[near], second[near]
        firsts.append(numbers[first])
        seconds.append(numbers[second])
        weights.append(np.full(len(first), MIN_SHARED_FINGERPRINTS if band else 1, dtype=np.uint32))
    return _with_this_run(np.concatenate(firsts), np.concatenate(seconds), np.concatenate(weights))


def _neighbours(size, cap):
    """``(i, j)``: the positions of the pairs of a bucket of ``size``, each
    position with the ``cap`` before it."""
    if size - 1 <= cap:
        return np.triu_indices(size, k=1)
    i = np.concatenate([np.arange(size - offset) for offset in range(1, cap + 1)])
    j = i + np.repeat(np.arange(1, cap + 1), size - np.arange(1, cap + 1))
    return i, j


def _with_this_run(firsts, seconds, weights):
    """The pairs with at least one article of this run (two stored articles
    were paired by an earlier run), stored numbers untagged, the smaller
    number first; never an article with itself."""
    kept = ((firsts & STORED) == 0) | ((seconds & STORED) == 0)
    firsts, seconds, weights = firsts[kept] & ~STORED, seconds[kept] & ~STORED, weights[kept]
    kept = firsts != seconds
    return np.minimum(firsts, seconds)[kept], np.maximum(firsts, seconds)[kept], weights[kept]


def summed_pairs(firsts, seconds, weights):
    """The same pairs, each once, with their weights summed."""
    if not len(firsts):
        return firsts, seconds, weights
    order = np.lexsort((seconds, firsts))
    firsts, seconds, weights = firsts[order], seconds[order], weights[order]
    starts = run_starts(firsts, seconds)
    return firsts[starts], seconds[starts], np.add.reduceat(weights, starts, dtype=np.uint32)


_BUCKET_DTYPES = (np.uint64, np.uint64, np.int64)
_PAIR_DTYPES = (np.uint64, np.uint64, np.uint32)


def shard_pair_weights(shard_group, shards, window_days):
    """All the buckets of one shard, paired in memory and summed within the
    shard; out again per shard of the pair's first article, packed (a pair's
    buckets may sit in several shards)."""
    _, blobs = shard_group
    firsts, seconds, weights = summed_pairs(*bucket_pairs(*unpack(blobs, _BUCKET_DTYPES), window_days))
    return split_by_shard(firsts % np.uint64(shards), firsts, seconds, weights)


def candidate_pairs(shard_group):
    """The shard's candidate pairs, those whose summed weight makes them
    one: ``(firsts, seconds, distinct_seconds)``, article numbers as packed
    arrays, the pairs in order of their first article."""
    _, blobs = shard_group
    firsts, seconds, weights = summed_pairs(*unpack(blobs, _PAIR_DTYPES))
    chosen = weights >= MIN_SHARED_FINGERPRINTS
    firsts, seconds = firsts[chosen], seconds[chosen]
    return firsts.tobytes(), seconds.tobytes(), np.unique(seconds).tobytes()


def candidates_of(shard_group):
    """``[candidate_pairs]`` of a shard, as the pool's steps return."""
    return [candidate_pairs(shard_group)]


# Tags of the values grouped in the join: the second article's own
# features, and the features of a first article paired with it.
_FEATURES, _OTHER = 0, 1


def features_to_pairs(described, candidates):
    """Each article's features sent to where its pairs are verified, keyed
    by the pair's second article: its own, if it is the second of some
    candidate pair, and once for each partner, if it is the first of some.
    ``candidates``: every shard's ``candidate_pairs``, looked up here, so
    that features cross a single shuffle and only those of paired articles.
    The features themselves cross as ``spill.stored_each`` references: one
    file per batch for a local run, written once however many pairs an
    article is in."""
    numbers, features, _, _ = described
    is_second = np.zeros(len(numbers), dtype=bool)
    sends = []
    for firsts, seconds, distinct_seconds in candidates:
        firsts, seconds = np.frombuffer(firsts, dtype=np.uint64), np.frombuffer(seconds, dtype=np.uint64)
        is_second |= members(numbers, np.frombuffer(distinct_seconds, dtype=np.uint64))
        starts, ends = np.searchsorted(firsts, numbers), np.searchsorted(firsts, numbers, side="right")
        for index in np.flatnonzero(ends > starts).tolist():
            sends.extend((partner, _OTHER, index) for partner in seconds[starts[index]:ends[index]].tolist())
    sends.extend((int(numbers[index]), _FEATURES, index) for index in np.flatnonzero(is_second).tolist())
    needed = sorted({index for _, _, index in sends})
    references = dict(zip(needed, stored_each([features[index][1] for index in needed])))
    for key, tag, index in sends:
        yield key, (tag, (features[index][0], references[index]))


def _split_tagged(number, tagged):
    """An article's features and the other values grouped with them. A
    pair without its second article's features means the runner lost
    elements between stages: a clear failure, not a wrong answer."""
    features, others = None, []
    for tag, value in tagged:
        if tag == _FEATURES:
            features = value
        else:
            others.append(value)
    if features is None:
        raise MissingFeatures(f"the features of article number {number} never reached its "
                              f"{len(others)} candidate pair(s): elements were lost between stages")
    return features, others


class MissingFeatures(RuntimeError):
    """Raised when the runner has lost an article's features."""


def _verify_joined(groups, wire_threshold, passage_min_words):
    """The pairs of some joined groups (each: a second article's features
    and those of its first articles), verified all at once."""
    pairs, packed = [], {}
    for number, tagged in groups:
        tagged = [(tag, (node, packed.get(reference) or packed.setdefault(reference, loaded(reference))))
                  for tag, (node, reference) in tagged]
        features, firsts = _split_tagged(number, tagged)
        pairs.extend((first, features) for first in firsts)
    return [verify_pairs(pairs, wire_threshold, passage_min_words)]


def with_defaults(batch):
    """A batch's articles as syndication leaves them when they are in no
    copy relation: each its own cluster of one, no wire paragraphs."""
    no_wire = wire_summary([])
    return [{**article, **singleton(article["article_id"]), **no_wire} for article in batch]


class DetectSyndication(beam.PTransform):
    """Batches of articles in; ``(article_batches, article_updates,
    state_parts)`` out: every article with the fields of an article in no
    copy relation; for those in one, an update (``article_id``, ``date``,
    ``source`` and the fields that differ), earlier runs' articles included;
    and the writer parts of the ``signatures`` and ``pairs`` tables.

    ``history``: the output folder whose earlier runs count (None: none do);
    ``owned``: a PCollection of ``(partition_key, None)``, the partitions
    this run writes, whose stored state it replaces.

    Each batch is described at once (``describe_articles``), so that the
    numpy work is paid once per batch. The writer lays updates over the
    articles where each partition's rows are together anyway, so the
    articles are not shuffled once more.
    """

    def __init__(self, jaccard=DEFAULT_JACCARD, containment=DEFAULT_CONTAINMENT,
                 wire_containment=DEFAULT_WIRE_CONTAINMENT, wire_min_words=DEFAULT_WIRE_MIN_WORDS,
                 shards=DEFAULT_SHARDS, processes=1, history=None, owned=None, window_days=DEFAULT_WINDOW_DAYS,
                 passage_min_words=DEFAULT_MIN_WORDS):
        super().__init__()
        self.passage_min_words = passage_min_words
        self.processes = processes
        self.shards = shards
        self.jaccard = jaccard
        self.containment = containment
        self.wire_containment = wire_containment
        self.wire_min_words = wire_min_words
        if history and owned is None:
            raise ValueError("a history needs the partitions this run owns")
        self.history = history
        self.owned = owned
        self.window_days = window_days

    def _pooled(self, work, *args):
        """A step whose work goes to the pool, so the runner's own process
        (the busiest in a local run) only hands it on. Steps that read the
        output stay here: the pool's processes were forked before a run's
        file-system settings (credentials, endpoints) were known."""
        return beam.ParDo(PooledFn("syndication", work, *args, counted=nothing, processes=self.processes))

    def expand(self, article_batches):
        owned = beam.pvalue.AsDict(self.owned) if self.owned is not None else None
        days = beam.pvalue.AsSingleton(
            self.owned | "OwnedKeys" >> beam.combiners.ToList() | "OwnedDays" >> beam.Map(owned_days)
        ) if self.owned is not None else None
        described = article_batches | "Describe" >> beam.ParDo(PooledFn(
            "syndication", description_of, self.wire_min_words, self.passage_min_words, self.shards, counted_input=len,
            processes=self.processes)).with_outputs(BUCKET_KEYS, SIGNATURES, main="spilled")
        history = (
            article_batches.pipeline
            | "History" >> beam.Create([self.history] if self.history else [])
            | "FinishInterruptedPublishes" >> beam.Map(finish_interrupted_publishes)
        )
        earlier_partitions = (
            history
            | "StoredPartitions" >> beam.FlatMap(stored_partitions)
            | "SpreadPartitions" >> beam.Reshuffle()
        )
        candidates = (
            (described[BUCKET_KEYS],
             earlier_partitions | "StoredBucketKeys" >> beam.FlatMap(
                stored_bucket_keys, self.history, self.shards, self.window_days, owned, days))
            | "AllBucketKeys" >> beam.Flatten()
            | "Buckets" >> beam.GroupByKey()
            | "PairWeightsByShard" >> self._pooled(shard_pair_weights, self.shards, self.window_days)
            | "Pairs" >> beam.GroupByKey()
            | "Candidates" >> self._pooled(candidates_of)
        )
        partners = (
            earlier_partitions
            | "StoredPartners" >> beam.FlatMap(
                stored_partners, self.history,
                beam.pvalue.AsSingleton(candidates | "CandidateNumbers" >> beam.combiners.ToList()
                                        | "AllCandidateNumbers" >> beam.Map(candidate_numbers)),
                owned, days, self.window_days, ARTICLES_PER_BATCH)
            | "DescribePartners" >> self._pooled(partner_description, self.wire_min_words, self.passage_min_words)
        )
        # The join is a lookup: the candidate pairs (16 bytes each) reach
        # every worker, and each pair's features meet in one GroupByKey.
        verified_batches = (
            (described.spilled, partners)
            | "AllDescribed" >> beam.Flatten()
            | "FeaturesToPairs" >> beam.FlatMap(
                lambda spilled, candidates: features_to_pairs(spilled.value(), candidates), beam.pvalue.AsList(candidates))
            | "JoinPairs" >> beam.GroupByKey()
            | "Groups" >> beam.BatchElements(min_batch_size=ARTICLES_PER_BATCH, max_batch_size=ARTICLES_PER_BATCH)
            | "Verify" >> self._pooled(_verify_joined, self.wire_containment, self.passage_min_words)
        )
        related = (
            verified_batches
            | "NewPairs" >> beam.FlatMap(new_pairs, self.jaccard, self.containment)
            | "GatherPairs" >> beam.GroupByKey()
            | "Relations" >> beam.FlatMap(relation_outputs, beam.pvalue.AsList(history), owned,
                                          self.jaccard, self.containment
                                          ).with_outputs("parts", main="updates")
        )
        wire_updates = (
            verified_batches
            | "WireHits" >> beam.FlatMap(wire_hits, owned)
            | "WireByArticle" >> beam.GroupByKey()
            | "WireFields" >> beam.MapTuple(wire_update)
        )
        updates = (related.updates, wire_updates) | "AllUpdates" >> beam.Flatten()
        state_parts = (
            (described[SIGNATURES], related.parts)
            | "StateParts" >> beam.Flatten()
        )
        return article_batches | "Defaults" >> beam.Map(with_defaults), updates, state_parts
