"""Hostile input, generated afresh from a seed: article files no scraper
should produce but some do, and names and values meant to escape the output
folder. ``check_case`` runs one file through the read, metadata and
normalize functions and says what went wrong; the tests run a thousand
cases, and ``make fuzz`` (``python -m tests.hostile``) a long campaign.
"""

import argparse
import bz2
import collections
import datetime as dt
import gzip
import json
import lzma
import posixpath
import random
import re
import time
import unicodedata

import fsspec
import zstandard

from transforms import rejects
from transforms.dates import EARLIEST_YEAR
from transforms.metadata import resolve
from transforms.normalize import normalize_article
from transforms.read import ReadFileFn
from transforms.rejects import Rejected
from transforms.write import partition_path

ARABIC = "قال وزير الخارجية إن المحادثات بين البلدين كانت بناءة ومثمرة وأضاف أن الجانبين اتفقا على التعاون"
ESCAPES = ["../../../etc", "..", "/etc/passwd", "a=b/c", "date=2024-01-01/source=x", "$(rm -rf ~)", "`id`",
           "x;y|z&w", "\u202egpj.exe", "\u200fمصدر\u200e", "\x00nul", "\x1b[31mred", "C:\\Windows\\x", "~root",
           "source=../..", "*?[", "%2e%2e%2f", "con", "\n\r\t", "ا" * 300]
BAD_DATES = ["0000-01-01", "9999-12-31", "2024-02-30", "2023-13-45T99:99:99Z", "31/02/2024", "20240230",
             10**20, -10**20, 2**70, -1, 0, 1e308, float("inf"), float("nan"), "1e999", "١٩٩٩-٠٢-٣٠",
             "Thu, 31 Feb 2024 25:61:00 +9999", "9999999999999", True, [], {"date": "2024-01-01"}]
EXTENSIONS = [".txt", ".json", ".jsonl", ".txt.gz", ".json.bz2", ".jsonl.zst", ".jsonl.xz", ".pdf", ""]
COMPRESSORS = {".gz": gzip.compress, ".bz2": bz2.compress, ".zst": zstandard.ZstdCompressor().compress,
               ".xz": lzma.compress}
NAME_CHARS = "=$;|&`'\"!*?[]{}()<>~# \t\u200f\u202e\u00a0\x01\x7fاب-_.%\\:"
FIELD_NAMES = ["text", "title", "source", "date", "url", "id", "body", "published_at", "site", "headline"]
MAX_FILE_BYTES = 1 << 20  # the limits the checks run with: enormous cases cross them
MAX_RECORD_BYTES = 1 << 18
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")

Case = collections.namedtuple("Case", "kind name data")


def _arabic(rng, words=30):
    pool = ARABIC.split()
    return " ".join(rng.choice(pool) for _ in range(words))


def _json_value(rng, depth=0):
    """Any JSON value, of a wrong type for an article field more often than not."""
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**63, -(2**63), 10**30, 1.5, 1e308, -0.0])
    if kind == 3:
        return rng.choice(ESCAPES + [str(d) for d in BAD_DATES])
    if kind == 4:
        return _arabic(rng, rng.randrange(0, 40)) + "".join(rng.choice("\x00\x07\u200f\u202e\ufeff\n\r\t") for _ in range(3))
    if kind == 5:
        return rng.choice(BAD_DATES)
    if kind == 6:
        return [_json_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 7:
        return {rng.choice(FIELD_NAMES + ["name", "value"]): _json_value(rng, depth + 1) for _ in range(rng.randrange(4))}
    return "".join(chr(rng.randrange(1, 0x3000)) for _ in range(rng.randrange(20)))


def _article(rng):
    article = {"title": _arabic(rng, 6), "text": _arabic(rng, 60)}
    for field in rng.sample(FIELD_NAMES, rng.randrange(1, 5)):
        article[field] = rng.choice([_json_value(rng), rng.choice(ESCAPES), rng.choice(BAD_DATES)])
    return article


def _dumps(value):
    return json.dumps(value, ensure_ascii=False, allow_nan=True).encode("utf-8")


def random_bytes(rng):
    return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4000)))


def truncated_utf8(rng):
    data = ("عنوان\n" + _arabic(rng)).encode("utf-8")
    return data[:rng.randrange(1, len(data))] + (b"\xd8" if rng.random() < 0.5 else b"")


def utf16(rng):
    text = "عنوان\n" + _arabic(rng)
    return rng.choice([text.encode("utf-16"), text.encode("utf-16-le"), text.encode("utf-16-be")])


def nul_bytes(rng):
    data = bytearray(("عنوان\n" + _arabic(rng)).encode("utf-8"))
    for _ in range(rng.randrange(1, 20)):
        data.insert(rng.randrange(len(data)), 0)
    return bytes(data)


def mixed_encodings(rng):
    return ("عنوان\n" + _arabic(rng)).encode("utf-8") + _arabic(rng).encode("windows-1256")


def enormous_line(rng):
    line = ("ا" * rng.choice([MAX_RECORD_BYTES, MAX_FILE_BYTES])).encode("utf-8")
    return rng.choice([line, b'{"text": "' + line + b'"}\n' + _dumps(_article(rng)) + b"\n"])


def deep_json(rng):
    depth = rng.choice([50, 1000, 100_000])
    opening, closing = rng.choice([(b"[", b"]"), (b'{"text":', b"}")])
    return b'{"text":' + opening * depth + b'"x"' + closing * depth + b"}"


def huge_json(rng):
    return rng.choice([
        b'{"text": "' + _arabic(rng).encode() + b'", "date": ' + b"9" * 5000 + b"}",
        _dumps({f"k{i}": i for i in range(rng.randrange(1000, 20000))}),
        _dumps([_article(rng) for _ in range(rng.randrange(50, 300))]),
        b'{"text": "x", "title": 1e999, "date": -1e999, "source": NaN}',
    ])


