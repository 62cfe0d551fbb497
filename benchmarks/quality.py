"""``make bench-quality``: boilerplate precision/recall (line level) and
syndication pairwise precision/recall, on the hand-written dev set and on a
synthetic corpus, both with known truth; shared-passage precision/recall on
synthetic passage cases (``benchmarks.passage_cases``). Runs the real job on
each.
"""

import argparse
import itertools
import json
import pathlib
import shutil

import duckdb
import numpy as np

from benchmarks import passage_cases, synthetic
from pipelines.akhbar import run
from transforms.syndication import (
    DEFAULT_CONTAINMENT,
    DEFAULT_JACCARD,
    DEFAULT_WIRE_CONTAINMENT,
    DEFAULT_WIRE_MIN_WORDS,
    shingle_hashes,
    similarity,
)
from transforms.text import matching_key

DEV_SET = pathlib.Path(__file__).resolve().parent.parent / "dev" / "boilerplate" / "tagged"
LABELS = {"T": "title", "B": "body", "C": "chrome"}


def parse_tagged(path):
    """A dev-set article: ``#story``/``#date`` headers and ``T|``/``B|``/``C|`` lines."""
    item = {"file": f"{path.stem.split('_')[0]}/{path.stem}.txt", "source": path.stem.split("_")[0],
            "edits": [], "lines": []}
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.startswith("#story:"):
            item["story"] = raw.split(":", 1)[1].strip()
        elif raw.startswith("#date:"):
            item["date"] = raw.split(":", 1)[1].strip()
        elif raw.strip():
            tag, text = raw.split("|", 1)
            item["lines"].append((text.strip(), LABELS[tag.strip()]))
    return item


def dev_items():
    return [parse_tagged(path) for path in sorted(DEV_SET.glob("*.tagged"))]


def job_output(items, workdir):
    """Run akhbar over the items; return its articles and removed paragraphs by file."""
    workdir = pathlib.Path(workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    corpus = synthetic.write(items, workdir).resolve()
    output = workdir / "out"
    report = run(["--input", str(corpus), "--output", str(output)])
    articles = duckdb.sql(
        f"select input_path, article_id, title, cluster_id, cluster_size, wire_article_ids from "
        f"read_parquet('{output}/articles/**/*.parquet', hive_partitioning = true)"
    ).fetchall()
    removed = duckdb.sql(
        f"select article_id, paragraph_index from read_parquet('{output}/removed_paragraphs/**/*.parquet', "
        "hive_partitioning = true)"
    ).fetchall()
    rejected = {row[0] for row in duckdb.sql(
        f"select input_path from read_parquet('{output}/rejects/**/*.parquet', hive_partitioning = true)"
    ).fetchall()}
    by_article = {}
    for article_id, index in removed:
        by_article.setdefault(article_id, set()).add(index)
    results = {}
    file_of = {article_id: str(pathlib.Path(path).relative_to(corpus)) for path, article_id, *_ in articles}
    for input_path, article_id, title, cluster_id, cluster_size, wire_ids in articles:
        results[file_of[article_id]] = {
            "title": title, "removed": by_article.get(article_id, set()), "cluster": cluster_id,
            "cluster_size": cluster_size, "wire": {file_of[other] for other in wire_ids},
        }
    for input_path in rejected:
        results[str(pathlib.Path(input_path).relative_to(corpus))] = None
    return results, report


def boilerplate_scores(items, results):
    """Line-level precision and recall of chrome removal, and title accuracy."""
    true_pos = false_pos = false_neg = titles_right = 0
    for item in items:
        result = results[item["file"]]
        for index, (text, label) in enumerate(item["lines"]):
            if label == "title":
                titles_right += bool(result) and result["title"] == " ".join(text.split())
                continue
            removed = result is None or index in result["removed"]
            true_pos += removed and label == "chrome"
            false_pos += removed and label == "body"
            false_neg += (not removed) and label == "chrome"
    return {
        "precision": true_pos / max(true_pos + false_pos, 1),
        "recall": true_pos / max(true_pos + false_neg, 1),
        "chrome_lines": true_pos + false_neg,
        "body_lines_lost": false_pos,
        "title_accuracy": titles_right / max(len(items), 1),
    }


def _body_shingles(item):
    parts = [shingle_hashes(matching_key(text).split()) for text, label in item["lines"] if label == "body"]
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.uint64)


