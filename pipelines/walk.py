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

DESCRIPTION = __doc__.split("\n\n")[0]


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
    parser.add_argument("--start_date", type=dt.date.fromisoformat, required=True, help="First day (YYYY-MM-DD).")
    parser.add_argument("--end_date", type=dt.date.fromisoformat, required=True,
                        help="Last day (YYYY-MM-DD, inclusive).")
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
    articles = sum(report["articles_written"] for report in reports)
    elapsed = time.time() - started
    print(f"akhbar-walk: {len(reports)} runs, {options.start_date} to {options.end_date}: {articles} articles, "
          f"{sum(report['rejects_total'] for report in reports)} rejects, "
          f"{sum(report['outside_date_range'] for report in reports)} outside each run's dates, "
          f"{elapsed:.1f} s ({articles / max(elapsed, 1e-9):.1f} articles/s)")
    return reports


def main():
    walk()


if __name__ == "__main__":
    main()
