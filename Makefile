# One place for what a developer and CI run. `make test` is what .ci/run calls.
VENV   := .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: setup browser run test check lint bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	# The local CPU wheel first: a bare `torch` requirement would pull CUDA packages.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,llm,baselines,cluster]'
	touch $@

setup: $(VENV)/.installed

browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

run: setup
	$(BIN)/rag serve

lint: setup
	$(BIN)/ruff check rag index ui eval tests bench
	$(BIN)/ruff format --check rag index ui eval tests bench
	$(BIN)/mypy

test: setup browser lint
	$(BIN)/pytest

check: test
