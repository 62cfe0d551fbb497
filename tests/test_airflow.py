"""The Cloud Composer DAG, loaded by a real Airflow (``.venv-airflow``, set
up by ``make install``; no scheduler, no database): it imports, holds one
Dataflow launch, and its first scheduled run publishes the day before with
parameters the Flex Template knows."""

import datetime as dt
import json
import os
import pathlib
import subprocess

import pytest

from pipelines.akhbar import date_range, parse_options
from pipelines.template import metadata
from transforms.files import dated_inputs

ROOT = pathlib.Path(__file__).resolve().parent.parent
AIRFLOW_PYTHON = ROOT / ".venv-airflow" / "bin" / "python"


@pytest.fixture(scope="module")
def dag_facts(tmp_path_factory):
    assert AIRFLOW_PYTHON.exists(), "run `make install`: it sets up .venv-airflow"
    home = tmp_path_factory.mktemp("airflow-home")
    facts_path = home / "facts.json"
    loaded = subprocess.run(
        [str(AIRFLOW_PYTHON), str(ROOT / "tests" / "airflow_dag_facts.py"), str(ROOT / "deploy" / "airflow"), str(facts_path)],
        env={**os.environ, "AIRFLOW_HOME": str(home)}, capture_output=True, text=True, timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    return json.loads(facts_path.read_text(encoding="utf-8"))


def test_the_dag_imports_with_one_dataflow_launch_run_in_date_order(dag_facts):
    assert dag_facts["import_errors"] == {}
    dag = dag_facts["dags"]["akhbar_daily"]
    assert dag["tasks"] == {"publish_day": {
        "operator": "DataflowStartFlexTemplateOperator", "depends_on_past": True, "retries": 2, "upstream": []}}
    assert dag["max_active_runs"] == 1 and dag["catchup"] is True


def test_each_scheduled_run_publishes_the_day_that_has_ended(dag_facts):
    dag = dag_facts["dags"]["akhbar_daily"]
    run_day = dt.datetime.fromisoformat(dag["run_after"]).date()
    day_before = run_day - dt.timedelta(days=1)
    body = dag["rendered"]["body"]["launchParameter"]
    parameters = body["parameters"]
    template_parameters = {p["name"] for p in metadata()["parameters"]}
    assert set(parameters) - template_parameters == {"sdk_container_image"}
    _, options = parse_options([f"--{name}={value}" for name, value in parameters.items()
                                if name in template_parameters])
    assert date_range(options) == (day_before, day_before)
    assert dated_inputs(options.input, day_before, day_before) == [f"gs://<akhbar_bucket>/in/{day_before}/*"]
    assert body["jobName"] == f"akhbar-{day_before:%Y%m%d}"
    assert body["containerSpecGcsPath"] == "gs://<akhbar_bucket>/templates/akhbar.json"
    assert dag["rendered"]["project_id"] == "<akhbar_project>" and dag["rendered"]["location"] == "<akhbar_region>"
