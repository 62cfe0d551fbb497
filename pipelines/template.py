"""The Flex Template's ``metadata.json``, written from the job's own options
so the two never drift: ``python -m pipelines.template > deploy/metadata.json``."""

import json
import re

from pipelines.akhbar import DESCRIPTION, OPTIONS

REQUIRED = ("--input", "--output")


def parameter(name, kind, default, help_text):
    """One template parameter: Dataflow passes it to the launcher as ``--name=value``."""
    described = help_text.replace("%(default)s", str(default)).replace("%%", "%")
    entry = {"name": name.lstrip("-"), "label": name.lstrip("-").replace("_", " ").capitalize(),
             "helpText": re.sub(r"\s+", " ", described).strip(), "isOptional": name not in REQUIRED}
    if kind is int:
        entry["regexes"] = [r"^-?[0-9]+$"]
    elif kind is float:
        entry["regexes"] = [r"^[0-9]*\.?[0-9]+$"]
    return entry


def metadata():
    return {"name": "akhbar", "description": DESCRIPTION,
            "parameters": [parameter(*option) for option in OPTIONS]}


def main():
    print(json.dumps(metadata(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
