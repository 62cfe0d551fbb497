"""``make bench-ner``: entity quality on the hand-written dev set
(``dev/entities``), on its tuning half and on its test half. Rules and
lexicon entries are written from the tuning half only (``--errors`` shows
its misses, never the test half's), so the test half's figures are the
estimate of what users get.

* Entities: per article, the set of distinct (canonical entity, label);
  precision, recall and F1 per label and for PER+LOC+ORG together. A found
  entity matches a gold one with the same label when both resolve to the
  same lexicon id, or their names have the same matching key once a leading
  type word is set aside (the gold set writes "حماس" where a tool may say
  "حركة حماس"), or the found name is one of the gold entity's mentions.
* Mentions: exact spans (start and end) with the right label; a gold span
  is each whole-word occurrence of a gold mention, after any proclitic.
"""

import argparse
import json
import pathlib
import re

from transforms.gazetteer import Gazetteer, annotate
from transforms.text import matching_key

DEV_SET = pathlib.Path(__file__).resolve().parent.parent / "dev" / "entities"
HALVES = ("tuning", "test")
LABELS = ("PER", "LOC", "ORG")
_PROCLITIC_RUN = "[وفبلك]{0,2}"


def dev_articles(half):
    """The articles of one half of the dev set."""
    path = DEV_SET / f"{half}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# Leading words a gold name and a found one may differ by. Fixed here, not
# read from the lexicon's cue lists, so that adding a cue to the lexicon
# cannot make the scoring more lenient.
TYPE_WORDS = (
    "وكالة منظمة حزب شركة جماعة جبهة نادي النادي بنك البنك مصرف جامعة هيئة اتحاد صندوق مجلس وزارة جمعية ائتلاف "
    "كتائب سرايا ميليشيا ميليشيات صحيفة جريدة مجلة مفوضية رابطة نقابة أكاديمية بعثة الاتحاد مرصد جهاز "
    "مدينة العاصمة عاصمة بلدة قرية محافظة ولاية إقليم مستوطنة"
).split()


class NameMatcher:
    """Decides whether a found entity is a gold one (see the module doc)."""

    def __init__(self, gazetteer):
        self.gazetteer = gazetteer
        self.type_words = frozenset(map(matching_key, TYPE_WORDS))

    def name_key(self, name):
        words = matching_key(name).split()
        if len(words) > 1 and words[0] in self.type_words:
            words = words[1:]
        return " ".join(words)

    def gold_keys(self, entity):
        names = [entity["canonical"], *entity["mentions"]]
        keys = {self.name_key(n) for n in names}
        ids = {entity.entity_id for entity, _ in map(self.gazetteer.resolve_span, names) if entity is not None}
        return keys, ids

    def same(self, found, gold_keys, gold_ids):
        return (found["entity_id"] is not None and found["entity_id"] in gold_ids) or bool(
            {self.name_key(found["canonical"]), self.name_key(found["mention"])} & gold_keys
        )


def distinct_entities(rows):
    """One row per distinct (canonical, label) of an article."""
    seen = {}
    for row in rows:
        seen.setdefault((row["entity_id"] or row["canonical"], row["label"]), row)
    return list(seen.values())


def entity_counts(articles, found_by_article, matcher):
    """``{label: [true_positives, found, gold]}`` over all articles."""
    counts = {label: [0, 0, 0] for label in LABELS}
    for article in articles:
        gold = [(e, *matcher.gold_keys(e)) for e in article["entities"] if e["label"] in LABELS]
        found = [f for f in distinct_entities(found_by_article[article["id"]]) if f["label"] in LABELS]
        used = set()
        for entity in found:
            counts[entity["label"]][1] += 1
            for index, (gold_entity, keys, ids) in enumerate(gold):
                if index not in used and gold_entity["label"] == entity["label"] and matcher.same(entity, keys, ids):
                    used.add(index)
                    counts[entity["label"]][0] += 1
                    break
        for gold_entity, _, _ in gold:
            counts[gold_entity["label"]][2] += 1
    return counts