def wrong_types(rng):
    articles = [_article(rng) for _ in range(rng.randrange(1, 6))]
    if rng.random() < 0.5:
        return b"".join(_dumps(article) + b"\n" for article in articles)
    return _dumps(rng.choice([articles, {"articles": articles}, articles[0], {"data": "not a list"}]))


def bad_dates(rng):
    return _dumps({"title": _arabic(rng, 5), "text": _arabic(rng), "date": rng.choice(BAD_DATES),
                   "source": rng.choice(ESCAPES)})


def escaping_values(rng):
    return _dumps({"title": rng.choice(ESCAPES), "text": _arabic(rng) + rng.choice(ESCAPES),
                   "source": rng.choice(ESCAPES), "url": "http://" + rng.choice(ESCAPES) + "/x",
                   "date": rng.choice(["2024-05-01", *BAD_DATES])})


KINDS = [random_bytes, truncated_utf8, utf16, nul_bytes, mixed_encodings, enormous_line, deep_json, huge_json,
         wrong_types, bad_dates, escaping_values]


def _hostile_name(rng, index):
    stem = "".join(rng.choice(NAME_CHARS) for _ in range(rng.randrange(1, 12)))
    return f"{index:06d}{stem}"


def hostile_cases(seed, count):
    """``count`` cases: a kind's bytes under a hostile file name, with an
    extension that may not say what the bytes are, compressed, or
    compressed and cut short."""
    rng = random.Random(seed)
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        data = kind(rng)
        extension = rng.choice(EXTENSIONS)
        compressor = COMPRESSORS.get(posixpath.splitext(extension)[1])
        if compressor and rng.random() < 0.8:
            data = compressor(data)
            if rng.random() < 0.3:
                data = data[:rng.randrange(len(data))]
        elif rng.random() < 0.1:  # the extension lies the other way
            extension = ".txt" + rng.choice([".gz", ".bz2", ".zst"])
        yield Case(kind.__name__, _hostile_name(rng, index) + extension, data)


def read_case(case, folder="memory://hostile"):
    """``(articles, rejects)`` of one case, through the job's plain functions
    from reading to normalizing."""
    fs = fsspec.filesystem("memory")
    url = f"{folder}/{case.name}"
    fs.pipe_file(url, case.data)
    reader = ReadFileFn(MAX_FILE_BYTES, MAX_RECORD_BYTES)
    articles, rejected = [], []
    try:
        for output in reader._records_or_rejects((url, len(case.data))):
            if not isinstance(output, dict):
                rejected.append(output.value)
                continue
            record = resolve(output, {})
            try:
                articles.append(normalize_article(record))
            except Rejected as error:
                rejected.append(rejects.reject_record(record, error))
    finally:
        fs.rm_file(url)
    return articles, rejected


def problems(case, articles, rejected):
    """What is wrong with a case's outcome: nothing, for a sound job."""
    found = []
    if not articles and not rejected:
        found.append("neither an article nor a reject")
    found += [f"unknown reject reason {row['reason']!r}" for row in rejected if row["reason"] not in rejects.REASONS]
    latest = dt.date.today().replace(year=dt.date.today().year + 1, month=12, day=31)
    for article in articles:
        source, date = article["source"], article["date"]
        if source is not None and not (_SLUG.match(source) and len(source) <= 64):
            found.append(f"source slug {source!r}")
        if date is not None and not dt.date(EARLIEST_YEAR, 1, 1) <= date <= latest:
            found.append(f"date {date}")
        path = partition_path("articles", (date and date.isoformat(), source))
        if posixpath.normpath(path) != path or path.startswith("/") or len(path.split("/")) != 3:
            found.append(f"partition path {path!r}")
        for column in ("text", "title", "source_name"):
            value = article[column]
            if value is not None and (_CONTROL.search(value) or unicodedata.normalize("NFC", value) != value):
                found.append(f"{column} not clean: {value[:40]!r}")
    return found


def check_case(case):
    """``(outcome_names, problems)``: ``article`` or the reject reasons of a
    case, and what went wrong (a crash is a problem, not an exception)."""
    try:
        articles, rejected = read_case(case)
    except Exception as error:  # a crash is what the campaign is looking for
        return ["crash"], [f"{type(error).__name__}: {error}"[:300]]
    outcomes = ["article"] * len(articles) + [row["reason"] for row in rejected]
    return outcomes, problems(case, articles, rejected)


def campaign(seed, count):
    """Run ``count`` cases; ``(cases_by_kind, outcomes, failures)``."""
    kinds, outcomes, failures = collections.Counter(), collections.Counter(), []
    for case in hostile_cases(seed, count):
        kinds[case.kind] += 1
        names, found = check_case(case)
        outcomes.update(names)
        failures += [(case.kind, case.name, problem) for problem in found]
    return kinds, outcomes, failures


def main(argv=None):
    parser = argparse.ArgumentParser(description="A fuzz campaign over the readers, metadata and normalizer.")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    kinds, outcomes, failures = campaign(args.seed, args.cases)
    elapsed = time.perf_counter() - started
    print(f"fuzz campaign: {args.cases} cases, seed {args.seed}, {elapsed:.0f} s ({args.cases / elapsed:.0f} cases/s)")
    print("cases by kind: " + ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())))
    print("outcomes: " + ", ".join(f"{name} {n}" for name, n in outcomes.most_common()))
    print(f"failures: {len(failures)}")
    for failure in failures[:50]:
        print("  ", *failure)
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
