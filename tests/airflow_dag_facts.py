"""Run by tests/test_airflow.py with .venv-airflow's Python: loads
deploy/airflow the way Airflow's DAG processor does and writes, as JSON
(Airflow logs to stdout), what the test checks: import errors, tasks, run settings, and the launch
body rendered for the DAG's first scheduled run."""

import json
import sys

from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization
from airflow.timetables.base import TimeRestriction


def first_run_facts(dag):
    """The first run as the scheduler plans it, from the DAG as it stores it."""
    scheduled = DagSerialization.from_dict(DagSerialization.to_dict(dag))
    run = scheduled.timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=scheduled.start_date, latest=None, catchup=True),
    )
    variables = {name: f"<{name}>" for name in ("akhbar_project", "akhbar_region", "akhbar_bucket", "akhbar_image")}
    context = {"data_interval_start": run.data_interval.start, "data_interval_end": run.data_interval.end,
               "var": {"value": variables}}
    (task,) = dag.tasks
    rendered = {field: task.render_template(getattr(task, field), context, dag.get_template_env())
                for field in task.template_fields}
    return {"run_after": run.run_after.isoformat(), "rendered": rendered}


def main(folder, facts_path):
    bag = DagBag(dag_folder=folder)
    facts = {"import_errors": {path: str(error) for path, error in bag.import_errors.items()}, "dags": {}}
    for dag_id, dag in bag.dags.items():
        facts["dags"][dag_id] = {
            "tasks": {task.task_id: {"operator": type(task).__name__, "depends_on_past": task.depends_on_past,
                                     "retries": task.retries, "upstream": sorted(task.upstream_task_ids)}
                      for task in dag.tasks},
            "max_active_runs": dag.max_active_runs,
            "catchup": dag.catchup,
            **first_run_facts(dag),
        }
    with open(facts_path, "w", encoding="utf-8") as out:
        json.dump(facts, out, default=str)


if __name__ == "__main__":
    main(*sys.argv[1:])
