"""The akhbar job: article files in, partitioned Parquet tables out.

This module only declares the options and wires the stages; each stage lives
in ``transforms/``.
"""

import argparse
import contextlib
import importlib
import os
import shutil
import sys
import tempfile
import time

import apache_beam as beam
from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions, StandardOptions, TestOptions

from transforms.boilerplate import DEFAULT_MIN_SOURCE_DOCS, RemoveBoilerplate
from transforms.dates import run_date
from transforms.entities import AUTO, AnnotateEntities
from transforms.files import dated_inputs
from transforms.lock import DEFAULT_LEASE_SECONDS, DEFAULT_WAIT_SECONDS, OutputLease
from transforms.metadata import KeepDateRange, LoadManifests, ResolveMetadata
from transforms.normalize import DEFAULT_MAX_ARTICLE_CHARS, DEFAULT_MAX_TITLE_CHARS, NormalizeArticles
from transforms.pool import default_processes
from transforms.progress import printed_while_running, stage_figures
from transforms.read import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_RECORD_BYTES, ReadArticleFiles
from transforms.report import CountEach, format_report, read_report, write_report
from transforms.passages import DEFAULT_MIN_WORDS
from transforms.spill import SPILL_DIR
from transforms.syndication import (
    DEFAULT_CONTAINMENT,
    DEFAULT_JACCARD,
    DEFAULT_WIRE_CONTAINMENT,
    DEFAULT_WINDOW_DAYS,
    DEFAULT_WIRE_MIN_WORDS,
    DetectSyndication,
)
from transforms.write import (
    ARTICLE_UPDATES, DEFAULT_ROWS_PER_ROW_GROUP, READY_PARTS, OwnedPartitions, WriteTables, new_run_id,
)

DESCRIPTION = (
    "Turn Arabic news article files (.txt, .json, .jsonl, optionally .gz/.bz2/.zst) "
    "into clean, deduplicated, date/source-partitioned Parquet tables: articles "
    "(page chrome removed, syndicated copies flagged), entities, removed_paragraphs, shared_passages, rejects."
)
USAGE = "akhbar --input PATH_OR_URL [--input ...] --output FOLDER_OR_URL [akhbar options] [Apache Beam options]"
EPILOG = (
    "Local runs need no Beam option. Elsewhere: --runner=DataflowRunner with --project, --region, "
    "--temp_location and --setup_file; --runner=PortableRunner with --job_endpoint for a Flink or Spark "
    "job server (see the README)."
)