def syndication_scores(items, results):
    """Pairwise precision and recall of copy clusters against the stories."""
    predicted = set()
    clusters = {}
    for item in items:
        result = results[item["file"]]
        if result and result["cluster_size"] > 1:
            clusters.setdefault(result["cluster"], []).append(item["file"])
    for members in clusters.values():
        predicted |= {tuple(sorted(p)) for p in itertools.combinations(members, 2)}
    by_story = {}
    for item in items:
        by_story.setdefault(item["story"], []).append(item)
    truth, within = set(), set()
    for members in by_story.values():
        for a, b in itertools.combinations(members, 2):
            pair = tuple(sorted((a["file"], b["file"])))
            truth.add(pair)
            jaccard, containment = similarity(_body_shingles(a), _body_shingles(b))
            if jaccard >= DEFAULT_JACCARD or containment >= DEFAULT_CONTAINMENT:
                within.add(pair)
    found = predicted & truth
    return {
        "precision": len(found) / max(len(predicted), 1),
        "recall": len(found) / max(len(truth), 1),
        "recall_within_thresholds": len(predicted & within) / max(len(within), 1),
        "true_pairs": len(truth),
        "true_pairs_within_thresholds": len(within),
        "predicted_pairs": len(predicted),
    }


def _paragraph_shingles(item):
    return [shingle_hashes(matching_key(text).split()) for text, label in item["lines"]
            if label == "body" and len(text.split()) >= DEFAULT_WIRE_MIN_WORDS]


def wire_scores(items, results):
    """Pairwise precision and recall of shared wire paragraphs: two articles
    of different sources where a long body paragraph of one stands (at
    least ``DEFAULT_WIRE_CONTAINMENT`` of its shingles) in the other's body.
    The truth is found exactly, through an index of body shingles."""
    source = {item["file"]: item["source"] for item in items}
    index = {}
    for item in items:
        for shingle in _body_shingles(item).tolist():
            index.setdefault(shingle, []).append(item["file"])
    truth = set()
    for item in items:
        for paragraph in _paragraph_shingles(item):
            hits = {}
            for shingle in set(paragraph.tolist()):
                for other in index.get(shingle, ()):
                    hits[other] = hits.get(other, 0) + 1
            for other, count in hits.items():
                if source[other] != item["source"] and count >= DEFAULT_WIRE_CONTAINMENT * len(set(paragraph.tolist())):
                    truth.add(tuple(sorted((item["file"], other))))
    predicted = {tuple(sorted((item["file"], other))) for item in items if results[item["file"]]
                 for other in results[item["file"]]["wire"]}
    found = predicted & truth
    return {"precision": len(found) / max(len(predicted), 1), "recall": len(found) / max(len(truth), 1),
            "true_pairs": len(truth), "predicted_pairs": len(predicted)}


def evaluate(name, items, workdir):
    results, report = job_output(items, workdir)
    return {
        "corpus": name,
        "articles": len(items),
        "sources": len({i["source"] for i in items}),
        "boilerplate": boilerplate_scores(items, results),
        "syndication": syndication_scores(items, results),
        "wire": wire_scores(items, results),
        "seconds": report["elapsed_seconds"],
    }


