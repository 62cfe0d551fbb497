"""``make bench``: throughput and peak memory of the whole job on a synthetic corpus.

Each configuration runs ``akhbar`` in its own process, so its peak resident
memory (its own and its workers') is measured cleanly.
"""

import argparse
import json
import pathlib
import shutil
import statistics
import subprocess
import sys

from benchmarks.corpus import write_corpus
from benchmarks.measure import run_measured
from benchmarks.stage import measure_apart

CONFIGURATIONS = {
    "one process": ["--processes", "1"],
    "2 worker processes": ["--processes", "2"],
}


def run_job(corpus, output, extra):
    akhbar = pathlib.Path(sys.executable).parent / "akhbar"
    seconds, peak_mb, done = run_measured([str(akhbar), "--input", str(corpus), "--output", str(output), *extra],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done.check_returncode()
    report = json.loads((output / "_run_report.json").read_text())
    return seconds, peak_mb, report


def median_apart(name, articles, runs):
    """``(median, lowest, highest)`` articles per second over ``runs``
    fresh-interpreter measurements: on a shared VM one run moves by a third."""
    figures = [measure_apart(name, articles)[0] for _ in range(runs)]
    return statistics.median(figures), min(figures), max(figures)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--stage_articles", type=int, default=8000)
    parser.add_argument("--beam_runs", type=int, default=5, help="runs of each Beam stage figure (median shown)")
    parser.add_argument("--days", type=int, default=90, help="days the corpus spans (x 8 outlets = partitions)")
    parser.add_argument("--workdir", default="bench-out")
    parser.add_argument("--camel_sentences", type=int, default=400)
    parser.add_argument("--skip_camel", action="store_true", help="skip the camel NER speed comparison (minutes)")
    args = parser.parse_args(argv)
    workdir = pathlib.Path(args.workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    corpus = workdir / "corpus"
    write_corpus(corpus, args.articles, args.days)
    size_mb = sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file()) / 2**20
    print(f"synthetic corpus: {args.articles} articles over {args.days} days x 8 outlets, {size_mb:.1f} MB "
          f"on disk (a third .txt + manifest, a third .jsonl.gz, a third .json)")
    print(f"{'configuration':<30} {'seconds':>8} {'articles/s':>11} {'peak RSS MB':>12}  balanced")
    for name, extra in CONFIGURATIONS.items():
        seconds, peak_mb, report = run_job(corpus, workdir / "out", extra)
        assert report["articles_written"] == args.articles, report
        print(f"{name:<30} {seconds:>8.1f} {args.articles / seconds:>11.0f} {peak_mb:>12.0f}  {report['balanced']}")
    print("seconds include interpreter and Beam start-up; peak RSS is the whole process tree's")
    print(f"\nboilerplate + syndication stage on the synthetic corpus ({args.stage_articles} articles):")
    median, lowest, highest = median_apart("stage", args.stage_articles, args.beam_runs)
    print(f"  Beam DirectRunner, one process:      {median:8.0f} articles per CPU second "
          f"(median of {args.beam_runs} runs, {lowest:.0f}-{highest:.0f})")
    per_second, seconds = measure_apart("stage_functions", args.stage_articles)
    print(f"  the stage's functions, one core:      {per_second:8.0f} articles per CPU second ({seconds:.1f} s, best of 3)")
    print(f"\nentity annotation, gazetteer, on the same corpus ({args.stage_articles} articles):")
    median, lowest, highest = median_apart("annotator_stage", args.stage_articles, args.beam_runs)
    print(f"  Beam DirectRunner, one process:      {median:8.0f} articles per CPU second "
          f"(median of {args.beam_runs} runs, {lowest:.0f}-{highest:.0f})")
    per_second, seconds = measure_apart("annotator", args.stage_articles)
    print(f"  the annotator alone, one core:       {per_second:8.0f} articles per CPU second ({seconds:.1f} s)")
    if not args.skip_camel:
        from benchmarks.ner_speed import camel_speedup, news_sentences  # torch: imported only when needed

        print("\nentity annotation, camel path vs camel-tools' NERecognizer.predict (make bench-camel):")
        figures = camel_speedup(news_sentences(args.camel_sentences), min(64, args.camel_sentences))
        print(f"  camel-tools predict {figures['camel_sentences_per_second']:.2f} sentences/s; ours "
              f"{figures['our_sentences_per_second']:.2f} sentences/s, {figures['speedup']:.1f}x with identical labels; "
              f"bfloat16 {figures['bfloat16_speedup']:.1f}x, {figures['bfloat16_labels_equal_to_camel']:.2%} of labels equal")
        print(f"  on a news stream with wire copy ({figures['stream_repeated_share']:.0%} of sentences repeated, "
              f"each labelled once): {figures['stream_speedup']:.1f}x with identical labels")


if __name__ == "__main__":
    main()
