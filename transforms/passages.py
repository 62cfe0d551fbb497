"""Shared passages: verbatim or near-verbatim runs of words that two articles
hold, found whatever their paragraph breaks (one outlet runs a wire story's
paragraphs together, another hard-wraps it, a third rewrites around one
sentence of it), with character offsets in both texts.

Plain numpy over each article's words, in the spirit of text-reuse
detection for newspapers (passim): words are compared by the hash of their
matching key (``text.matching_key``: diacritics, alef and yeh forms and
punctuation do not count); runs of equal word 3-shingles on one diagonal
are exact matches, and runs close to each other in both texts join into one
passage. Only candidate pairs get here (``syndication``): no all-pairs work.
"""

from typing import NamedTuple

import numpy as np

from transforms.packed import run_starts, span_numbers, true_runs
from transforms.text import key_codes_with_positions

SHINGLE_WORDS = 3
DEFAULT_MIN_WORDS = 20  # one whole sentence of news prose; set phrases are shorter
MAX_GAP_WORDS = 6  # an edit of up to this many words inside a passage does not split it
MAX_OCCURRENCES = 4  # a shingle more frequent in one text is a set phrase: no anchor
MIN_RUN_SHINGLES = 2  # a lone equal shingle (three words) in rewritten text is chance, not a passage

_MASK = np.uint64(0xFFFFFFFF)
_SPACE, _NEWLINE = np.uint32(ord(" ")), np.uint32(ord("\n"))
#: Multipliers that combine the hashes of a shingle's words, one per position.
SHINGLE_MIX = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D], dtype=np.uint64)[:SHINGLE_WORDS]
_IS_SENTENCE_END = np.zeros(0x110000, dtype=bool)
_IS_SENTENCE_END[[ord(char) for char in ".!?؟;؛…"]] = True
ANCHORS_PER_SENTENCE = 2


class BatchWords(NamedTuple):
    """The words of many texts, end to end: each word's hash, character
    span in its own text and line (``paragraphs``: counted over all the
    texts, each starting on a new line), each text's first word
    (``bounds``, one more than texts), and the sentence anchors of every
    text (``anchor_values`` and the text each belongs to)."""

    hashes: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    paragraphs: np.ndarray
    bounds: np.ndarray
    anchor_values: np.ndarray
    anchor_texts: np.ndarray

    def of(self, index):
        """``words_with_offsets`` of one text."""
        first, last = self.bounds[index], self.bounds[index + 1]
        return self.hashes[first:last], self.starts[first:last], self.ends[first:last]


def batch_words(texts, min_words=DEFAULT_MIN_WORDS):
    """The words and sentence anchors of many texts (NFC, as the job
    publishes them) in a few numpy passes over all of them.

    A word is a run of a matching key (``text.matching_key``: diacritics,
    alef and yeh forms and punctuation do not count), hashed to 32 bits;
    its span covers its diacritics. Paragraph breaks are ignored. The
    anchors of a text are the ``ANCHORS_PER_SENTENCE`` smallest shingle
    hashes of each of its sentences of at least ``min_words`` words,
    sentences ending at sentence punctuation, not at line breaks: two texts
    that share such a sentence share its anchors however each breaks its
    lines or rewrites around it."""
    joined = "\n".join(texts)
    text_starts = np.cumsum([0] + [len(text) + 1 for text in texts])
    keyed, positions = key_codes_with_positions(joined)
    starts, ends = true_runs((keyed != _SPACE) & (keyed != _NEWLINE))
    hashes = (span_numbers(keyed, starts, ends) & _MASK).astype(np.uint32)
    char_starts, char_ends = positions[starts], np.append(positions, len(joined))[ends]
    text_of_word = np.searchsorted(text_starts, char_starts, side="right") - 1
    bounds = np.searchsorted(text_of_word, np.arange(len(texts) + 1))
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    ends_before = np.concatenate([[0], np.cumsum(np.take(_IS_SENTENCE_END, codes))])
    new_sentence = (ends_before[char_starts[1:]] > ends_before[char_ends[:-1]]) | (text_of_word[1:] != text_of_word[:-1])
    sentence = np.concatenate([[0], np.cumsum(new_sentence)]) if len(hashes) else np.zeros(0, dtype=np.int64)
    values = shingles(hashes)
    first, last = sentence[:len(values)], sentence[SHINGLE_WORDS - 1:]
    kept = (first == last) & (np.bincount(sentence)[first] >= min_words) if len(values) else np.zeros(0, dtype=bool)
    ordered = np.lexsort((values[kept], first[kept]))
    groups, values, anchor_texts = first[kept][ordered], values[kept][ordered], text_of_word[:len(kept)][kept][ordered]
    chosen = np.arange(len(groups)) - np.searchsorted(groups, groups) < ANCHORS_PER_SENTENCE
    local = text_starts[text_of_word]
    paragraphs = np.searchsorted(np.flatnonzero(codes == _NEWLINE), char_starts)
    return BatchWords(hashes, (char_starts - local).astype(np.int32), (char_ends - local).astype(np.int32),
                      paragraphs, bounds, values[chosen], anchor_texts[chosen])


