"""``make bench-scale``: the whole job at 10k, 100k and (with ``--sizes``) 1M
articles of the scale corpus (``benchmarks.scale_corpus``), each size in a
fresh process tree: wall time, articles/s, MB/s of input, peak memory of
the whole tree, seconds per stage, and boilerplate and syndication quality
against the corpus's truth.

``python -m benchmarks.scale --sizes 10000 100000 1000000`` runs all three;
sizes from ``--walk_from`` (1M) up also run the way the README recommends
there: ``akhbar-walk``, about 100k articles a run.
"""

import argparse
import functools
import json
import pathlib
import shutil
import subprocess
import sys

import duckdb

from benchmarks.measure import machine_speed_seconds, run_measured
from benchmarks.scale_corpus import ARTICLES_PER_DAY, write_scale_corpus
from pipelines.walk import WALK_REPORT_NAME
from transforms.progress import STAGES
from transforms.report import REPORT_NAME

WALK_WINDOW_DAYS = 30  # as the README recommends for walks
CONFIGURATIONS = {"one process": ["--processes", "1"], "2 workers": ["--processes", "2"]}


def corpus_for(workdir, articles):
    """The corpus of that size under ``workdir``, written once."""
    folder = pathlib.Path(workdir) / f"corpus-{articles}"
    done = folder / "done"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        write_scale_corpus(folder, articles)
        done.write_text("")
    return folder


def run_job(corpus, output, extra):
    """``(seconds, peak_tree_mb, report)`` of one run of the job, into an
    empty output (over an earlier run's, it would read and update that one's
    partitions, as a daily run does)."""
    shutil.rmtree(output, ignore_errors=True)
    return _measured("akhbar", ["--input", str(corpus / "corpus"), *extra], output, REPORT_NAME)


def walk_job(corpus, output, days_per_run):
    """``(seconds, peak_tree_mb, walk_report)`` of ``akhbar-walk`` over the
    corpus's dates, ``days_per_run`` days a run."""
    days = sorted({path.stem[-len("YYYY-MM-DD"):] for path in (corpus / "corpus").glob("*/*.jsonl")})
    shutil.rmtree(output, ignore_errors=True)
    return _measured("akhbar-walk", ["--input", f"{corpus}/corpus/*/*-{{date}}.jsonl", "--start_date", days[0],
                                     "--end_date", days[-1], "--days_per_run", str(days_per_run),
                                     "--syndication_window_days", str(WALK_WINDOW_DAYS)],
                     output, WALK_REPORT_NAME)


