"""A news corpus at scale, written as it is generated (memory stays flat at
any size): JSON Lines feeds, one file per outlet and day
(``<outlet>/<outlet>-YYYY-MM-DD.jsonl``), 40 outlets with their own chrome,
a third of the articles in wire-copy groups (``synthetic.carried_versions``),
about 6.5 KB of text per article. The truth goes to ``truth.jsonl`` beside
the corpus folder: each article's story and the label of every text line.

``python -m benchmarks.scale_corpus FOLDER ARTICLES`` writes one.
"""

import argparse
import datetime as dt
import json
import pathlib
import random

from benchmarks import synthetic

OUTLETS = 40
ARTICLES_PER_DAY = 3_334  # 100k articles span 30 days: 1,200 date/source partitions
# A story's share of wire stories: each has 2-5 carriers, so a third of the
# articles are copies of one.
WIRE_STORY_SHARE = 0.125
PARAGRAPHS = (10, 26)
LABEL_LETTERS = {"body": "B", "chrome": "C"}


def _feed_name(profile, date):
    return f"{profile['slug']}/{profile['slug']}-{date.isoformat()}.jsonl"


def record_and_truth(item, record_index):
    """The feed record of a synthetic page and its truth: the title line
    becomes the ``title`` field, every other line is a line of ``text``."""
    title = next(line for line, label in item["lines"] if label == "title")
    lines = [(line, label) for line, label in item["lines"] if label != "title"]
    record = {"id": f"{item['source']}-{item['story']}-{record_index}", "source": item["source"],
              "date": item["date"], "title": title, "text": "\n".join(line for line, _ in lines)}
    truth = {"id": record["id"], "file": item["file"].rsplit("/", 1)[0], "record_index": record_index,
             "source": item["source"], "date": item["date"], "story": item["story"], "title": title,
             "labels": "".join(LABEL_LETTERS[label] for _, label in lines)}
    return record, truth


def write_scale_corpus(folder, articles, seed=17, articles_per_day=ARTICLES_PER_DAY):
    """Write ``articles`` articles under ``folder/corpus`` and the truth to
    ``folder/truth.jsonl``; returns the corpus folder. A day's feeds are
    written once no later article can be dated that day (a copy lands at
    most two days after its story)."""
    folder = pathlib.Path(folder)
    corpus = folder / "corpus"
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    profiles = synthetic._source_profiles(rng, OUTLETS)
    days = max(1, round(articles / articles_per_day))
    pending = {}  # feed file -> its pages
    written = story = 0
    with open(folder / "truth.jsonl", "w", encoding="utf-8") as truth_file:
        for day in range(days):
            published = synthetic.FIRST_DAY + dt.timedelta(days=day)
            quota = round(articles * (day + 1) / days)
            while written < quota:
                story += 1
                title = synthetic._headline(rng)
                body = [synthetic._paragraph(rng) for _ in range(rng.randint(*PARAGRAPHS))]
                items = synthetic.carried_versions(rng, profiles, story, title, body, published, WIRE_STORY_SHARE,
                                                   written, _feed_name)[: quota - written]
                for item in items:
                    pending.setdefault(item["file"].rsplit("/", 1)[0], []).append(item)
                written += len(items)
            last_day = day == days - 1
            _write_feeds(corpus, pending, truth_file, None if last_day else published + dt.timedelta(days=1))
    return corpus


def _write_feeds(corpus, pending, truth_file, before):
    """Write (and forget) the feeds dated before ``before``, all when None."""
    for feed in sorted(pending):
        if before is not None and feed[-len("YYYY-MM-DD.jsonl"):-len(".jsonl")] >= before.isoformat():
            continue
        path = corpus / feed
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            for record_index, item in enumerate(pending.pop(feed)):
                record, truth = record_and_truth(item, record_index)
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                truth_file.write(json.dumps(truth, ensure_ascii=False) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder")
    parser.add_argument("articles", type=int)
    args = parser.parse_args(argv)
    print(write_scale_corpus(args.folder, args.articles))


if __name__ == "__main__":
    main()
