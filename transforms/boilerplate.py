"""Boilerplate removal: keep the article body, drop page chrome, say why.

Paragraph level, in three layers; a removed paragraph keeps the reason of the
first layer that caught it:

3. structure and patterns (``transforms/data/boilerplate.json``, extensible):
   lines with no Arabic word, related-articles blocks (an end marker drops
   itself and everything after it), see-also links, photo captions ending in
   an agency credit, credit and byline lines, blurbs ending in a site name;
1. in-document repeats: a paragraph whose matching key already occurred
   (the repeated title, duplicated captions) goes after its first occurrence;
2. corpus frequency: a paragraph key found in at least K articles of the
   same source is that source's boilerplate (a Beam join, C4-style).

For ``.txt`` input the title is the first line that is not chrome.
"""

import functools
import pathlib
import re
from dataclasses import dataclass
from typing import NamedTuple

import apache_beam as beam
import numpy as np

from transforms.dates import MONTH_NAMES
from transforms.files import load_extended_json
from transforms.packed import members, number_of, numbers_of, run_starts, split_by_shard, unpack
from transforms.pool import PooledFn
from transforms.progress import batch_size, nothing
from transforms.rejects import ONLY_BOILERPLATE, Rejected, reject_record
from transforms.spill import Spilled
from transforms.text import (
    ARABIC_LETTER, fold_arabic, fold_paragraphs, lines_of_many, matching_key, paragraph_keys,
    paragraphs,
)

DEFAULT_PATTERNS = pathlib.Path(__file__).parent / "data" / "boilerplate.json"
DEFAULT_MIN_SOURCE_DOCS = 5
DEFAULT_SHARDS = 64  # layer 2 counts per shard: each holds 1/64 of all paragraph keys in memory

# Reasons, layer by layer.
NO_ARABIC = "no_arabic"
RELATED_BLOCK = "related_block"
SEE_ALSO = "see_also"
CAPTION = "caption"
CREDIT = "credit"
BYLINE = "byline"
SITE_BLURB = "site_blurb"
TIMESTAMP = "timestamp"
DATELINE = "dateline"
PATTERN = "pattern"
REPEAT = "repeat"
REPEATED_TITLE = "repeated_title"
SOURCE_BOILERPLATE = "source_boilerplate"
LAYER_OF = {
    **{r: "structure" for r in (NO_ARABIC, RELATED_BLOCK, SEE_ALSO, CAPTION, CREDIT, BYLINE, SITE_BLURB, PATTERN,
                                 TIMESTAMP, DATELINE)},
    REPEAT: "repeat", REPEATED_TITLE: "repeat", SOURCE_BOILERPLATE: "corpus",
}

_SENTENCE_END = re.compile(r"[.!?؟…]\s*$")
_STATEMENT_END = re.compile(r"[.!…]\s*$")
_TRAILING_PARENS = re.compile(r"\(([^()]{1,80})\)\s*$")
_WHOLLY_PARENS = re.compile(r"^\(([^()]{1,120})\)\.?$")
_BYLINE = re.compile(r"^«?[^()«»]{2,40}»?\s*\([^()]{2,30}\)$")
_MARKER_TAIL = re.compile(r"^\s*[:：\-–—]")
_DASH = re.compile(r"\s[-–—|]\s")
_DIGIT = re.compile(r"\d")
# Day names, month names (every regional form) and clock words, for lines
# that are only a publication time.
_DATE_WORDS = (
    "الأحد", "الاثنين", "الإثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت",
    "م", "ص", "مساء", "صباحا", "بتوقيت", "توقيت", "غرينتش", "GMT", "GST", "UTC", "ساعة", "دقيقة",
    *MONTH_NAMES,
)


def _alternation(items):
    return "|".join(sorted((re.escape(fold_arabic(i)) for i in items), key=len, reverse=True))


@dataclass(frozen=True)
class Rules:
    """Compiled chrome patterns."""

    end_markers: frozenset
    link_markers: frozenset
    link_marker_first_words: frozenset
    longest_link_marker: int
    agency: re.Pattern
    site_names: frozenset
    outlet_names: frozenset
    timestamp_words: frozenset
    line_pattern: re.Pattern
    multiword_site_endings: tuple
    caption_max_words: int
    byline_max_words: int
    timestamp_max_words: int
    short_line_words: int  # lines longer than this can only be caught by the first rules


