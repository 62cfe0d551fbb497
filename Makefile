# akhbar: `make install` sets everything up in .venv/, `make test` proves it.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
OUTPUT ?= out
# pip takes the CPU build of torch from a local wheel folder where there is one.
WHEELS := $(wildcard /opt/wheels)
TORCH ?= torch==2.13.0

.PHONY: install test run bench bench-quality bench-ner bench-camel bench-scale bench-dedup clean

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet $(if $(WHEELS),--find-links $(WHEELS)) "$(TORCH)"
	$(BIN)/pip install --quiet $(if $(WHEELS),--find-links $(WHEELS)) -e ".[test]"

test:
	$(BIN)/python -m pytest -q tests

run:
	$(BIN)/akhbar --input seeds --output $(OUTPUT)

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

bench-dedup:
	$(PYTHON) -m venv .venv-dedup
	.venv-dedup/bin/pip install --quiet -r benchmarks/requirements-dedup.txt
	$(BIN)/python -m benchmarks.dedup_compare --venv .venv-dedup
