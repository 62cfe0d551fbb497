"""``akhbar-walk``: a long date range, run by run, into one output.

Each run publishes a few days (``--days_per_run``) in date order, and finds
copies of the articles of the runs before it through the signatures they
left (``transforms.history``): the output is what one run over the whole
range would give, in the memory one window needs.
"""

import argparse
import datetime as dt
import sys
import time

from pipelines.akhbar import run
from transforms import files
from transforms.dates import run_date
from transforms.report import write_report

DESCRIPTION = __doc__.split("\n\n")[0]
WALK_REPORT_NAME = "_walk_report.json"


def windows(start, end, days_per_run):
    """``(first_day, last_day)`` of each run, in date order."""
    first = start
    while first <= end:
        last = min(first + dt.timedelta(days=days_per_run - 1), end)
        yield first, last
        first = last + dt.timedelta(days=1)


def parse(argv):
    """``(walk_options, akhbar_arguments)``."""
    parser = argparse.ArgumentParser(
        prog="akhbar-walk", description=DESCRIPTION,
        epilog="Every other option is akhbar's (akhbar --help), given to each run; an --input may name {date}.")
    parser.add_argument("--start_date", type=run_date, required=True,
                        help="First day (YYYY-MM-DD, or today, yesterday, today-N in UTC).")
    parser.add_argument("--end_date", type=run_date, required=True, help="Last day (inclusive), the same way.")
    parser.add_argument("--days_per_run", type=int, default=1,
                        help="Days published by each run: more days, fewer runs and more memory. Default: %(default)s.")
    walk, akhbar_arguments = parser.parse_known_args(argv)
    if walk.days_per_run < 1 or walk.start_date > walk.end_date:
        parser.error("--days_per_run must be at least 1 and --start_date not after --end_date")
    return walk, akhbar_arguments


def walk(argv=None):
    """Run akhbar once per window; returns the reports. A failed run stops
    the walk (the runs after it would miss its signatures): start again
    from its first day."""
    options, akhbar_arguments = parse(sys.argv[1:] if argv is None else argv)
    started, reports = time.time(), []
    for first, last in windows(options.start_date, options.end_date, options.days_per_run):
        reports.append(run(akhbar_arguments + ["--start_date", first.isoformat(), "--end_date", last.isoformat()]))
    summary = walk_summary(reports, time.time() - started)
    output = reports[-1]["output"]
    write_report(output, summary, WALK_REPORT_NAME)
    print(f"akhbar-walk: {len(reports)} runs, {options.start_date} to {options.end_date}: "
          f"{summary['articles_written']} articles, {summary['rejects_total']} rejects, "
          f"{summary['outside_date_range']} outside each run's dates, {summary['elapsed_seconds']:.1f} s "
          f"({summary['articles_per_second']:.1f} articles/s); {files.join_url(output, WALK_REPORT_NAME)}")
    return reports


def walk_summary(reports, elapsed):
    """The walk's totals, its stages' items and seconds summed over the
    runs, and a line per run."""
    totals = {name: sum(report[name] for report in reports)
              for name in ("articles_written", "rejects_total", "outside_date_range", "records_parsed")}
    stages = {}
    for report in reports:
        for stage, figures in report.get("stages", {}).items():
            summed = stages.setdefault(stage, {"items": 0, "seconds": 0.0})
            summed["items"] += figures["items"]
            summed["seconds"] += figures["seconds"]
    runs = [{name: report[name] for name in ("run_id", "articles_written", "rejects_total", "outside_date_range",
                                             "earlier_partitions_updated", "elapsed_seconds")}
            for report in reports]
    return {**totals, "balanced": all(report["balanced"] for report in reports),
            "elapsed_seconds": round(elapsed, 3), "articles_per_second":
            round(totals["articles_written"] / max(elapsed, 1e-9), 2), "stages": stages, "runs": runs}


def main():
    walk()


if __name__ == "__main__":
    main()
