"""Throughput of single stages, per core: CPU time of a pipeline that builds
the articles and consumes them, with and without the stage (the difference
is the stage's time), and of the stage's plain functions alone."""

import functools
import gc
import json
import subprocess
import sys
import time

import apache_beam as beam
import numpy as np

from benchmarks import synthetic
from transforms import syndication
from transforms.boilerplate import (
    DEFAULT_SHARDS as BOILERPLATE_SHARDS, RemoveBoilerplate, keyed_batch, load_rules, remove_boilerplate,
    remove_boilerplate_from_many, shard_paragraph_codes,
)
from transforms.entities import AnnotateEntities
from transforms.gazetteer import ANNOTATOR as GAZETTEER, Gazetteer, annotate
from transforms.packed import day_numbers
from transforms.read import parse_txt
from transforms.syndication import DetectSyndication
from transforms.text import ARTICLES_PER_BATCH, clean_text

SHARDS = 16


def as_record(index, item):
    """A synthetic page as the normalize stage hands it on."""
    title, body = parse_txt("\n".join(line for line, _ in item["lines"]))
    return {
        "article_id": f"a{index:07d}", "title": clean_text(title), "text": clean_text(body), "input_format": "txt",
        "source": item["source"], "date": item["date"], "published_at": None, "input_path": item["file"],
        "record_index": 0, "size_bytes": 0,
    }


@functools.lru_cache(maxsize=2)
def _all_records(articles):
    return [as_record(i, item) for i, item in enumerate(synthetic.generate(articles))]


def _shard(shard, articles):
    return _all_records(articles)[shard::SHARDS]


class BoilerplateAndSyndication(beam.PTransform):
    """Both stages, every output of each kept."""

    def expand(self, records):
        articles, removed, rejects = records | RemoveBoilerplate()
        return (*(articles | DetectSyndication()), removed, rejects)


def _cpu_seconds(articles, stage):
    """CPU time of a pipeline run in this process (the DirectRunner's
    threads included): unlike wall time, not inflated by other load."""
    _all_records(articles)
    started = time.process_time()
    with beam.Pipeline() as p:
        records = p | beam.Create(range(SHARDS)) | beam.FlatMap(_shard, articles)
        outputs = stage(records)
        # every output consumed where it is made: a Flatten or a combiner
        # would copy it once more, and is not the stage's work
        for index, output in enumerate(outputs if isinstance(outputs, tuple) else (outputs,)):
            output | f"Consume{index}" >> beam.Map(lambda element: None)
    return time.process_time() - started


def stage_throughput(articles):
    """``(articles_per_cpu_second, cpu_seconds)`` of RemoveBoilerplate +
    DetectSyndication on the DirectRunner."""
    base = _cpu_seconds(articles, lambda records: records)
    full = _cpu_seconds(articles, lambda records: records | BoilerplateAndSyndication())
    return articles / max(full - base, 1e-9), full - base


def plain_function_throughput(articles):
    """``(articles_per_second, seconds)`` of the stage's per-article work
    without the runner: boilerplate layers, shingles, MinHash and bucket
    keys, and the verification of every candidate pair found. The best of
    three runs after a warm-up."""
    _run_functions(_all_records(articles)[: articles // 10])
    return max((_run_functions(_all_records(articles)) for _ in range(3)), key=lambda result: result[0])


def _run_functions(records):
    articles = len(records)
    rules = load_rules()
    gc.collect()
    gc.freeze()  # the input articles are fixtures: keep the collector off them
    started = time.process_time()
    features, keys, numbers, days = {}, [], [], []
    for start in range(0, articles, ARTICLES_PER_BATCH):
        batch = keyed_batch(records[start:start + ARTICLES_PER_BATCH])
        for _ in shard_paragraph_codes(batch, BOILERPLATE_SHARDS):  # layer 2's counting
            pass
        cleaned = [article for article, _ in remove_boilerplate_from_many(batch, rules)]
        batch_numbers, batch_features, bucket_keys, owners = syndication.numbered_description(
            cleaned, syndication.DEFAULT_WIRE_MIN_WORDS
        )
        features.update(zip(batch_numbers.tolist(), batch_features))
        keys.append(bucket_keys)
        numbers.append(batch_numbers[owners])
        days.append(day_numbers([node[1] for node, _ in batch_features])[owners])
    firsts, seconds, weights = syndication.summed_pairs(
        *syndication.bucket_pairs(np.concatenate(keys), np.concatenate(numbers), np.concatenate(days))
    )
    chosen = weights >= syndication.MIN_SHARED_FINGERPRINTS
    pairs = [(features[a], features[b]) for a, b in zip(firsts[chosen].tolist(), seconds[chosen].tolist())]
    for start in range(0, len(pairs), 2 * ARTICLES_PER_BATCH):  # about as many as a batch of joined groups
        syndication.verify_pairs(pairs[start:start + 2 * ARTICLES_PER_BATCH])
    seconds = time.process_time() - started
    gc.unfreeze()
    return articles / seconds, seconds


def gazetteer_throughput(articles):
    """``(articles_per_cpu_second, seconds)`` of the gazetteer annotator on
    the synthetic corpus's cleaned bodies, one core, after a warm-up pass
    (a long job has met most of its words before)."""
    gazetteer = Gazetteer.load()
    rules = load_rules()
    texts = [remove_boilerplate(record, rules)[0]["text"] for record in _all_records(articles)]
    for text in texts[: articles // 10]:
        annotate(gazetteer, text)
    started = time.process_time()
    for text in texts:
        annotate(gazetteer, text)
    seconds = time.process_time() - started
    return articles / seconds, seconds


def annotator_stage_throughput(articles):
    """``(articles_per_cpu_second, cpu_seconds)`` of AnnotateEntities with
    the gazetteer on the DirectRunner, as ``stage_throughput`` measures, on
    the articles as boilerplate removal leaves them (both runs clean them)."""
    rules = load_rules()

    def cleaned(records):
        return records | "Clean" >> beam.Map(lambda record: remove_boilerplate(record, rules)[0])

    base = _cpu_seconds(articles, cleaned)
    full = _cpu_seconds(articles, lambda records: cleaned(records) | AnnotateEntities(GAZETTEER))
    return articles / max(full - base, 1e-9), full - base


MEASUREMENTS = {
    "stage": stage_throughput,
    "stage_functions": plain_function_throughput,
    "annotator_stage": annotator_stage_throughput,
    "annotator": gazetteer_throughput,
}


def measure_apart(name, articles):
    """One measurement in a fresh interpreter: ``(articles_per_second,
    seconds)``, untouched by what ran before (a large heap left by earlier
    runs slows the garbage collector, and with it every later figure)."""
    command = [sys.executable, "-m", "benchmarks.stage", name, str(articles)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    return result["per_second"], result["seconds"]


if __name__ == "__main__":
    per_second, seconds = MEASUREMENTS[sys.argv[1]](int(sys.argv[2]))
    print(json.dumps({"per_second": per_second, "seconds": seconds}))
