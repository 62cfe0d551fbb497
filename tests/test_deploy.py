"""What deploy/ holds agrees with the job: the Flex Template's parameters are
the job's options, and the daily launch parses to the day before."""

import datetime as dt
import json
import pathlib
import string

from pipelines.akhbar import OPTIONS, date_range, parse_options
from pipelines.template import metadata
from transforms.files import dated_inputs

DEPLOY = pathlib.Path(__file__).resolve().parent.parent / "deploy"


def test_template_metadata_is_written_from_the_options():
    shipped = json.loads((DEPLOY / "metadata.json").read_text(encoding="utf-8"))
    assert shipped == metadata(), "run: python -m pipelines.template > deploy/metadata.json"
    assert [p["name"] for p in shipped["parameters"]] == [name.lstrip("-") for name, *_ in OPTIONS]
    assert {p["name"] for p in shipped["parameters"] if not p["isOptional"]} == {"input", "output"}


def test_the_daily_launch_publishes_the_day_before():
    text = (DEPLOY / "scheduler" / "launch-previous-day.json").read_text(encoding="utf-8")
    body = json.loads(string.Template(text).substitute(BUCKET="news", IMAGE="img", SERVICE_ACCOUNT="sa"))
    parameters = body["launchParameter"]["parameters"]
    template_parameters = {p["name"] for p in metadata()["parameters"]}
    assert set(parameters) - template_parameters == {"sdk_container_image"}
    _, options = parse_options([f"--{name}={value}" for name, value in parameters.items()
                                if name in template_parameters])
    yesterday = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)
    assert dated_inputs(options.input, yesterday, yesterday) == [f"gs://news/in/{yesterday.isoformat()}/*"]
    assert date_range(options) == (yesterday, yesterday)
