# akhbar: `make install` sets everything up in .venv/, `make test` proves it.
VENV ?= .venv
AIRFLOW_VENV ?= .venv-airflow
PYTHON ?= python3
BIN := $(VENV)/bin
OUTPUT ?= out
# pip takes the CPU build of torch from a local wheel folder where there is one.
WHEELS := $(wildcard /opt/wheels)
TORCH ?= torch==2.13.0

.PHONY: install venv airflow-venv test run lexicon bench bench-quality bench-ner bench-camel bench-scale bench-dedup fuzz clean template schedule

# The job's venv and, beside it, an Airflow to load the Composer DAG in a test
# (Airflow's pins clash with Beam's): built at the same time.
install:
	$(MAKE) -j2 venv airflow-venv

venv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet $(if $(WHEELS),--find-links $(WHEELS)) "$(TORCH)"
	$(BIN)/pip install --quiet $(if $(WHEELS),--find-links $(WHEELS)) -e ".[test,lexicon]"

airflow-venv:
	$(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/pip install --quiet -r deploy/airflow/requirements.txt -c deploy/airflow/constraints.txt

test:
	$(BIN)/python -m pytest -q tests

run:
	$(BIN)/akhbar --input seeds --output $(OUTPUT)

# transforms/data/gazetteer.json from lexicon/curated.json and the offline sources
lexicon:
	$(BIN)/python -m lexicon.build

bench:
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(OUTPUT) build *.egg-info .pytest_cache bench-out

bench-quality:
	$(BIN)/python -m benchmarks.quality

bench-ner:
	$(BIN)/python -m benchmarks.ner_quality

bench-camel:
	$(BIN)/python -m benchmarks.ner_speed

bench-scale:
	$(BIN)/python -m benchmarks.scale --sizes 10000 100000 1000000

# a long fuzz campaign over the readers, metadata and normalizer (tests/hostile.py)
fuzz:
	$(BIN)/python -m tests.hostile --cases 100000

bench-dedup:
	$(PYTHON) -m venv .venv-dedup
	.venv-dedup/bin/pip install --quiet -r benchmarks/requirements-dedup.txt
	$(BIN)/python -m benchmarks.dedup_compare --venv .venv-dedup

# Google Cloud: `make template PROJECT=p REGION=r BUCKET=b` builds and pushes the image
# (Cloud Build) and writes the Flex Template spec; `make schedule ... SERVICE_ACCOUNT=sa`
# creates the Cloud Scheduler job that launches it every day for the day before.
PROJECT ?= $(shell gcloud config get-value project 2>/dev/null)
REGION ?= us-central1
TAG ?= $(shell git rev-parse --short HEAD)
IMAGE ?= $(REGION)-docker.pkg.dev/$(PROJECT)/akhbar/akhbar:$(TAG)
TEMPLATE ?= gs://$(BUCKET)/templates/akhbar.json
SCHEDULE ?= 30 2 * * *

template:
	$(BIN)/python -m pipelines.template > deploy/metadata.json
	gcloud builds submit --project $(PROJECT) --region $(REGION) \
	  --config deploy/cloudbuild.yaml --substitutions _IMAGE=$(IMAGE) .
	gcloud dataflow flex-template build $(TEMPLATE) --project $(PROJECT) \
	  --image $(IMAGE) --sdk-language PYTHON --metadata-file deploy/metadata.json

schedule:
	BUCKET=$(BUCKET) IMAGE=$(IMAGE) SERVICE_ACCOUNT=$(SERVICE_ACCOUNT) \
	  envsubst < deploy/scheduler/launch-previous-day.json > deploy/scheduler/launch-previous-day.$(PROJECT).json
	gcloud scheduler jobs create http akhbar-daily --project $(PROJECT) --location $(REGION) \
	  --schedule "$(SCHEDULE)" --time-zone UTC --http-method POST \
	  --uri "https://dataflow.googleapis.com/v1b3/projects/$(PROJECT)/locations/$(REGION)/flexTemplates:launch" \
	  --oauth-service-account-email $(SERVICE_ACCOUNT) \
	  --message-body-from-file deploy/scheduler/launch-previous-day.$(PROJECT).json