# Every option of ours: (name, type, default, help). "%(default)s" is filled in.
OPTIONS = (
    ("--input", None, None,
     "File, folder (read recursively) or glob; local path or any fsspec URL such as "
     "gs://bucket/path. Repeat for several inputs. Required."),
    ("--output", str, None,
     "Folder (local or fsspec URL) that receives articles/, entities/, removed_paragraphs/, "
     "rejects/ and _run_report.json. Required."),
    ("--start_date", str, None,
     "First date (YYYY-MM-DD, or today, yesterday, today-N in UTC) of the articles this run publishes; articles dated before it, or undated "
     "when a range is given, are left to other runs and counted as outside_date_range. An --input may "
     "name {date} (or {date:%%Y/%%m/%%d}) to list only the range's days."),
    ("--end_date", str, None,
     "Last date (YYYY-MM-DD, inclusive) of the articles this run publishes."),
    ("--manifest", str, None,
     "CSV or JSONL file mapping file paths or URLs to source, date and url. "
     "Default: manifest.jsonl or manifest.csv inside an input folder."),
    ("--max_file_bytes", int, DEFAULT_MAX_FILE_BYTES,
     "Largest .txt/.json file read whole, after decompression; larger files are rejected "
     "(file_too_large). Default: %(default)s."),
    ("--max_record_bytes", int, DEFAULT_MAX_RECORD_BYTES,
     "Longest JSONL line; longer lines are rejected (record_too_large) without being held "
     "in memory. Default: %(default)s."),
    ("--max_article_chars", int, DEFAULT_MAX_ARTICLE_CHARS,
     "Longest cleaned body kept; longer ones are rejected (text_too_long). Default: %(default)s."),
    ("--max_title_chars", int, DEFAULT_MAX_TITLE_CHARS,
     "Longest title kept; longer ones are rejected (title_too_long). Default: %(default)s."),
    ("--boilerplate_patterns", str, None,
     "JSON file of extra page-chrome patterns (same keys as transforms/data/boilerplate.json; "
     "lists are added to the shipped ones)."),
    ("--boilerplate_min_source_docs", int, DEFAULT_MIN_SOURCE_DOCS,
     "A paragraph found in at least this many different articles of one source is that "
     "source's boilerplate. Default: %(default)s."),
    ("--syndication_jaccard", float, DEFAULT_JACCARD,
     "Two articles are copies when the Jaccard similarity of their word 3-shingles reaches "
     "this... Default: %(default)s."),
    ("--syndication_containment", float, DEFAULT_CONTAINMENT,
     "...or when this share of the shorter one's shingles is in the longer one (a truncated "
     "copy). Default: %(default)s."),
    ("--wire_paragraph_containment", float, DEFAULT_WIRE_CONTAINMENT,
     "A paragraph is shared wire copy when this share of its shingles stands in an article "
     "of another source. Default: %(default)s."),
    ("--wire_paragraph_min_words", int, DEFAULT_WIRE_MIN_WORDS,
     "Shorter paragraphs are never counted as wire copy. Default: %(default)s."),
    ("--passage_min_words", int, DEFAULT_MIN_WORDS,
     "Shortest passage (words) that two articles of different sources must share, verbatim or nearly, "
     "to be written to shared_passages: a sentence of news prose; set phrases are shorter. Default: %(default)s."),
    ("--syndication_window_days", int, DEFAULT_WINDOW_DAYS,
     "Articles published more days apart than this are never compared (0: no limit). It also bounds what a "
     "run reads of earlier runs' signatures. Default: %(default)s."),
    ("--annotator", str, AUTO,
     "Entity annotator: gazetteer (the lexicon shipped with akhbar, no downloads), camel "
     "(camel-tools' NER model, named through the gazetteer) or auto (camel where its model is "
     "installed, else gazetteer). Default: %(default)s."),
    ("--gazetteer", str, None,
     "JSON file of extra entities and context words (same keys as transforms/data/gazetteer.json; "
     "lists are added to the shipped ones, a repeated alias takes the new entry)."),
    ("--ner_model_dir", str, None,
     "Folder of a camel-tools NER model (config.json, weights, vocab.txt). Default: camel-tools' "
     "own ner-arabert install."),
    ("--ner_precision", str, "float32",
     "float32 gives camel-tools' own labels; bfloat16 runs about 3x faster on CPUs with bfloat16 "
     "support, with a few labels different. Default: %(default)s."),
    ("--rows_per_row_group", int, DEFAULT_ROWS_PER_ROW_GROUP,
     "Rows per Parquet row group; each table's partition is one file. Default: %(default)s."),
    ("--spill_dir", str, None,
     "Local folder where a local run keeps the data that waits between stages (batches of articles, "
     "syndication features, rows for the writer), about the compressed size of the input; removed at the "
     "end. Default: the system's temporary folder."),
    ("--lock_wait_seconds", float, DEFAULT_WAIT_SECONDS,
     "How long a run waits for another run on the same --output to end (each run holds the output's "
     "_lock.json lease while it runs); after that it fails, naming the other run. Default: %(default)s."),
    ("--lock_lease_seconds", float, DEFAULT_LEASE_SECONDS,
     "A run renews its lease on the output every third of this; a lease not renewed for this long (its run "
     "died on another machine) is taken over. Default: %(default)s."),
    ("--processes", int, 0,
     "Worker processes for the heavy steps of a local run (0: one per core with the local DirectRunner, "
     "1 on any other runner, which brings its own workers). Default: %(default)s."),
)


def add_akhbar_options(parser):
    """Declare every option of ours on an argparse parser or group."""
    for name, kind, default, help_text in OPTIONS:
        if kind is None:  # --input may be repeated
            parser.add_argument(name, action="append", default=default, help=help_text)
        else:
            parser.add_argument(name, type=kind, default=default, help=help_text)