def _measured(command, arguments, output, report_name):
    shutil.rmtree(output, ignore_errors=True)
    executable = pathlib.Path(sys.executable).parent / command
    seconds, peak_mb, done = run_measured([str(executable), *arguments, "--output", str(output)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise RuntimeError(f"{command} failed:\n{done.stderr[-4000:]}")
    return seconds, peak_mb, json.loads((output / report_name).read_text())


def quality(corpus, output):
    """Boilerplate line precision/recall and syndication pairwise
    precision/recall of one run's output against the corpus's truth, in
    DuckDB: of copy clusters (an edited copy that shares most but not all
    of its text is not a copy), and of links (same cluster, or a stored
    pair that shares paragraphs) against all same-story pairs."""
    db = duckdb.connect()
    db.execute(f"""
        create view truth as select * from read_json('{corpus}/truth.jsonl', format='newline_delimited');
        create view articles as select * from read_parquet('{output}/articles/**/*.parquet', hive_partitioning=true);
        create view removed as select * from read_parquet('{output}/removed_paragraphs/**/*.parquet',
                                                           hive_partitioning=true);
        create view matched as
            select t.story, t.labels, a.article_id, a.cluster_id, a.cluster_size
            from truth t join articles a
              on a.input_path = '{corpus}/corpus/' || t.file and a.record_index = t.record_index;
        create view links as
            select distinct least(a_id, b_id) a, greatest(a_id, b_id) b
            from read_parquet('{output}/_syndication/pairs/**/*.parquet', hive_partitioning=false);
        create view story_pairs as
            select x.article_id a, y.article_id b, x.cluster_id = y.cluster_id same_cluster
            from matched x join matched y on x.story = y.story and x.article_id < y.article_id;
        create view lines as
            select m.article_id, i - 1 as paragraph_index, substr(m.labels, i, 1) as label
            from matched m, range(1, length(m.labels) + 1) r(i);
    """)
    true_pos, false_pos, false_neg = db.execute("""
        select count(*) filter (where r.article_id is not null and l.label = 'C'),
               count(*) filter (where r.article_id is not null and l.label = 'B'),
               count(*) filter (where r.article_id is null and l.label = 'C')
        from lines l left join removed r using (article_id, paragraph_index)""").fetchone()
    found, predicted, true = db.execute("""
        select (select sum(n * (n - 1) / 2) from (select count(*) n from matched group by cluster_id, story)),
               (select sum(n * (n - 1) / 2) from (select count(*) n from matched group by cluster_id)),
               (select sum(n * (n - 1) / 2) from (select count(*) n from matched group by story))""").fetchone()
    linked, links, linked_true = db.execute("""
        select (select count(*) from story_pairs s left join links l using (a, b)
                where s.same_cluster or l.a is not null),
               (select count(*) from links),
               (select count(*) from links join story_pairs using (a, b))""").fetchone()
    return {
        "boilerplate_precision": true_pos / max(true_pos + false_pos, 1),
        "boilerplate_recall": true_pos / max(true_pos + false_neg, 1),
        "syndication_precision": found / max(predicted, 1),
        "syndication_recall": found / max(true, 1),
        "link_precision": linked_true / max(links, 1),
        "link_recall": linked / max(true, 1),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--one_process_up_to", type=int, default=100_000,
                        help="sizes above this run only with the default (2 workers)")
    parser.add_argument("--walk_from", type=int, default=1_000_000,
                        help="sizes from this one up also run as akhbar-walk, --walk_articles articles a run")
    parser.add_argument("--walk_articles", type=int, default=100_000)
    parser.add_argument("--one_run_up_to", type=int, default=None,
                        help="sizes above this run only as akhbar-walk (default: every size also as one run)")
    parser.add_argument("--workdir", default="bench-out/scale")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    workdir = pathlib.Path(args.workdir).resolve()
    print(f"machine: 10M pure-Python additions in {machine_speed_seconds():.2f} s on one core", flush=True)
    rows = []
    for articles in args.sizes:
        corpus = corpus_for(workdir, articles)
        megabytes = sum(p.stat().st_size for p in (corpus / "corpus").rglob("*.jsonl")) / 2**20
        configurations = CONFIGURATIONS if articles <= args.one_process_up_to else {"2 workers": []}
        if args.one_run_up_to is not None and articles > args.one_run_up_to:
            configurations = {}
        runs = {}
        if articles >= args.walk_from:
            days_per_run = max(1, round(args.walk_articles / ARTICLES_PER_DAY))
            runs[f"walk {days_per_run}d"] = functools.partial(walk_job, corpus, workdir / f"out-{articles}",
                                                              days_per_run)
        runs.update((name, functools.partial(run_job, corpus, workdir / f"out-{articles}", extra))
                    for name, extra in configurations.items())
        for name, job in runs.items():
            seconds, peak_mb, report = job()
            output = workdir / f"out-{articles}"
            assert report["articles_written"] == articles and report["balanced"], report
            rows.append({"articles": articles, "configuration": name, "seconds": seconds, "input_mb": megabytes,
                         "peak_tree_mb": peak_mb, "stages": report["stages"], **quality(corpus, output)})
            print_row(rows[-1])
            if "runs" in report:
                rows[-1]["run_seconds"] = [run["elapsed_seconds"] for run in report["runs"]]
                print(f"{'':>9} seconds of each run: {' '.join(f'{s:.0f}' for s in rows[-1]['run_seconds'])}",
                      flush=True)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=2))


def print_row(row):
    if not getattr(print_row, "header", False):
        stages = " ".join(f"{stage[:6]:>6}" for stage in STAGES if stage != "read")
        print(f"{'articles':>9} {'configuration':<12} {'seconds':>8} {'art/s':>6} {'MB/s':>5} {'peak MB':>8}  "
              f"{stages}  {'bp P':>5} {'bp R':>5} {'syn P':>5} {'syn R':>5} {'lnk P':>5} {'lnk R':>5}")
        print_row.header = True
    stages = " ".join(f"{row['stages'][stage]['seconds']:>6.0f}" for stage in STAGES if stage != "read")
    print(f"{row['articles']:>9} {row['configuration']:<12} {row['seconds']:>8.1f} "
          f"{row['articles'] / row['seconds']:>6.0f} {row['input_mb'] / row['seconds']:>5.1f} "
          f"{row['peak_tree_mb']:>8.0f}  {stages}  {row['boilerplate_precision']:>5.3f} "
          f"{row['boilerplate_recall']:>5.3f} {row['syndication_precision']:>5.3f} {row['syndication_recall']:>5.3f} "
          f"{row['link_precision']:>5.3f} {row['link_recall']:>5.3f}",
          flush=True)


if __name__ == "__main__":
    main()
