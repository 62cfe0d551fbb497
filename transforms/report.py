"""The run report: ``<output>/_run_report.json`` and the table printed at the end."""

import datetime as dt
import json

import apache_beam as beam

import schemas
from transforms import files

REPORT_NAME = "_run_report.json"


def build_report(run_info, descriptors, counts, finished_at):
    """The report of a run from the partition descriptors and stage counts.

    ``balanced`` checks that every record parsed from the files came out as
    an article, a reject, or a record dated outside the run's date range:
    records parsed + rejects at reading == articles + all rejects + outside.
    """
    rows = {}
    reasons = {}
    updated = [descriptor for descriptor in descriptors if "replaces" in descriptor]
    descriptors = [descriptor for descriptor in descriptors if "replaces" not in descriptor]
    for descriptor in descriptors:
        for table in schemas.TABLES:
            rows[table] = rows.get(table, 0) + descriptor["rows"].get(table, 0)
        for reason, count in descriptor["reject_reasons"].items():
            reasons[reason] = reasons.get(reason, 0) + count
    elapsed = max(finished_at - run_info["started_at"], 1e-9)
    articles = rows.get("articles", 0)
    rejected = rows.get("rejects", 0)
    records_parsed = counts.get("records_parsed", 0)
    read_rejects = counts.get("read_rejects", 0)
    outside = counts.get("outside_date_range", 0)
    return {
        "run_id": run_info["run_id"],
        "inputs": run_info["inputs"],
        "output": run_info["output"],
        "started_at": _iso(run_info["started_at"]),
        "finished_at": _iso(finished_at),
        "elapsed_seconds": round(elapsed, 3),
        "files_matched": counts.get("files_matched", 0),
        "records_parsed": records_parsed,
        "articles_written": articles,
        "outside_date_range": outside,
        "rejects_total": rejected,
        "rejects_by_reason": dict(sorted(reasons.items())),
        "rows_per_table": rows,
        "partitions_written": len(descriptors),
        "earlier_partitions_updated": len(updated),
        "articles_per_second": round(articles / elapsed, 2),
        "read_rejects": read_rejects,
        "balanced": records_parsed + read_rejects == articles + rejected + outside,
    }


def _iso(seconds):
    return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc).isoformat(timespec="seconds")


def write_report(output, report, name=REPORT_NAME):
    """Write the report next to the tables, whole or not at all."""
    text = json.dumps(report, ensure_ascii=False, indent=2)
    files.write_whole(files.join_url(output, name), text.encode("utf-8"))


def read_report(output, name=REPORT_NAME):
    fs, path = files.filesystem(files.join_url(output, name))
    with fs.open(path, "r") as handle:
        return json.load(handle)


def format_report(report):
    """The short table printed at the end of a run."""
    lines = [
        ("files matched", report["files_matched"]),
        ("records parsed", report["records_parsed"]),
        ("articles written", report["articles_written"]),
        ("rejects", report["rejects_total"]),
    ]
    if report.get("outside_date_range"):
        lines.append(("outside the date range", report["outside_date_range"]))
    lines += [(f"  {reason}", count) for reason, count in report["rejects_by_reason"].items()]
    lines += [(f"rows in {table}", count) for table, count in report["rows_per_table"].items()]
    lines += [
        ("partitions written", report["partitions_written"]),
        ("earlier partitions updated", report.get("earlier_partitions_updated", 0)),
        ("elapsed seconds", report["elapsed_seconds"]),
        ("articles per second", report["articles_per_second"]),
        ("count in = out + rejects", "yes" if report["balanced"] else "NO"),
    ]
    width = max(len(name) for name, _ in lines)
    body = "\n".join(f"{name:<{width}}  {value:>10}" for name, value in lines)
    if report.get("stages"):
        body += "\n" + _stage_table(report["stages"], width)
    return f"akhbar run {report['run_id']} -> {report['output']}\n{body}"


def _stage_table(stages, width):
    """Items and seconds per stage (summed over workers: seconds of work
    spent in the stage's own functions)."""
    lines = [f"{'stage':<{width}}  {'items':>10}  {'seconds':>8}"]
    lines += [f"{'  ' + stage:<{width}}  {figures['items']:>10}  {figures['seconds']:>8.1f}"
              for stage, figures in stages.items() if figures["items"] or figures["seconds"]]
    return "\n".join(lines)


class CountEach(beam.PTransform):
    """A dict ``name -> PCollection`` in; ``(name, element_count)`` pairs out."""

    def expand(self, named):
        counted = [
            pcoll
            | f"Count{name}" >> beam.combiners.Count.Globally()
            | f"Name{name}" >> beam.Map(lambda n, name=name: (name, n))
            for name, pcoll in named.items()
        ]
        return counted | "Counts" >> beam.Flatten()