class _BeamHelpGroup:
    """A help group that a Beam options class can declare its flags into."""

    def __init__(self, group):
        self.group = group

    def add_argument(self, *args, **kwargs):
        self.group.add_argument(*args, **kwargs)

    add_value_provider_argument = add_argument


def _beam_option_classes():
    """Every Beam options class, the portable runners' included."""
    importlib.import_module("apache_beam.runners.portability.flink_runner")
    importlib.import_module("apache_beam.runners.portability.spark_runner")
    found, stack = [], list(PipelineOptions.__subclasses__())
    while stack:
        options_class = stack.pop(0)
        if options_class not in found:
            found.append(options_class)
            stack.extend(options_class.__subclasses__())
    return found


def help_parser():
    """The parser ``akhbar --help`` prints: our options, then Beam's, by group."""
    parser = argparse.ArgumentParser(prog="akhbar", description=DESCRIPTION, epilog=EPILOG, usage=USAGE,
                                     conflict_handler="resolve")
    add_akhbar_options(parser.add_argument_group("akhbar options"))
    for options_class in _beam_option_classes():
        group = parser.add_argument_group(f"Apache Beam {options_class.__name__}")
        options_class._add_argparse_args(_BeamHelpGroup(group))
    return parser


def runs_locally(pipeline_options):
    """Whether the job runs on this machine's DirectRunner."""
    return pipeline_options.view_as(StandardOptions).runner in (None, "DirectRunner", "direct")


def local_runner(pipeline_options):
    """The runner of a local run: the FnApiRunner, which Beam's DirectRunner
    only falls back to where it cannot download Prism. Pinned so that every
    machine runs the job as it was measured (on Prism, 10k articles took 1.5
    to 1.6 times as long and twice the memory); None leaves any other runner,
    ``--runner=PrismRunner`` included, to Beam."""
    if not runs_locally(pipeline_options):
        return None
    from apache_beam.portability.api import beam_provision_api_pb2
    from apache_beam.runners.portability.fn_api_runner import fn_runner
    from apache_beam.runners.portability.portable_runner import JobServiceHandle

    encoded_options = JobServiceHandle.encode_pipeline_options(pipeline_options.get_all_options())
    return fn_runner.FnApiRunner(provision_info=fn_runner.ExtendedProvisionInfo(
        beam_provision_api_pb2.ProvisionInfo(pipeline_options=encoded_options)))


def local_processes(pipeline_options, requested):
    """How many pool processes the heavy steps use: ``requested``, or for 0,
    one per core with the in-process DirectRunner and 1 elsewhere."""
    if requested:
        return requested
    direct = pipeline_options.view_as(DirectOptions)
    in_process = direct.direct_running_mode == "in_memory" and (direct.direct_num_workers or 1) == 1
    return default_processes() if runs_locally(pipeline_options) and in_process else 1


@contextlib.contextmanager
def spilling(pipeline_options, options, run_id):
    """For a local run, a spill folder for the values that wait between
    stages (``transforms.spill``), removed however the run ends."""
    if not runs_locally(pipeline_options):
        yield
        return
    folder = tempfile.mkdtemp(prefix=f"akhbar-spill-{run_id}-", dir=options.spill_dir)
    os.environ[SPILL_DIR] = folder
    try:
        yield
    finally:
        del os.environ[SPILL_DIR]
        shutil.rmtree(folder, ignore_errors=True)


def holding_output(options, run_id, dry_run):
    """The output's lease for the whole run (``transforms.lock``); none for a
    dry run, which writes nothing and may have no credentials."""
    if dry_run:
        return contextlib.nullcontext()
    return OutputLease(options.output, run_id, options.lock_lease_seconds, options.lock_wait_seconds)


