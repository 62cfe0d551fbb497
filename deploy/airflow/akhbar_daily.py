"""Cloud Composer / Airflow: publish each day's news the day after.

One run per day, in date order (``depends_on_past``, one active run): each
run finds copies of earlier days' articles through the signatures they left,
so a backfill walks the days like ``akhbar-walk``. Set the Airflow variables
``akhbar_project``, ``akhbar_region``, ``akhbar_bucket`` and ``akhbar_image``.

The timetable is explicit: a bare cron string means a one-day data interval on
Airflow 2 but an empty one on Airflow 3, where the run at 02:30 would publish
its own, unfinished day.
"""

import datetime as dt

from airflow import DAG
from airflow.providers.google.cloud.operators.dataflow import DataflowStartFlexTemplateOperator
from airflow.timetables.trigger import CronTriggerTimetable

DAY = "{{ data_interval_start | ds }}"  # the day that has just ended
BUCKET = "{{ var.value.akhbar_bucket }}"

with DAG(
    dag_id="akhbar_daily",
    schedule=CronTriggerTimetable("30 2 * * *", timezone="UTC", interval=dt.timedelta(days=1)),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    catchup=True,
    max_active_runs=1,
    default_args={"depends_on_past": True, "retries": 2, "retry_delay": dt.timedelta(minutes=10)},
    tags=["akhbar"],
) as dag:
    DataflowStartFlexTemplateOperator(
        task_id="publish_day",
        project_id="{{ var.value.akhbar_project }}",
        location="{{ var.value.akhbar_region }}",
        wait_until_finished=True,
        body={"launchParameter": {
            "jobName": "akhbar-{{ data_interval_start | ds_nodash }}",
            "containerSpecGcsPath": f"gs://{BUCKET}/templates/akhbar.json",
            "parameters": {
                "input": f"gs://{BUCKET}/in/{{date}}/*",
                "output": f"gs://{BUCKET}/out",
                "start_date": DAY,
                "end_date": DAY,
                "syndication_window_days": "30",
                "sdk_container_image": "{{ var.value.akhbar_image }}",
            },
            "environment": {"tempLocation": f"gs://{BUCKET}/tmp", "maxWorkers": 10},
        }},
    )