def load_rules(extra_path=None):
    """The shipped patterns, plus a user's file (same keys) where given."""
    spec = load_extended_json(DEFAULT_PATTERNS, extra_path)
    agencies = _alternation(spec["agencies"])
    return Rules(
        end_markers=frozenset(matching_key(m) for m in spec["end_markers"]),
        link_markers=frozenset(matching_key(m) for m in spec["link_markers"]),
        link_marker_first_words=frozenset(matching_key(m).split(" ", 1)[0] for m in spec["link_markers"]),
        longest_link_marker=max(len(matching_key(m).split()) for m in spec["link_markers"]),
        agency=re.compile(rf"(?:^|[\s(،,/\-]|\b)(?:{agencies})(?:$|[\s)،,/\-]|\b)", re.I),
        site_names=frozenset(matching_key(s) for s in spec["site_names"]),
        outlet_names=frozenset(matching_key(s) for s in spec["outlet_names"]),
        timestamp_words=frozenset(
            word for phrase in spec["timestamp_prefixes"] + list(_DATE_WORDS) for word in matching_key(phrase).split()
        ),
        # one alternation: a single regex call per line instead of one per pattern
        line_pattern=re.compile(
            "|".join(f"(?:{fold_arabic(p).replace('{agency}', agencies)})" for p in spec["line_patterns"]), re.I
        ),
        multiword_site_endings=tuple(" " + matching_key(s) for s in spec["site_names"] if " " in matching_key(s)),
        caption_max_words=int(spec["caption_max_words"]),
        byline_max_words=int(spec["byline_max_words"]),
        timestamp_max_words=int(spec["timestamp_max_words"]),
        short_line_words=max(20, *(int(spec[key]) for key in ("caption_max_words", "byline_max_words",
                                                              "timestamp_max_words"))),
    )


def structural_reason(paragraph, rules, key=None, folded=None):
    """Why a single line is chrome by its own look, or None. ``key`` and
    ``folded`` are its matching key and folded form, when the caller has
    them already."""
    if not ARABIC_LETTER.search(paragraph):
        return NO_ARABIC
    folded = (fold_arabic(paragraph) if folded is None else folded).strip()
    key = matching_key(paragraph) if key is None else key
    if key.partition(" ")[0] in rules.link_marker_first_words:  # most lines stop here
        key_words = key.split(" ", rules.longest_link_marker)
        for length in range(1, min(rules.longest_link_marker, len(key_words) - 1) + 1):
            marker = " ".join(key_words[:length])
            if marker in rules.link_markers and _MARKER_TAIL.match(folded[len(_prefix(folded, marker)):]):
                return SEE_ALSO
    if rules.line_pattern.search(folded):
        return CREDIT if "وكالات" in folded or rules.agency.search(folded) else PATTERN
    last_word = key.rsplit(" ", 1)[-1] if key else ""
    if last_word in rules.site_names or key.endswith(rules.multiword_site_endings):
        return SITE_BLURB
    if "  " not in folded and folded.count(" ") >= rules.short_line_words:
        return None  # at least that many words, without splitting a long line
    words = len(folded.split())
    if words > rules.short_line_words:
        return None  # the rules below are for short lines only
    wholly = _WHOLLY_PARENS.match(folded) if folded.startswith("(") else None
    if wholly and _only_agencies(wholly.group(1), rules):
        return CREDIT
    trailing = _TRAILING_PARENS.search(folded) if folded.endswith(")") else None
    if trailing and words <= rules.caption_max_words and rules.agency.search(trailing.group(1)):
        if not _SENTENCE_END.search(folded[: trailing.start()]):
            return CAPTION
    if words <= rules.byline_max_words and _BYLINE.match(folded):
        return BYLINE
    if words <= rules.byline_max_words and _is_dateline(folded, key, rules):
        return DATELINE
    if words <= rules.timestamp_max_words and _is_timestamp(key, rules):
        return TIMESTAMP
    return None


