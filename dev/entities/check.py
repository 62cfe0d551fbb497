"""Validator for the hand-written entity dev set (``tuning.jsonl`` and ``test.jsonl`` next to this
file, checked as one set unless paths are given).

Checks, for every article:

* the record has ``id``, ``topic``, ``outlet_style``, ``text`` and ``entities``, and ids are unique;
* the text has at least 120 words (whitespace-separated tokens) and at least 4 entities;
* every entity has a non-empty ``canonical``, a ``label`` in PER/LOC/ORG, a non-empty list of
  distinct ``mentions``, and its canonical is not listed twice in the same article;
* every mention is a substring of the text and occurs at least once at a word start, i.e. preceded by
  the start of the text, whitespace or punctuation, or by a proclitic (و ف ب ك ل) that itself
  starts the word.  One extra conjunction before the proclitic is accepted (وب, فل, ...),
  because that is how Arabic writes "and in X".  That occurrence must also end a word
  (followed by the end of the text, whitespace or punctuation);
* a mention does not carry its own proclitic (it is not ``<proclitic> + <another mention>``);
* a mention that starts with ``لل`` only appears on an entity marked ``"prefixed": true``, and at
  most 5 entities in the whole set are marked so;
* a surface form is not given to two different entities of the same article;
* across the set, one canonical always has the same label.

Prints counts per topic and per label and the number of distinct canonicals.  Standard library only;
exits with status 1 if any check fails.

    cd /work/main && .venv/bin/python -m dev.entities.check [PATH ...]
"""
import collections
import json
import pathlib
import sys
import unicodedata

LABELS = ("PER", "LOC", "ORG")
TOPICS = ("politics", "regional", "economy", "business", "sports", "health", "security", "culture")
PROCLITICS = "وفبكل"
CONJUNCTIONS = "وف"
MIN_WORDS = 120
MIN_ENTITIES = 4
MAX_PREFIXED = 5
DEFAULT_PATHS = [pathlib.Path(__file__).with_name(f"{half}.jsonl") for half in ("tuning", "test")]


def _is_boundary(ch):
    """True for characters that cannot be inside an Arabic/Latin word (space, punctuation, quotes)."""
    return unicodedata.category(ch)[0] not in "LMN"


def _word_start(text, i):
    """Is position ``i`` the start of a word, allowing up to two leading proclitics?"""
    if i == 0 or _is_boundary(text[i - 1]):
        return True
    # one proclitic (ب، ل، ك، و، ف) at the start of the word
    if text[i - 1] in PROCLITICS:
        if i - 1 == 0 or _is_boundary(text[i - 2]):
            return True
        # conjunction + proclitic (وب، فل، ...)
        if text[i - 2] in CONJUNCTIONS and (i - 2 == 0 or _is_boundary(text[i - 3])):
            return True
    return False


def mention_ok(text, mention):
    """Return True if ``mention`` occurs in ``text`` at least once as a whole word (after any proclitics).

    The occurrence must start a word (see ``_word_start``) and end one (followed by the end of the
    text, whitespace or punctuation), so "مصر" inside "مصرف" or "المصرية" does not count.
    """
    start = text.find(mention)
    while start != -1:
        end = start + len(mention)
        if _word_start(text, start) and (end == len(text) or _is_boundary(text[end])):
            return True
        start = text.find(mention, start + 1)
    return False


def load(path):
    records, errors = [], []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                records.append((lineno, json.loads(line)))
            except json.JSONDecodeError as exc:
                errors.append(f"line {lineno}: invalid JSON: {exc}")
    return records, errors


