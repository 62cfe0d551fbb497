#!/usr/bin/env python3
"""Sanity checker for the hand-made boilerplate/syndication dev set.

Parses every ``tagged/*.tagged`` file next to this script and checks:

* a ``#story:`` and a ``#date:`` header (date is YYYY-MM-DD, 2024-01-01..2025-10-31);
* exactly one ``T|`` line, and it is the first non-chrome line;
* at least 4 ``B|`` lines;
* every other non-blank line starts with ``C|`` or ``B|``;
* the file name is ``<outlet>_<NN>.tagged`` with a known outlet.

Prints a summary: files per outlet, lines per tag, story ids carried by more
than one file (with their dates), and which files with *different* story ids
share a body paragraph (after light Arabic spelling normalisation).

Standard library only. Exit status 1 if any check fails.

    python3 dev/boilerplate/check_tagged.py [DIR]
"""
import collections
import datetime
import itertools
import pathlib
import re
import sys

OUTLETS = ("aawsat", "aljazeera", "alarabiya", "skynews",
           "youm7", "hespress", "khabaryn", "alrai")
NAME_RE = re.compile(r"^(?P<outlet>[a-z0-9]+)_(?P<num>\d{2})\.tagged$")
DATE_MIN = datetime.date(2024, 1, 1)
DATE_MAX = datetime.date(2025, 10, 31)

_DIACRITICS = re.compile("[\u064B-\u0652\u0670\u0640]")  # harakat, dagger alef, tatweel
_SPACES = re.compile(r"\s+")


def normalise(text):
    """Fold the usual Arabic spelling variants so copies compare equal."""
    text = _DIACRITICS.sub("", text)
    text = text.replace("مائة", "مئة")
    text = re.sub("[أإآ]", "ا", text)
    text = text.replace("ى", "ي").replace("ة", "ه")
    return _SPACES.sub(" ", text).strip()


def parse(path):
    """Return (record, errors) for one .tagged file."""
    errors = []
    rec = {"path": path, "story": None, "date": None, "lines": []}
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        if line.startswith("#story:"):
            if rec["story"] is not None:
                errors.append(f"{lineno}: duplicate #story line")
            rec["story"] = line[len("#story:"):].strip()
            continue
        if line.startswith("#date:"):
            if rec["date"] is not None:
                errors.append(f"{lineno}: duplicate #date line")
            rec["date"] = line[len("#date:"):].strip()
            continue
        tag, sep, text = line.partition("|")
        if not sep or tag not in ("T", "B", "C"):
            errors.append(f"{lineno}: line does not start with T|, B| or C|: {line[:40]!r}")
            continue
        if not text.strip():
            errors.append(f"{lineno}: empty {tag}| line")
        rec["lines"].append((lineno, tag, text.strip()))

    if not rec["story"]:
        errors.append("missing #story line")
    if not rec["date"]:
        errors.append("missing #date line")
    else:
        try:
            day = datetime.date.fromisoformat(rec["date"])
            rec["day"] = day
            if not DATE_MIN <= day <= DATE_MAX:
                errors.append(f"date {rec['date']} outside {DATE_MIN}..{DATE_MAX}")
        except ValueError:
            errors.append(f"bad #date value {rec['date']!r}")

    tags = [t for _, t, _ in rec["lines"]]
    if tags.count("T") != 1:
        errors.append(f"expected exactly one T| line, found {tags.count('T')}")
    else:
        first_non_chrome = next(t for t in tags if t != "C")
        if first_non_chrome != "T":
            errors.append("T| line is not the first non-chrome line")
    if tags.count("B") < 4:
        errors.append(f"expected at least 4 B| lines, found {tags.count('B')}")

    m = NAME_RE.match(path.name)
    if not m:
        errors.append("file name is not <outlet>_<NN>.tagged")
    elif m.group("outlet") not in OUTLETS:
        errors.append(f"unknown outlet {m.group('outlet')!r}")
    rec["outlet"] = m.group("outlet") if m else "?"
    return rec, errors


def main(argv):
    root = pathlib.Path(argv[1]) if len(argv) > 1 else pathlib.Path(__file__).with_name("tagged")
    files = sorted(root.glob("*.tagged"))
    if not files:
        print(f"no .tagged files under {root}")
        return 1

    records, failures = [], 0
    for path in files:
        rec, errors = parse(path)
        records.append(rec)
        for err in errors:
            failures += 1
            print(f"FAIL {path.name}: {err}")

    # -- summary -----------------------------------------------------------
    per_outlet = collections.Counter(r["outlet"] for r in records)
    per_tag = collections.Counter(t for r in records for _, t, _ in r["lines"])
    print(f"files: {len(records)}")
    print("files per outlet:")
    for outlet in OUTLETS:
        print(f"  {outlet:<10} {per_outlet.get(outlet, 0)}")
    for outlet in sorted(set(per_outlet) - set(OUTLETS)):
        print(f"  {outlet:<10} {per_outlet[outlet]}  (unknown outlet)")
    print("lines per tag: " + ", ".join(f"{t}={per_tag.get(t, 0)}" for t in "TBC"))

    # Body paragraph lengths (soft check: sub-headings and deks are short).
    words = [len(x.split()) for r in records for _, t, x in r["lines"] if t == "B"]
    short = sum(1 for w in words if w < 15)
    long_ = sum(1 for w in words if w > 60)
    print(f"B| words per line: min={min(words)} max={max(words)} "
          f"mean={sum(words) / len(words):.1f}; <15 words: {short} (sub-headings/deks), >60 words: {long_}")

    by_story = collections.defaultdict(list)
    for r in records:
        by_story[r["story"]].append(r)
    shared = {s: rs for s, rs in by_story.items() if len(rs) > 1}
    print(f"story ids: {len(by_story)}; carried by more than one file: {len(shared)} "
          f"({sum(len(rs) for rs in shared.values())} files)")
    for story in sorted(shared):
        rs = shared[story]
        outlets = [r["outlet"] for r in rs]
        days = [r.get("day") for r in rs if r.get("day")]
        span = (max(days) - min(days)).days if days else None
        print(f"  {story}: " + ", ".join(f"{r['path'].name} ({r['date']})" for r in rs)
              + f"  [span {span} d]")
        if len(set(outlets)) != len(outlets):
            failures += 1
            print(f"FAIL {story}: carried twice by one outlet")
        if span is not None and span > 2:
            failures += 1
            print(f"FAIL {story}: copies published {span} days apart")

    # Cross-story paragraph sharing (expected: a few background-paragraph pairs).
    bodies = {r["path"].name: {normalise(x) for _, t, x in r["lines"] if t == "B"} for r in records}
    story_of = {r["path"].name: r["story"] for r in records}
    print("files with different story ids sharing body paragraphs:")
    found = False
    for a, b in itertools.combinations(sorted(bodies), 2):
        if story_of[a] == story_of[b]:
            continue
        common = bodies[a] & bodies[b]
        if common:
            found = True
            print(f"  {a} ~ {b}: {len(common)} shared paragraph(s)")
    if not found:
        print("  none")

    print("OK" if failures == 0 else f"{failures} problem(s)")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