def passage_scores(items, truth, workdir):
    """Precision and recall of the ``shared_passages`` table against the
    cases' passages: a found passage is right when its span in the case's
    first article and the true one overlap by at least half of each."""
    workdir = pathlib.Path(workdir)
    job_output(items, workdir)
    corpus = (workdir / "corpus").resolve()
    articles = f"read_parquet('{workdir}/out/articles/**/*.parquet', hive_partitioning = true)"
    rows = duckdb.sql(
        f"select a.input_path, b.input_path, p.start_char, p.end_char, p.other_start_char, p.other_end_char, "
        f"a.text, b.text from read_parquet('{workdir}/out/shared_passages/**/*.parquet', hive_partitioning = true) p "
        f"join {articles} a using (article_id) join {articles} b on b.article_id = p.other_article_id "
        f"where p.article_id < p.other_article_id").fetchall()
    case_of = {frozenset((case["a"], case["b"])): index for index, case in enumerate(truth)}
    found = set()
    for a_path, b_path, start, end, other_start, other_end, a_text, b_text in rows:
        a_file, b_file = (str(pathlib.Path(path).relative_to(corpus)) for path in (a_path, b_path))
        index = case_of.get(frozenset((a_file, b_file)))
        if index is None:
            continue
        (start, end), text = ((start, end), a_text) if a_file == truth[index]["a"] else ((other_start, other_end), b_text)
        true_start = text.find(truth[index]["passage"])
        true_end = true_start + len(truth[index]["passage"])
        overlap = min(end, true_end) - max(start, true_start)
        if true_start >= 0 and overlap >= 0.5 * (true_end - true_start) and overlap >= 0.5 * (end - start):
            found.add(index)
    by_case = {case: [index for index, item in enumerate(truth) if item["case"] == case]
               for case in passage_cases.CASES}
    return {"precision": len(found) / max(len(rows), 1), "recall": len(found) / max(len(truth), 1),
            "recall_by_case": {case: sum(index in found for index in indexes) / max(len(indexes), 1)
                               for case, indexes in by_case.items()},
            "true_passages": len(truth), "predicted_passages": len(rows)}


def print_passage_scores(scores):
    print(f"\nshared passages (synthetic cases, benchmarks/passage_cases.py): {scores['true_passages']} true, "
          f"{scores['predicted_passages']} predicted")
    print(f"  passages     precision {scores['precision']:.3f}  recall {scores['recall']:.3f}  ("
          + ", ".join(f"{case} {recall:.3f}" for case, recall in scores["recall_by_case"].items()) + ")")


def print_scores(scores):
    b, s, w = scores["boilerplate"], scores["syndication"], scores["wire"]
    print(f"\n{scores['corpus']}: {scores['articles']} articles, {scores['sources']} sources")
    print(f"  boilerplate  precision {b['precision']:.3f}  recall {b['recall']:.3f}  "
          f"({b['chrome_lines']} chrome lines, {b['body_lines_lost']} body lines lost; "
          f"title right {b['title_accuracy']:.1%})")
    print(f"  syndication  precision {s['precision']:.3f}  recall {s['recall']:.3f}  "
          f"recall within J>={DEFAULT_JACCARD} or C>={DEFAULT_CONTAINMENT}: {s['recall_within_thresholds']:.3f}  "
          f"({s['true_pairs']} true pairs, {s['true_pairs_within_thresholds']} within thresholds, "
          f"{s['predicted_pairs']} predicted)")
    print(f"  wire copy    precision {w['precision']:.3f}  recall {w['recall']:.3f}  "
          f"(article pairs of different sources sharing a paragraph: {w['true_pairs']} true, "
          f"{w['predicted_pairs']} predicted)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic_articles", type=int, default=3000)
    parser.add_argument("--workdir", default="bench-out/quality")
    parser.add_argument("--json", default=None, help="also write the scores to this file")
    args = parser.parse_args(argv)
    workdir = pathlib.Path(args.workdir)
    all_scores = []
    items = dev_items()
    if items:
        all_scores.append(evaluate("dev set (hand-written, dev/boilerplate)", items, workdir / "dev"))
    all_scores.append(evaluate("synthetic corpus", synthetic.generate(args.synthetic_articles), workdir / "synthetic"))
    passages = passage_scores(*passage_cases.generate(), workdir / "passages")
    for scores in all_scores:
        print_scores(scores)
    print_passage_scores(passages)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({"corpora": all_scores, "passages": passages}, indent=2))


if __name__ == "__main__":
    main()
