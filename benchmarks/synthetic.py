"""Synthetic scraped-news corpora with known truth, for boilerplate and
syndication quality and speed.

Every source has its own page chrome (headers, bylines, captions, see-also
links, related blocks, promos, footers); some is unique to one article,
some repeats on every page of the source. Wire stories are republished by
several sources with realistic edits: truncation, an added local intro or
closing line, reordered or dropped paragraphs, diacritics and alef/yeh
variants, a rewritten first line. The truth says, for every line, whether it
is the title, body or chrome, and, for every article, which story it carries.
Deterministic for a given seed.
"""

import datetime as dt
import json
import pathlib
import random

from benchmarks.corpus import WORDS, sentence

AGENCIES = ("رويترز", "أ.ف.ب", "د.ب.أ", "الأناضول", "أ.ب", "إ.ب.أ", "رويترز - أرشيفية")
CITIES = ("القاهرة", "الرياض", "بيروت", "الرباط", "دبي", "عمّان", "بغداد", "تونس", "الدوحة", "واشنطن")
NAMES = ("أحمد سمير", "سارة علي", "محمد الأمين", "ليلى حسن", "يوسف خالد", "نور الهدى", "كريم منصور")
END_MARKERS = ("مقالات ذات صلة", "أخبار ذات صلة", "الأكثر قراءة", "اخترنا لك")
LINK_MARKERS = ("اقرأ أيضا:", "شاهد أيضاً:", "اقرأ أيضاً -")
PROMOS = (
    "منصتك الأولى للأخبار العاجلة على مدار الساعة من قلب الحدث",
    "نرحب بآرائكم ومقترحاتكم عبر بريد التحرير الخاص بالموقع",
    "فريق التحرير يعمل من أجلكم على مدار الساعة طوال أيام الأسبوع",
    "للإعلان على صفحات الموقع يرجى التواصل مع إدارة التسويق",
)
FIRST_DAY = dt.date(2024, 1, 1)


def _source_profiles(rng, count):
    """Each source's own chrome habits."""
    profiles = []
    for number in range(count):
        profiles.append({
            "slug": f"outlet{number:02d}",
            "header": rng.choice((["Logo"], ["TT"], [f"{rng.choice(CITIES)} - وكالات"], [])),
            "byline": rng.random() < 0.6,
            "captions": rng.random() < 0.7,
            "see_also": rng.random() < 0.5,
            "related": rng.random() < 0.6,
            "blurb": rng.random() < 0.2,
            "promo": rng.choice(PROMOS) + f" {number}" if rng.random() < 0.5 else None,
            "footer": rng.random() < 0.5,
            "repeat_title": rng.random() < 0.3,
        })
    return profiles


def _headline(rng):
    return " ".join(rng.choices(WORDS, k=rng.randint(6, 11)))


def _paragraph(rng):
    return " ".join(sentence(rng) for _ in range(rng.randint(1, 3)))


def _spelling_variant(rng, text):
    """Diacritics added and alef/yeh/teh marbuta spelled differently, as
    outlets do when they retype wire copy."""
    swaps = {"أ": "ا", "إ": "ا", "ى": "ي", "ة": "ه"}
    out = []
    for ch in text:
        if ch in swaps and rng.random() < 0.5:
            ch = swaps[ch]
        out.append(ch)
        if "\u0621" <= ch <= "\u064a" and rng.random() < 0.03:
            out.append(rng.choice("\u064e\u064f\u0650\u064b"))
    return "".join(out)


def _edited_copy(rng, body):
    """A republished wire story: one to three realistic edits."""
    body = list(body)
    edits = rng.sample(["truncate", "intro", "outro", "reorder", "drop", "spelling", "first_line"], rng.randint(1, 3))
    if "truncate" in edits:
        body = body[: max(3, int(len(body) * rng.uniform(0.45, 0.8)))]
    if "drop" in edits and len(body) > 6:
        del body[rng.randrange(1, len(body))]
    if "reorder" in edits and len(body) > 4:
        i = rng.randrange(1, len(body) - 1)
        body[i], body[i + 1] = body[i + 1], body[i]
    if "first_line" in edits:
        body[0] = _paragraph(rng)
    if "intro" in edits:
        body.insert(0, _paragraph(rng))
    if "outro" in edits:
        body.append(_paragraph(rng))
    if "spelling" in edits:
        body = [_spelling_variant(rng, p) for p in body]
    return body, edits


