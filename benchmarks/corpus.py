"""Synthetic Arabic news corpora for benchmarks, in every input format.

Articles are built from a small vocabulary, so they look like Arabic news to the
job (Arabic letters, diacritics here and there, dates, several paragraphs) but
carry no meaning. Deterministic for a given seed.
"""

import datetime as dt
import gzip
import itertools
import json
import pathlib
import random

WORDS = (
    "قال أكد أعلن الرئيس الوزير وزير الخارجية الحكومة البرلمان المحادثات العلاقات التعاون "
    "الاقتصاد الطاقة النفط الأسواق البنك المركزي الدولار الاستثمار التجارة الحدود الأمن "
    "الجيش القوات المنطقة العاصمة المدينة اليوم أمس الأربعاء الخميس مؤتمر صحافي بيان رسمي "
    "مصادر مطلعة اتفاق شراكة استراتيجية دعم الدول الأعضاء القمة السنوية المنظمة الدولية "
    "الأمم المتحدة مجلس الأمن العقوبات الحرب السلام المفاوضات الوفد زيارة رسمية لقاء "
    "الجانبين البلدين المشترك الإقليمي العالمي النمو التضخم الموازنة العام المقبل الماضي "
    "في على من إلى أن مع بين حول بعد قبل خلال منذ عن كما التي الذي هذه هذا"
).split()
_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
_vocabulary_rng = random.Random(1)
# A Zipf-distributed vocabulary, as in real text: the words above are the
# most frequent, then thousands of made-up words, so unrelated articles
# share few word 3-grams (a small vocabulary would make every pair look alike).
VOCABULARY = list(WORDS) + sorted({
    _vocabulary_rng.choice(("", "", "ال", "و", "ب")) + "".join(_vocabulary_rng.choices(_LETTERS, k=_vocabulary_rng.randint(3, 6)))
    for _ in range(12000)
})
_CUMULATIVE_WEIGHTS = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(VOCABULARY))))
OUTLETS = ("aawsat", "alrai", "khabaryn", "aljazeera", "alarabiya", "skynews", "youm7", "hespress")
FIRST_DAY = dt.date(2024, 6, 1)
MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر")


def sentence(rng):
    words = rng.choices(VOCABULARY, cum_weights=_CUMULATIVE_WEIGHTS, k=rng.randint(8, 22))
    if rng.random() < 0.2:
        words[0] = words[0] + "َ"
    return " ".join(words) + "."


def article(rng, number, days):
    paragraphs = [" ".join(sentence(rng) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(4, 12))]
    published = FIRST_DAY + dt.timedelta(days=rng.randrange(days))
    day, month, year = published.day, published.month, published.year
    paragraphs[0] = f"{day} {MONTHS[month - 1]} {year} - {paragraphs[0]}"
    return {
        "id": f"a{number}",
        "source": rng.choice(OUTLETS),
        "date": f"{year}-{month:02d}-{day:02d}",
        "title": " ".join(rng.choices(WORDS, k=rng.randint(5, 10))),
        "text": "\n".join(paragraphs),
    }


def write_corpus(folder, articles=10_000, days=90, seed=7, per_jsonl=500):
    """Write ``articles`` articles published over ``days`` days by 8 outlets
    under ``folder``: a third as ``.txt`` files
    listed in a manifest, a third in ``.jsonl.gz`` files, a third in ``.json``
    arrays. Returns the number of articles written."""
    rng = random.Random(seed)
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    items = [article(rng, n, days) for n in range(articles)]
    thirds = [items[0::3], items[1::3], items[2::3]]
    manifest = []
    for item in thirds[0]:
        name = f"txt/{item['id']}.txt"
        path = folder / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"{item['title']}\n{item['text']}\n", encoding="utf-8")
        manifest.append({"path": name, "source": item["source"], "date": item["date"]})
    with open(folder / "manifest.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in manifest)
    for start in range(0, len(thirds[1]), per_jsonl):
        chunk = thirds[1][start:start + per_jsonl]
        lines = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in chunk)
        (folder / f"feed-{start // per_jsonl:04d}.jsonl.gz").write_bytes(gzip.compress(lines.encode("utf-8")))
    for start in range(0, len(thirds[2]), per_jsonl):
        chunk = thirds[2][start:start + per_jsonl]
        (folder / f"export-{start // per_jsonl:04d}.json").write_text(
            json.dumps({"articles": chunk}, ensure_ascii=False), encoding="utf-8"
        )
    return articles