def words_with_offsets(text):
    """``(hashes, starts, ends)`` of the words of one text (``batch_words``)."""
    return batch_words([text]).of(0)


def sentence_anchors(text, min_words=DEFAULT_MIN_WORDS):
    """The sorted unique sentence anchors of one text (``batch_words``)."""
    return np.unique(batch_words([text], min_words).anchor_values)


def shingles(hashes):
    """The hash of each run of ``SHINGLE_WORDS`` consecutive words."""
    count = len(hashes) - SHINGLE_WORDS + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    combined = np.zeros(count, dtype=np.uint64)
    for offset in range(SHINGLE_WORDS):
        combined = (combined + hashes[offset:offset + count].astype(np.uint64) * SHINGLE_MIX[offset]) & _MASK
    return combined


def _anchors(a, b):
    """``(i, j)``: every position pair where shingle ``a[i]`` equals ``b[j]``,
    leaving out shingles that occur more than ``MAX_OCCURRENCES`` times in
    either text."""
    order = np.argsort(b, kind="stable")
    sorted_b = b[order]
    low, high = np.searchsorted(sorted_b, a), np.searchsorted(sorted_b, a, side="right")
    counts = high - low
    _, inverse, a_counts = np.unique(a, return_inverse=True, return_counts=True)
    usable = (counts > 0) & (counts <= MAX_OCCURRENCES) & (a_counts[inverse] <= MAX_OCCURRENCES)
    i = np.repeat(np.flatnonzero(usable), counts[usable])
    within = np.arange(len(i)) - np.repeat(np.cumsum(counts[usable]) - counts[usable], counts[usable])
    j = order[np.repeat(low[usable], counts[usable]) + within]
    return i, j


def exact_runs(a, b):
    """Runs of equal consecutive shingles: ``(a_start, b_start, length)``
    arrays in shingles, ordered by ``a_start``."""
    i, j = _anchors(a, b)
    if not len(i):
        return np.zeros((3, 0), dtype=np.int64)
    diagonal = j - i
    order = np.lexsort((i, diagonal))
    i, diagonal = i[order], diagonal[order]
    breaks = run_starts(diagonal, i - np.arange(len(i)))
    lengths = np.diff(np.append(breaks, len(i)))
    a_start = i[breaks]
    runs = np.stack([a_start, a_start + diagonal[breaks], lengths])
    return runs[:, np.argsort(runs[0], kind="stable")]


def _joined(runs):
    """Exact runs of at least ``MIN_RUN_SHINGLES`` chained into passages: a
    run continues the passage before it when it starts at most
    ``MAX_GAP_WORDS`` words after it in both texts; ``[(a_start, a_end, b_start, b_end, matched)]`` in shingles,
    ends exclusive."""
    passages = []
    for a_start, b_start, length in runs[:, runs[2] >= MIN_RUN_SHINGLES].T.tolist():
        a_end, b_end = a_start + length, b_start + length
        if passages:
            last = passages[-1]
            if 0 <= a_start - last[1] <= MAX_GAP_WORDS and 0 <= b_start - last[3] <= MAX_GAP_WORDS:
                passages[-1] = [last[0], a_end, last[2], b_end, last[4] + length]
                continue
            if a_start < last[1]:  # overlaps the passage before it in ``a``: another copy of the same words
                continue
        passages.append([a_start, a_end, b_start, b_end, length])
    return passages


def shared_passages(a_words, b_words, min_words=DEFAULT_MIN_WORDS):
    """The passages two articles share (``words_with_offsets`` of each):
    ``[(a_start_char, a_end_char, b_start_char, b_end_char, words,
    similarity)]``, each at least ``min_words`` words long in both texts;
    ``similarity`` is the share of the two spans' shingles that match."""
    (a_hashes, a_starts, a_ends), (b_hashes, b_starts, b_ends) = a_words, b_words
    found = []
    for a_first, a_stop, b_first, b_stop, matched in _joined(exact_runs(shingles(a_hashes), shingles(b_hashes))):
        a_last, b_last = a_stop + SHINGLE_WORDS - 2, b_stop + SHINGLE_WORDS - 2  # last word of each span
        words = min(a_last - a_first, b_last - b_first) + 1
        if words < min_words:
            continue
        similarity = 2 * matched / ((a_stop - a_first) + (b_stop - b_first))
        found.append((int(a_starts[a_first]), int(a_ends[a_last]), int(b_starts[b_first]), int(b_ends[b_last]),
                      int(words), round(float(similarity), 4)))
    return found
