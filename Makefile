# One place for what a developer and CI run. `make test` is what .ci/run calls.
VENV   := .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False
# Python writes the .pyc files of what it imports (see `--no-compile` below).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup setup-run browser run test test-fast check lint bench train-reader fit-reader screenshots

# What the chat needs (`make run`), then the extras and test tools on top (`make test`).
# The chat needs no torch: both models run on ONNX Runtime.
$(VENV)/.installed-run: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet -e .
	touch $@

# The extras are not byte-compiled at install (`--no-compile`): of their 27,000 modules
# (torch, transformers, ray, ...) the tests import a few, compiled on first import.
$(VENV)/.installed: $(VENV)/.installed-run
	# The local CPU wheel first: a bare `torch` requirement would pull CUDA packages.
	$(BIN)/pip install --quiet --no-compile torch==2.13.0
	$(BIN)/pip install --quiet --no-compile -e '.[torch,dev,eval,llm,ollama,baselines,cluster]'
	touch $@

setup-run: $(VENV)/.installed-run

setup: $(VENV)/.installed

browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

run: setup-run
	$(BIN)/rag serve

lint: setup
	$(BIN)/ruff check rag index ui eval tests bench
	$(BIN)/ruff format --check rag index ui eval tests bench
	$(BIN)/mypy

# Two workers: while one waits on a server, a browser or a child process, the other
# runs. A file whose tests must share one worker marks them `xdist_group`. Even so the
# two cores are idle a third of the time, so mypy runs beside the tests; either failing
# fails the target.
test: setup browser
	$(BIN)/ruff check rag index ui eval tests bench
	$(BIN)/ruff format --check rag index ui eval tests bench
	$(BIN)/mypy & typing=$$!; \
	$(BIN)/pytest -n 2 --dist loadgroup; tests=$$?; \
	wait $$typing && exit $$tests

# The quick loop: everything but the real model, the browser, fault and server tests.
# CI runs them all (`make test`).
test-fast: setup
	$(BIN)/pytest -n 2 --dist loadgroup -m "not slow and not browser" -q

check: test

# docs/screenshots/: one PNG per view of the chat, taken in headless Chromium.
screenshots: setup browser
	$(BIN)/python -m tests.ui.screenshots --out docs/screenshots

# Retrain the reader from ../shared/training (never run by `make run` or `make test`):
# the reader model (rag/models/support/: support logit and span head, ~25 min on 2 cores),
# then the sentence-score and confidence weights fitted on the held-out slice's own
# indexes (~15 min), written to eval/results/reader-fit/ (copy its weights into
# rag/settings.py; a test compares them).
TRAINING ?= ../shared/training
FIT_WORK ?= /tmp/newsrag-reader-fit
train-reader: setup
	$(BIN)/python -m eval.train_reader --data $(TRAINING) --out rag/models/support
	$(MAKE) fit-reader

fit-reader: setup
	$(BIN)/python -m eval.reader_data --data $(TRAINING) --out $(FIT_WORK)/sets
	RAG_HOME=$(FIT_WORK)/squad $(BIN)/rag ingest $(FIT_WORK)/sets/squad/corpus.jsonl
	RAG_HOME=$(FIT_WORK)/news $(BIN)/rag ingest $(FIT_WORK)/sets/news/corpus.jsonl
	mkdir -p eval/results/reader-fit
	$(BIN)/python -m eval.fit_reader \
		$(FIT_WORK)/sets/squad/questions.jsonl:$(FIT_WORK)/squad \
		$(FIT_WORK)/sets/news/questions.jsonl:$(FIT_WORK)/news \
		--out eval/results/reader-fit/fit.json --plot eval/results/reader-fit/reliability.png