def _is_dateline(folded, key, rules):
    """An outlet's name alone, or "city - outlet" / "outlet - author"."""
    if key in rules.outlet_names:
        return True
    sides = _DASH.split(folded, maxsplit=1)
    return len(sides) == 2 and any(matching_key(side) in rules.outlet_names for side in sides)


def _is_timestamp(key, rules):
    """A line that is mostly a date and a time: "نشر في: الأحد 2 يونيو 2024 - 20:05"."""
    if not _DIGIT.search(key):
        return False
    words = key.split()
    dated = sum(1 for w in words if w.isdigit() or w in rules.timestamp_words)
    return dated >= 0.6 * len(words)


def _prefix(folded, marker):
    """The part of ``folded`` that spells ``marker`` (punctuation ignored)."""
    wanted = len(marker.split())
    match = re.match(r"\W*" + r"\W+".join([r"\w+"] * wanted), folded)
    return match.group(0) if match else ""


def _is_headline(paragraph, rules):
    """A linked headline: short, not ending like a sentence (a question
    mark may end a headline)."""
    return len(paragraph.split()) <= rules.caption_max_words and not _STATEMENT_END.search(paragraph)


def _only_agencies(inner, rules):
    rest = rules.agency.sub(" ", inner)
    return not re.sub(r"[\s،,/\-–—و]+", "", rest)


def source_paragraph_codes(sources, keys_per_article):
    """The numbers layer 2 counts and looks up: each paragraph's matching key
    within its article's source, for all paragraphs of many articles at
    once (one array, the articles' paragraphs end to end)."""
    salts = [_source_number(source) for source in sources]
    counts = [len(keys) for keys in keys_per_article]
    keys = [key for keys in keys_per_article for key in keys]
    return numbers_of(keys, np.repeat(np.array(salts, dtype=np.uint64), counts))


@functools.lru_cache(maxsize=4096)
def _source_number(source):
    return number_of(str(source))


def document_paragraphs(record):
    """The paragraphs boilerplate removal looks at: for ``.txt`` input the
    title line comes first, since it may itself be chrome ("Logo")."""
    body = paragraphs(record["text"])
    if record.get("input_format") == "txt" and record.get("title"):
        return [record["title"]] + body, True
    return body, False


def _documents(records, line_function):
    """Each record's paragraphs and whether its title is the first of them,
    and ``line_function`` (``paragraph_keys``, ``fold_paragraphs``) of every
    paragraph: computed for the whole batch at once."""
    documents = [document_paragraphs(record) for record in records]
    texts = ["\n".join(items) for items, _ in documents]
    return documents, lines_of_many(line_function, texts)


_NO_CODES = np.zeros(0, dtype=np.uint64)


class KeyedBatch(NamedTuple):
    """A batch of records with what both branches of layer 2 need, computed
    once: each record's paragraph keys, and all their
    ``source_paragraph_codes`` end to end. The paragraphs themselves are
    split again where needed: cheaper than carrying them across the stage."""

    records: list
    keys_per_article: list
    codes: np.ndarray


def keyed_batch(records):
    _, keys_per_article = _documents(records, paragraph_keys)
    codes = source_paragraph_codes([record.get("source") for record in records], keys_per_article)
    return KeyedBatch(records, keys_per_article, codes)


def remove_boilerplate(record, rules, source_boilerplate=_NO_CODES):
    """``(article, removed_rows)``: the record with ``title`` and ``text``
    cleaned of chrome, and one row per removed paragraph.

    ``source_boilerplate`` is the sorted array of the
    ``source_paragraph_codes`` that layer 2 found to be their source's
    boilerplate.
    """
    return remove_boilerplate_from_many(keyed_batch([record]), rules, source_boilerplate)[0]


def remove_boilerplate_from_many(batch, rules, source_boilerplate=_NO_CODES):
    """``remove_boilerplate`` of a ``KeyedBatch``: the text work is done for
    the whole batch at once."""
    documents, folded_per_article = _documents(batch.records, fold_paragraphs)
    frequent = members(batch.codes, source_boilerplate)
    results, start = [], 0
    for record, (items, title_in_text), keys, folded in zip(batch.records, documents, batch.keys_per_article,
                                                            folded_per_article):
        flags = frequent[start:start + len(keys)].tolist()
        start += len(keys)
        results.append(_cleaned(record, items, title_in_text, keys, folded, flags, rules))
    return results


