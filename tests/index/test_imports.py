"""The heavy imports under one lock: spaCy and the encoder loaded by two threads at once."""

from __future__ import annotations

import pytest

from tests.processes import run_python

pytestmark = pytest.mark.slow

SCRIPT = """
import json, sys, threading
from index.embedding import build_embedder
from index.nlp import load_pipeline
from index.settings import EmbeddingSettings
results, errors = {}, []
start = threading.Barrier(2)
def spacy_side():
    start.wait()
    try:
        nlp = load_pipeline("en_core_web_sm")
        results["ents"] = [e.label_ for e in nlp("Joel Wing blogs.").ents]
    except Exception as error:
        errors.append(repr(error))
def encoder_side():
    start.wait()
    try:
        vector = build_embedder(EmbeddingSettings(backend="torch")).embed_query("a question")
        results["dims"] = int(vector.shape[0])
    except Exception as error:
        errors.append(repr(error))
threads = [threading.Thread(target=spacy_side), threading.Thread(target=encoder_side)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"results": results, "errors": errors}))
"""


def test_spacy_and_the_torch_encoder_load_together_on_two_threads() -> None:
    """Without the lock, spaCy's import holds torch off (`import torch` fails in the other
    thread meanwhile) and two threads importing transformers at once fail half-way."""
    report = run_python(SCRIPT)
    assert report == {"results": {"ents": ["PERSON"], "dims": 384}, "errors": []}