def build(pipeline, options, run_info, processes=1):
    """Wire the stages: read, resolve metadata, normalize, remove boilerplate,
    detect syndication, annotate entities, write."""
    start, end = date_range(options)
    inputs = dated_inputs(options.input, start, end)
    files_matched, records, read_rejects = pipeline | "ReadArticleFiles" >> ReadArticleFiles(
        inputs, options.manifest, options.max_file_bytes, options.max_record_bytes
    )
    manifest = pipeline | "LoadManifests" >> LoadManifests(inputs, options.manifest)
    resolved = records | "ResolveMetadata" >> ResolveMetadata(manifest)
    in_range, outside = resolved | "KeepDateRange" >> KeepDateRange(start, end)
    normalized, normalize_rejects = in_range | "NormalizeArticles" >> NormalizeArticles(
        options.max_article_chars, options.max_title_chars, processes=processes
    )
    cleaned, removed_paragraphs, boilerplate_rejects = normalized | "RemoveBoilerplate" >> RemoveBoilerplate(
        options.boilerplate_patterns, options.boilerplate_min_source_docs, processes=processes
    )
    rejects = (read_rejects, normalize_rejects, boilerplate_rejects) | "AllRejects" >> beam.Flatten()
    owned = (cleaned, rejects) | "OwnedPartitions" >> OwnedPartitions()
    deduplicated, article_updates, syndication_state = cleaned | "DetectSyndication" >> DetectSyndication(
        options.syndication_jaccard, options.syndication_containment,
        options.wire_paragraph_containment, options.wire_paragraph_min_words, processes=processes,
        history=options.output, owned=owned, window_days=options.syndication_window_days,
        passage_min_words=options.passage_min_words,
    )
    article_and_entity_parts = deduplicated | "AnnotateEntities" >> AnnotateEntities(
        options.annotator, options.gazetteer, options.ner_model_dir, options.ner_precision, processes=processes
    )
    counts = {
        "files_matched": files_matched,
        "records_parsed": records,
        "read_rejects": read_rejects,
        "outside_date_range": outside,
    } | "CountStages" >> CountEach()
    tables = {
        "removed_paragraphs": removed_paragraphs,
        "rejects": rejects,
        ARTICLE_UPDATES: article_updates,
        READY_PARTS: (syndication_state, article_and_entity_parts) | "ReadyParts" >> beam.Flatten(),
    }
    return (tables, counts) | "WriteTables" >> WriteTables(
        options.output, run_info, options.rows_per_row_group, processes=processes
    )


def date_range(options):
    """``(start, end)`` of ``--start_date`` / ``--end_date`` as dates (None when not given)."""
    return tuple(run_date(value) if value else None for value in (options.start_date, options.end_date))


def parse_options(argv):
    """``(pipeline_options, akhbar_options)``: our options parsed here, the
    rest handed to Beam, so Beam and its workers never meet a flag they do
    not know. Prints help and exits on -h."""
    if any(arg in ("-h", "--help") for arg in argv):
        help_parser().print_help()
        sys.exit(0)
    parser = argparse.ArgumentParser(prog="akhbar", allow_abbrev=False, add_help=False)
    add_akhbar_options(parser)
    options, beam_arguments = parser.parse_known_args(argv)
    pipeline_options = PipelineOptions(beam_arguments)
    if not options.input or not options.output:
        parser.error("--input and --output are required (akhbar --help lists every option)")
    try:
        start, end = date_range(options)
    except ValueError as error:
        parser.error(f"--start_date / --end_date: {error}")
    try:
        dated_inputs(options.input, start, end)
    except ValueError as error:
        parser.error(str(error))
    if start and end and start > end:
        parser.error("--start_date is after --end_date")
    return pipeline_options, options


def run(argv=None):
    """Run the job and print its report; returns the report (None for a dry run)."""
    pipeline_options, options = parse_options(sys.argv[1:] if argv is None else argv)
    run_info = {
        "run_id": new_run_id(),
        "started_at": time.time(),
        "inputs": list(options.input),
        "output": options.output,
    }
    dry_run = pipeline_options.view_as(TestOptions).dry_run
    with (printed_while_running(), holding_output(options, run_info["run_id"], dry_run),
          spilling(pipeline_options, options, run_info["run_id"]),
          beam.Pipeline(runner=local_runner(pipeline_options), options=pipeline_options) as pipeline):
        build(pipeline, options, run_info, local_processes(pipeline_options, options.processes))
    if dry_run:
        print(f"akhbar: dry run: the job was built for {pipeline_options.view_as(StandardOptions).runner}, not run")
        return None
    report = read_report(options.output)
    report["stages"] = stage_figures(pipeline.result.metrics())
    write_report(options.output, report)
    print(format_report(report))
    return report


def main():
    run()


if __name__ == "__main__":
    main()