def _page(rng, profile, title, body):
    """The scraped page: ``[(line, label)]`` with label title/body/chrome."""
    lines = [(line, "chrome") for line in profile["header"]]
    lines.append((title, "title"))
    if profile["blurb"]:
        lines.append((f"{_paragraph(rng)} تفاصيل أكثر على خَبَرَيْن.", "chrome"))
    if profile["captions"]:
        caption = f"{' '.join(rng.choices(WORDS, k=rng.randint(4, 9)))} ({rng.choice(AGENCIES)})"
        lines += [(caption, "chrome")] * rng.choice((1, 2))
    if profile["repeat_title"]:
        lines.append((title, "chrome"))
    if profile["byline"]:
        lines.append((f"{rng.choice(NAMES)} ({rng.choice(CITIES)})", "chrome"))
    see_also_at = rng.randrange(2, len(body)) if profile["see_also"] and len(body) > 3 else None
    for index, paragraph in enumerate(body):
        if index == see_also_at:
            lines.append((f"{rng.choice(LINK_MARKERS)} {_headline(rng)}", "chrome"))
        lines.append((paragraph, "body"))
    if profile["captions"] and rng.random() < 0.5:
        lines.insert(len(lines) - rng.randint(1, 2),
                     (f"{' '.join(rng.choices(WORDS, k=rng.randint(4, 9)))} ({rng.choice(AGENCIES)})", "chrome"))
    if profile["promo"]:
        lines.append((profile["promo"], "chrome"))
    if profile["footer"]:
        lines.append((f"جميع الحقوق محفوظة © {profile['slug']} 2024", "chrome"))
    if profile["related"]:
        lines.append((rng.choice(END_MARKERS), "chrome"))
        lines += [(_headline(rng), "chrome") for _ in range(rng.randint(2, 5))]
        if rng.random() < 0.3:  # infinite scroll: the next article of the page
            lines += [(_headline(rng), "chrome")] + [(_paragraph(rng), "chrome") for _ in range(4)]
    return lines


def carried_versions(rng, profiles, story, title, body, published, wire_share, first_number, folder_of):
    """The pages that carry one story: one source's, or, for a wire story,
    several sources' edited copies. ``folder_of(profile, date)`` names the
    folder of each page's file."""
    if rng.random() < wire_share:
        carriers = rng.sample(profiles, rng.randint(2, 5))
        versions = [(body, [])] + [_edited_copy(rng, body) for _ in carriers[1:]]
    else:
        carriers, versions = [rng.choice(profiles)], [(body, [])]
    items = []
    for profile, (version, edits) in zip(carriers, versions):
        copy_title = title if not edits or rng.random() < 0.5 else _headline(rng)
        date = published + dt.timedelta(days=rng.randint(0, 2) if edits else 0)
        number = first_number + len(items)
        items.append({
            "file": f"{folder_of(profile, date)}/{number:06d}.txt",
            "source": profile["slug"],
            "date": date.isoformat(),
            "story": f"story{story:06d}",
            "edits": edits,
            "lines": _page(rng, profile, copy_title, version),
        })
    return items


def generate(articles=2000, sources=12, wire_share=0.35, seed=11, days=60):
    """``[{"file", "source", "date", "story", "edits", "lines": [(text, label)]}]``."""
    rng = random.Random(seed)
    profiles = _source_profiles(rng, sources)
    items = []
    story = 0
    while len(items) < articles:
        story += 1
        title = _headline(rng)
        body = [_paragraph(rng) for _ in range(rng.randint(5, 12))]
        published = FIRST_DAY + dt.timedelta(days=rng.randrange(days))
        items += carried_versions(rng, profiles, story, title, body, published, wire_share, len(items),
                                  lambda profile, _: profile["slug"])
    return items[:articles]


def write(items, folder):
    """Write the articles as ``.txt`` files with a manifest, and the truth
    as ``truth.jsonl`` next to them (not inside the input folder)."""
    folder = pathlib.Path(folder)
    corpus = folder / "corpus"
    for item in items:
        path = corpus / item["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(line for line, _ in item["lines"]) + "\n", encoding="utf-8")
    with open(corpus / "manifest.jsonl", "w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps({"path": item["file"], "source": item["source"], "date": item["date"]}) + "\n")
    with open(folder / "truth.jsonl", "w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    return corpus
