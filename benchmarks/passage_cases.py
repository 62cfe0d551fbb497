"""Synthetic shared-passage cases for ``make bench-quality``: wire text that
two outlets of different sources carry inside otherwise different articles,
the second one re-paragraphed the ways outlets do:

* ``merged``: the wire paragraphs run together on one line;
* ``hard_wrapped``: the wire text broken into lines every 7-11 words, mid-sentence;
* ``rewritten_around``: one long wire sentence kept verbatim, the sentences
  around it rewritten (half their words replaced), so only that sentence is
  shared.

Every page ends with a WordPress comment form, the same on every site: it is
chrome and must never count as a shared passage. The truth of each case is
the text of the shared passage as the first article carries it.
"""

import datetime as dt
import random

from benchmarks.corpus import VOCABULARY, sentence

CASES = ("merged", "hard_wrapped", "rewritten_around")
SOURCES = tuple(f"outlet-{index:02d}" for index in range(8))
COMMENT_FORM = (
    "اترك تعليقاً",
    "لن يتم نشر عنوان بريدك الإلكتروني. الحقول الإلزامية مشار إليها بـ *",
    "التعليق *",
    "الاسم *",
    "البريد الإلكتروني *",
    "احفظ اسمي، بريدي الإلكتروني، والموقع الإلكتروني في هذا المتصفح لاستخدامها المرة المقبلة في تعليقي.",
)


def _long_sentence(rng):
    """A wire sentence long enough to be a passage on its own (24-30 words)."""
    return " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(24, 30))) + "."


def _rewritten(rng, text):
    """Half the words of a sentence replaced, its full stop kept: no longer
    the same text, still a sentence of its own."""
    words = [rng.choice(VOCABULARY) if rng.random() < 0.5 else word for word in text.rstrip(".").split()]
    return " ".join(words) + "."


def _host(rng):
    return [" ".join(sentence(rng) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(3, 6))]


def _with(host, block, rng):
    """The host's paragraphs with ``block`` (lines) inserted between two of them."""
    at = rng.randint(1, len(host) - 1)
    return host[:at] + block + host[at:]


def generate(cases=240, seed=5):
    """``(items, truth)``: pages as ``benchmarks.synthetic`` writes them, and
    ``[{"case", "a", "b", "passage"}]`` (files, and the passage's text in ``a``)."""
    rng = random.Random(seed)
    items, truth = [], []
    day = dt.date(2024, 3, 1)
    for number in range(cases):
        case = CASES[number % len(CASES)]
        a_source, b_source = rng.sample(SOURCES, 2)
        if case == "rewritten_around":
            kept = _long_sentence(rng)
            before, after = sentence(rng), sentence(rng)
            a_block = [f"{before} {kept} {after}"]
            b_block = [f"{_rewritten(rng, before)} {kept} {_rewritten(rng, after)}"]
            passage = kept
        else:
            wire = [f"{_long_sentence(rng)} {sentence(rng)}" for _ in range(rng.randint(2, 3))]
            a_block, passage = wire, "\n".join(wire)
            words = " ".join(wire).split()
            if case == "merged":
                b_block = [" ".join(words)]
            else:
                b_block, start = [], 0
                while start < len(words):
                    width = rng.randint(7, 11)
                    b_block.append(" ".join(words[start:start + width]))
                    start += width
        pair = []
        for side, source, block in (("a", a_source, a_block), ("b", b_source, b_block)):
            lines = [(" ".join(rng.choice(VOCABULARY) for _ in range(8)), "title")]
            lines += [(line, "body") for line in _with(_host(rng), block, rng)]
            lines += [(line, "chrome") for line in COMMENT_FORM]
            item = {"file": f"{source}/{number:05d}{side}.txt", "source": source, "date": day.isoformat(),
                    "story": f"case{number:05d}", "edits": [case], "lines": lines}
            items.append(item)
            pair.append(item["file"])
        truth.append({"case": case, "a": pair[0], "b": pair[1], "passage": passage})
    return items, truth
