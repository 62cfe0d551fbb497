"""The Dataflow job builds offline: ``--dry_run=True`` with no credentials,
and a launcher that never opens the input or the output."""

import importlib
import pathlib

import apache_beam as beam
import fsspec
import pytest

from pipelines.akhbar import build, parse_options, run

REPO = pathlib.Path(__file__).resolve().parent.parent
DATAFLOW = [
    "--input", "gs://akhbar-news/in/{date}/*.jsonl.gz", "--start_date", "2024-06-18", "--end_date", "2024-06-19",
    "--output", "gs://akhbar-news/out",
    "--runner=DataflowRunner", "--dry_run=True", "--project=akhbar-test", "--region=us-central1",
    "--temp_location=gs://akhbar-news/tmp",
]
STAGES = ("ReadArticleFiles", "LoadManifests", "ResolveMetadata", "KeepDateRange", "NormalizeArticles",
          "RemoveBoilerplate", "DetectSyndication", "AnnotateEntities", "WriteTables")


class Untouchable(fsspec.AbstractFileSystem):
    """Stands in for Cloud Storage: any use of it fails the test."""

    protocol = ("gs", "gcs")

    def __init__(self, *args, **kwargs):
        raise AssertionError("the launcher opened Cloud Storage while building the job")


@pytest.fixture
def no_cloud_storage():
    fsspec.register_implementation("gs", Untouchable, clobber=True)
    fsspec.register_implementation("gcs", Untouchable, clobber=True)
    try:
        yield
    finally:
        registered = importlib.import_module("fsspec.registry")._registry  # gcsfs is found again on next use
        for protocol in ("gs", "gcs"):
            registered.pop(protocol, None)


def test_the_dataflow_launcher_builds_the_job_without_touching_data(no_cloud_storage, capsys):
    assert run(DATAFLOW) is None
    assert "dry run" in capsys.readouterr().out


def test_the_dataflow_job_holds_every_stage_and_the_package(no_cloud_storage):
    pipeline_options, options = parse_options([*DATAFLOW, f"--setup_file={REPO / 'setup.py'}"])
    pipeline = beam.Pipeline(options=pipeline_options)
    build(pipeline, options, {"run_id": "dry", "started_at": 0.0, "inputs": options.input, "output": options.output})
    job = pipeline.run().job
    top_level = {transform.unique_name.split("/")[0] for transform in job.proto_pipeline.components.transforms.values()}
    assert set(STAGES) <= top_level
    staged = {dependency.role_payload for environment in job.proto_pipeline.components.environments.values()
              for dependency in environment.dependencies}
    assert any(b"workflow.tar.gz" in payload for payload in staged)