def _cleaned(record, items, title_in_text, keys, folded, frequent, rules):
    """One record through the three layers, its paragraphs' keys, folded
    forms and layer-2 flags given."""
    reasons = [None] * len(items)
    for index, paragraph in enumerate(items):
        if keys[index] in rules.end_markers:
            for later in range(index, len(items)):
                reasons[later] = reasons[later] or RELATED_BLOCK
            break
        if keys[index] in rules.link_markers:
            reasons[index] = SEE_ALSO
            following = index + 1
            if following < len(items) and _is_headline(items[following], rules):
                reasons[following] = SEE_ALSO
            continue
        reasons[index] = reasons[index] or structural_reason(paragraph, rules, keys[index], folded[index])
    title = record.get("title")
    title_index = None
    if title_in_text:
        title_index = next((i for i, r in enumerate(reasons) if r is None), None)
        title = items[title_index] if title_index is not None else None
    title_key = (keys[title_index] if title_index is not None else matching_key(title)) if title else None
    seen = {title_key} if title else set()
    for index, key in enumerate(keys):
        if reasons[index] or index == title_index:
            continue
        if key in seen:
            reasons[index] = REPEATED_TITLE if key == title_key else REPEAT
        elif frequent[index]:
            reasons[index] = SOURCE_BOILERPLATE
        seen.add(key)
    body = [p for i, (p, r) in enumerate(zip(items, reasons)) if r is None and i != title_index]
    removed = [
        {
            "article_id": record["article_id"],
            "paragraph_index": index,
            "paragraph": paragraph,
            "reason": reason,
            "layer": LAYER_OF[reason],
            "date": record.get("date"),
            "source": record.get("source"),
        }
        for index, (paragraph, reason) in enumerate(zip(items, reasons))
        if reason
    ]
    article = dict(record)
    text = "\n".join(body)
    article.update(title=title, text=text, char_count=len(text), paragraph_count=len(body),
                   removed_paragraph_count=len(removed))
    return article, removed


_CODE_DTYPES = (np.uint64, np.uint64)


def shard_paragraph_codes(batch, shards):
    """A ``KeyedBatch`` in; per shard of paragraph codes, ``(shard,
    (paragraph_codes, document_codes))`` out as packed arrays. Exact copies
    of one article share a document code, so they count once."""
    keys_per_article = batch.keys_per_article
    documents = np.repeat(numbers_of(["\n".join(keys) for keys in keys_per_article]),
                          [len(keys) for keys in keys_per_article])
    non_empty = np.array([bool(key) for keys in keys_per_article for key in keys], dtype=bool)
    codes, documents = batch.codes[non_empty], documents[non_empty]
    return split_by_shard(codes % np.uint64(shards), codes, documents)


def frequent_in_shard(shard_group, minimum):
    """The paragraph codes of one shard found in at least ``minimum``
    distinct documents, packed, under the one key that gathers all shards."""
    _, packed = shard_group
    codes, documents = unpack(packed, _CODE_DTYPES)
    order = np.lexsort((documents, codes))
    codes = codes[order][run_starts(codes[order], documents[order])]  # one per (paragraph, document)
    starts = run_starts(codes)
    documents_per_code = np.diff(np.append(starts, len(codes)))
    return [(None, (codes[starts][documents_per_code >= minimum].tobytes(),))]


REMOVED, REJECTS = "removed", "rejects"


@functools.lru_cache(maxsize=8)
def _rules(patterns_path):
    """The compiled rules, once per worker process."""
    return load_rules(patterns_path)


SHARDS = "shards"


def keys_of(batch, shards):
    """A batch of articles as its ``KeyedBatch``, ``Spilled`` here (it waits
    for layer 2's counts), then its paragraph codes by shard (tagged
    ``shards``) for the counting."""
    keyed = keyed_batch(batch)
    return [Spilled.of(keyed)] + [beam.pvalue.TaggedOutput(SHARDS, item) for item in shard_paragraph_codes(keyed, shards)]