def gold_spans(article):
    """``{(start, end): label}`` of every whole-word occurrence of a gold mention."""
    spans = {}
    text = article["text"]
    for entity in article["entities"]:
        for mention in entity["mentions"]:
            pattern = rf"(?:(?<=^)|(?<=[\s\W])){_PROCLITIC_RUN}({re.escape(mention)})(?=$|[\s\W])"
            for match in re.finditer(pattern, text):
                spans[(match.start(1), match.end(1))] = entity["label"]
    return spans


def mention_counts(articles, found_by_article):
    """``{label: [true_positives, found, gold]}`` on exact spans."""
    counts = {label: [0, 0, 0] for label in LABELS}
    for article in articles:
        gold = gold_spans(article)
        for (start, end), label in gold.items():
            if label in counts:
                counts[label][2] += 1
        for row in found_by_article[article["id"]]:
            if row["label"] in counts:
                counts[row["label"]][1] += 1
                if gold.get((row["start_char"], row["end_char"])) == row["label"]:
                    counts[row["label"]][0] += 1
    return counts


def scores(true_positives, found, gold):
    precision = true_positives / found if found else 0.0
    recall = true_positives / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def format_counts(title, counts):
    lines = [f"  {title:<10} {'precision':>9} {'recall':>7} {'F1':>6} {'found':>6} {'gold':>6}"]
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    for label, row in [*counts.items(), ("all", total)]:
        precision, recall, f1 = scores(*row)
        lines.append(f"  {label:<10} {precision:>9.3f} {recall:>7.3f} {f1:>6.3f} {row[1]:>6} {row[2]:>6}")
    return "\n".join(lines)


def evaluate(found_by_article, articles, matcher):
    """``(entity_counts, mention_counts)`` of an annotator's rows per article."""
    return entity_counts(articles, found_by_article, matcher), mention_counts(articles, found_by_article)


def gazetteer_rows(articles, gazetteer_path=None):
    gazetteer = Gazetteer.load(gazetteer_path)
    return {article["id"]: annotate(gazetteer, article["text"]) for article in articles}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gazetteer", default=None, help="extra lexicon file, as the job's --gazetteer")
    parser.add_argument("--errors", action="store_true",
                        help="print each tuning article's misses and false finds (never the test half's)")
    args = parser.parse_args(argv)
    matcher = NameMatcher(Gazetteer.load())  # names and ids as the shipped lexicon knows them
    print("annotator: gazetteer")
    for half in HALVES:
        articles = dev_articles(half)
        found = gazetteer_rows(articles, args.gazetteer)
        entities, mentions = evaluate(found, articles, matcher)
        print(f"entity dev set, {half} half (hand-written, dev/entities/{half}.jsonl): {len(articles)} articles, "
              f"{sum(len(a['entities']) for a in articles)} gold entities")
        print(format_counts("entities", entities))
        print(format_counts("mentions", mentions))
        if args.errors and half == "tuning":
            print_errors(articles, found, matcher)


def print_errors(articles, found_by_article, matcher):
    for article in articles:
        gold = [(e, *matcher.gold_keys(e)) for e in article["entities"]]
        found = distinct_entities(found_by_article[article["id"]])
        hits = {i for f in found for i, (g, k, ids) in enumerate(gold) if g["label"] == f["label"] and matcher.same(f, k, ids)}
        false = [f"{f['canonical']}/{f['label']}" for f in found
                 if not any(g["label"] == f["label"] and matcher.same(f, k, ids) for g, k, ids in gold)]
        missed = [f"{g['canonical']}/{g['label']}" for i, (g, _, _) in enumerate(gold) if i not in hits]
        if false or missed:
            print(f"{article['id']}: missed {missed}\n    false {false}")


if __name__ == "__main__":
    main()
