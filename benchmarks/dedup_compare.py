"""``make bench-dedup``: akhbar's copy detection against datatrove's MinHash
deduplication and datasketch's MinHashLSH, on the same documents and the
same 2 cores, with pairwise precision and recall against the stories of a
scale corpus (``benchmarks.scale_corpus``).

Every system gets each article's true body (its lines labelled body, no
page chrome), so only copy detection is compared. akhbar runs its
syndication stage (``DetectSyndication``) on the DirectRunner with its
pool of 2 processes; the others run in their own virtualenv
(``benchmarks/requirements-dedup.txt``, ``benchmarks/dedup_others.py``).
"""

import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import time

import apache_beam as beam

from benchmarks.scale import corpus_for
from transforms.syndication import DetectSyndication
from transforms.text import ARTICLES_PER_BATCH

OTHERS = ("datatrove (defaults)", "datatrove (matched)", "datasketch (defaults)", "datasketch (matched)")
FILES = 16


def true_bodies(corpus):
    """``[{"id", "text", "source", "date", "story"}]``: each article's body
    lines, from the feeds and the truth's line labels."""
    truth = {}
    with open(corpus / "truth.jsonl", encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            truth[(item["file"], item["record_index"])] = item
    documents = []
    for path in sorted((corpus / "corpus").rglob("*.jsonl")):
        feed = str(path.relative_to(corpus / "corpus"))
        with open(path, encoding="utf-8") as handle:
            for index, line in enumerate(handle):
                item = truth[(feed, index)]
                lines = json.loads(line)["text"].split("\n")
                body = "\n".join(text for text, label in zip(lines, item["labels"]) if label == "B")
                documents.append({"id": len(documents), "text": body, "source": item["source"],
                                  "date": item["date"], "story": item["story"]})
    return documents


def write_documents(documents, folder):
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(FILES):
        with open(folder / f"docs-{number:05d}.jsonl", "w", encoding="utf-8") as handle:
            for document in documents[number::FILES]:
                handle.write(json.dumps({"id": document["id"], "text": document["text"]}, ensure_ascii=False) + "\n")


def _cluster_of(update):
    return [(update["cluster_id"], int(update["article_id"]))] if "cluster_id" in update else []


def _write_json(value, path):
    pathlib.Path(path).write_text(json.dumps(value))


def _article_batches(path, stories):
    """A documents file as batches of articles for the syndication stage
    (read inside the pipeline: a Create of the whole corpus would be
    serialised into the pipeline's graph)."""
    with open(path, encoding="utf-8") as handle:
        articles = [{"article_id": str(doc["id"]), "text": doc["text"], "source": stories[doc["id"]][0],
                     "date": stories[doc["id"]][1], "published_at": None}
                    for doc in map(json.loads, handle)]
    return [articles[i:i + ARTICLES_PER_BATCH] for i in range(0, len(articles), ARTICLES_PER_BATCH)]


def akhbar_clusters(documents, processes, workdir):
    """``(seconds, clusters)`` of akhbar's syndication stage."""
    stories = {d["id"]: (d["source"], d["date"]) for d in documents}
    result = workdir / "akhbar-clusters.json"
    started = time.perf_counter()
    with beam.Pipeline() as pipeline:
        _, updates, _ = (pipeline
                      | beam.Create(sorted(str(path) for path in (workdir / "docs").glob("docs-*.jsonl")))
                      | beam.FlatMap(_article_batches, stories)
                      | DetectSyndication(processes=processes))
        _ = (updates | beam.FlatMap(_cluster_of) | "Together" >> beam.combiners.ToList()
             | beam.Map(_write_json, str(result)))
    seconds = time.perf_counter() - started
    members = {}
    for cluster, article_id in json.loads(result.read_text()):
        members.setdefault(cluster, []).append(article_id)
    return seconds, [group for group in members.values() if len(group) > 1]


def pairwise(clusters, documents):
    """Pairwise precision and recall of clusters against the stories."""
    story = [d["story"] for d in documents]
    predicted = found = 0
    for group in clusters:
        predicted += len(group) * (len(group) - 1) // 2
        by_story = {}
        for member in group:
            by_story[story[member]] = by_story.get(story[member], 0) + 1
        found += sum(n * (n - 1) // 2 for n in by_story.values())
    sizes = {}
    for name in story:
        sizes[name] = sizes.get(name, 0) + 1
    true = sum(n * (n - 1) // 2 for n in sizes.values())
    return found / max(predicted, 1), found / max(true, 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--workdir", default="bench-out/scale")
    parser.add_argument("--venv", default=".venv-dedup", help="the virtualenv of requirements-dedup.txt")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args(argv)
    workdir = pathlib.Path(args.workdir).resolve()
    documents = true_bodies(corpus_for(workdir, args.articles))
    folder = workdir / f"dedup-{args.articles}"
    shutil.rmtree(folder, ignore_errors=True)
    write_documents(documents, folder / "docs")
    print(f"{len(documents)} articles, {sum(len(d['text']) for d in documents) / 2**20:.0f} M characters of body; "
          f"{args.processes} processes each")
    print(f"{'system':<24} {'seconds':>8} {'articles/s':>10} {'precision':>9} {'recall':>7} {'clusters':>9}",
          flush=True)
    print_result("akhbar", *akhbar_clusters(documents, args.processes, folder), documents)
    others = pathlib.Path(__file__).with_name("dedup_others.py")
    python = pathlib.Path(args.venv) / "bin" / "python"
    for system in OTHERS:
        work = folder / system.replace(" ", "-").replace("(", "").replace(")", "")
        done = subprocess.run([str(python), str(others), system.split()[0] + ("-matched" if "matched" in system else ""),
                               str(folder / "docs"), str(work), str(args.processes)],
                              capture_output=True, text=True, check=True)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        print_result(system, figures["seconds"], figures["clusters"], documents)


def print_result(system, seconds, clusters, documents):
    """One system's row, as soon as it has run."""
    precision, recall = pairwise(clusters, documents)
    print(f"{system:<24} {seconds:>8.1f} {len(documents) / seconds:>10.0f} {precision:>9.3f} {recall:>7.3f} "
          f"{len(clusters):>9}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