def clean_batch(spilled, patterns_path, source_boilerplate):
    """A ``Spilled`` ``KeyedBatch`` through all three layers: the batch of
    cleaned articles (if any), the removed paragraphs of the whole batch as
    one list (tagged ``removed``), and a rejects row (tagged ``rejects``)
    for each article left with no body. ``source_boilerplate``: layer 2's
    frequent codes, a sorted array's bytes."""
    batch = spilled.value()
    rules = _rules(patterns_path)
    frequent = np.frombuffer(source_boilerplate, dtype=np.uint64)
    cleaned_articles, removed_rows, rejected = [], [], []
    for article, (cleaned, removed) in zip(batch.records, remove_boilerplate_from_many(batch, rules, frequent)):
        if not cleaned["text"] and any(row["reason"] == SOURCE_BOILERPLATE for row in removed):
            # Layer 2 never takes the last of a body: a source that publishes
            # the same story many times is not boilerplate.
            cleaned, removed = remove_boilerplate(article, rules)
        removed_rows.extend(removed)
        if cleaned["text"]:
            cleaned_articles.append(cleaned)
        else:
            counts = {}
            for row in removed:
                counts[row["reason"]] = counts.get(row["reason"], 0) + 1
            error = Rejected(ONLY_BOILERPLATE, ", ".join(f"{r}: {n}" for r, n in sorted(counts.items())))
            rejected.append(beam.pvalue.TaggedOutput(REJECTS, reject_record(article, error)))
    outputs = [cleaned_articles] if cleaned_articles else []
    if removed_rows:
        outputs.append(beam.pvalue.TaggedOutput(REMOVED, removed_rows))
    return outputs + rejected


def _sorted_codes(_, packed_codes):
    """All frequent codes as one sorted array's bytes: the side input every
    worker searches (a bytes value costs the runner's cache nothing to
    size, unlike a set of numbers)."""
    return np.unique(unpack(packed_codes, (np.uint64,))[0]).tobytes()


class RemoveBoilerplate(beam.PTransform):
    """Batches of articles in; ``(article_batches, removed_paragraphs,
    rejects)`` out, the removed paragraphs as one list per batch.

    Layer 2 counts, per source, the distinct articles each paragraph occurs
    in (per shard of paragraph codes); codes found in ``min_source_docs`` or
    more reach every worker as a side input (a few hundred lines per source,
    whatever the corpus size).
    """

    def __init__(self, patterns_path=None, min_source_docs=DEFAULT_MIN_SOURCE_DOCS, shards=DEFAULT_SHARDS,
                 processes=1):
        super().__init__()
        self.shards = shards
        self.patterns_path = patterns_path
        self.min_source_docs = min_source_docs
        self.processes = processes
        load_rules(patterns_path)  # a broken patterns file fails before the run starts

    def expand(self, article_batches):
        minimum = self.min_source_docs
        batches = article_batches | "Keys" >> beam.ParDo(
            PooledFn("boilerplate", keys_of, self.shards, counted=nothing, processes=self.processes)
        ).with_outputs(SHARDS, main="keyed")
        frequent = (
            batches[SHARDS]
            | "Shards" >> beam.GroupByKey()
            | "Frequent" >> beam.FlatMap(frequent_in_shard, minimum)
        )
        # one GroupByKey gathers the shards: a global combiner would add
        # seven steps of fixed cost for a few dozen elements
        source_boilerplate = beam.pvalue.AsSingleton(
            frequent
            | "AllFrequent" >> beam.GroupByKey()
            | "Sorted" >> beam.MapTuple(_sorted_codes)
        )
        outputs = batches.keyed | "ApplyLayers" >> beam.ParDo(
            PooledFn("boilerplate", clean_batch, self.patterns_path, counted=batch_size, processes=self.processes),
            source_boilerplate,
        ).with_outputs(REMOVED, REJECTS, main="articles")
        return outputs.articles, outputs[REMOVED], outputs[REJECTS]
