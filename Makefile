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

# torch is pinned here only (the package accepts any torch>=2.1), so every `make test` runs on the
# same version. The CPU build is what CI and `make test` want: no GPU needed, a fraction of the
# download. On our CI machines pip's own configuration (a local wheel directory) supplies
# torch 2.13.0+cpu; on a stock PyPI setup Linux pip would pick the CUDA build, so say which:
#   make setup TORCH_INDEX=https://download.pytorch.org/whl/cpu     # CPU build (CI, laptops)
#   make setup TORCH_INDEX=https://download.pytorch.org/whl/cu124   # a GPU machine (CUDA 12.4)
# and run with --set summarizer.device=cuda (auto picks it too). TORCH_VERSION=... changes the pin.
TORCH_VERSION ?= 2.13.0
TORCH_INDEX ?=
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==$(TORCH_VERSION) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
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