def check(records):
    errors = []
    seen_ids = set()
    labels_of = collections.defaultdict(set)
    prefixed = 0
    for lineno, art in records:
        where = f"line {lineno} ({art.get('id', '?')})"
        missing = [k for k in ("id", "topic", "outlet_style", "text", "entities") if k not in art]
        if missing:
            errors.append(f"{where}: missing keys {missing}")
            continue
        aid, text, ents = art["id"], art["text"], art["entities"]
        if aid in seen_ids:
            errors.append(f"{where}: duplicate id")
        seen_ids.add(aid)
        if art["topic"] not in TOPICS:
            errors.append(f"{where}: unknown topic {art['topic']!r}")
        if not isinstance(text, str) or not text.strip():
            errors.append(f"{where}: empty text")
            continue
        words = len(text.split())
        if words < MIN_WORDS:
            errors.append(f"{where}: {words} words (< {MIN_WORDS})")
        if not isinstance(ents, list) or len(ents) < MIN_ENTITIES:
            errors.append(f"{where}: {len(ents) if isinstance(ents, list) else 0} entities (< {MIN_ENTITIES})")
            if not isinstance(ents, list):
                continue
        canon_here = set()
        owner = {}
        for ent in ents:
            canon, label, mentions = ent.get("canonical"), ent.get("label"), ent.get("mentions")
            if not isinstance(canon, str) or not canon.strip():
                errors.append(f"{where}: entity without canonical: {ent}")
                continue
            if canon != canon.strip():
                errors.append(f"{where}: canonical {canon!r} has surrounding spaces")
            if canon in canon_here:
                errors.append(f"{where}: canonical {canon!r} listed twice")
            canon_here.add(canon)
            if label not in LABELS:
                errors.append(f"{where}: {canon!r}: bad label {label!r}")
            else:
                labels_of[canon].add(label)
            if ent.get("prefixed"):
                prefixed += 1
            if not isinstance(mentions, list) or not mentions:
                errors.append(f"{where}: {canon!r}: no mentions")
                continue
            if len(set(mentions)) != len(mentions):
                errors.append(f"{where}: {canon!r}: repeated mention")
            for m in mentions:
                if not isinstance(m, str) or not m or m != m.strip():
                    errors.append(f"{where}: {canon!r}: bad mention {m!r}")
                    continue
                if m not in text:
                    errors.append(f"{where}: {canon!r}: mention {m!r} not in text")
                elif not mention_ok(text, m):
                    errors.append(f"{where}: {canon!r}: mention {m!r} never a whole word (at a word start)")
                if m.startswith("لل") and not ent.get("prefixed"):
                    errors.append(f"{where}: {canon!r}: mention {m!r} starts with لل but entity is not prefixed")
                if m[0] in PROCLITICS and (m[1:] in mentions or m[1:] == canon):
                    errors.append(f"{where}: {canon!r}: mention {m!r} keeps its proclitic")
                if m in owner and owner[m] != canon:
                    errors.append(f"{where}: mention {m!r} given to {owner[m]!r} and {canon!r}")
                owner[m] = canon
    for canon, labels in sorted(labels_of.items()):
        if len(labels) > 1:
            errors.append(f"canonical {canon!r} has several labels: {sorted(labels)}")
    if prefixed > MAX_PREFIXED:
        errors.append(f"{prefixed} entities marked prefixed (> {MAX_PREFIXED})")
    return errors, labels_of, prefixed


def summary(records, labels_of, prefixed):
    per_topic = collections.Counter()
    per_label = collections.Counter()
    mentions = 0
    words = 0
    for _, art in records:
        per_topic[art.get("topic")] += 1
        words += len(art.get("text", "").split())
        for ent in art.get("entities", []):
            per_label[ent.get("label")] += 1
            mentions += len(ent.get("mentions", []))
    print(f"articles: {len(records)}  words: {words}  entity annotations: {sum(per_label.values())}"
          f"  distinct mentions: {mentions}  distinct canonicals: {len(labels_of)}  prefixed: {prefixed}")
    print("per topic: " + ", ".join(f"{t}={per_topic[t]}" for t in sorted(per_topic)))
    print("per label: " + ", ".join(f"{lab}={per_label[lab]}" for lab in LABELS))
    canon_label = collections.Counter(next(iter(v)) for v in labels_of.values() if len(v) == 1)
    print("distinct canonicals per label: " + ", ".join(f"{lab}={canon_label[lab]}" for lab in LABELS))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    paths = [pathlib.Path(arg) for arg in argv] or DEFAULT_PATHS
    records, errors = [], []
    for path in paths:
        loaded, problems = load(path)
        records += loaded
        errors += problems
    path = " + ".join(map(str, paths))
    more, labels_of, prefixed = check(records)
    errors += more
    summary(records, labels_of, prefixed)
    for err in errors:
        print("ERROR:", err)
    if errors:
        print(f"FAILED: {len(errors)} problem(s) in {path}")
        return 1
    print(f"OK: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
