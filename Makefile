# Two entry points: `make demo` and `make test`. Both create .venv when missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: demo test eval lint bench setup clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# CPU build of torch pinned only here (CI and make); the package's own range stays open.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/newspipe run examples/sample_issue.txt -o out/demo.jsonl --overwrite
	$(BIN)/newspipe show out/demo.jsonl
	@echo "records in out/demo.jsonl (one JSON object per article)"

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

eval: $(STAMP)
	$(BIN)/newspipe evaluate tests/fixtures --report out/eval

bench: $(STAMP)
	$(BIN)/python scripts/bench.py segment --sample-only
	$(BIN)/python scripts/bench.py classify
	$(BIN)/python scripts/bench.py summarize --check
	$(BIN)/python scripts/bench.py batch --sample-only

clean:
	rm -rf out .pytest_cache
