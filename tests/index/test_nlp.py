"""Entities at ingest: the NER reads each stretch of an article once, and only what it needs."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from pathlib import Path

from index.chunking import Chunker
from index.encode import ArticleChunks, _entities
from index.nlp import EntitySpan, SpacyEntityRecognizer, load_pipeline
from index.settings import ChunkingSettings, NlpSettings
from rag import Assistant, Settings
from tests.conftest import SEED_ARTICLE
from tests.fakes import HashingEmbedder
from tests.processes import run_python

CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")


class CapitalisedWords:
    """A recogniser that tags capitalised words and remembers what it read."""

    name = "capitalised"

    def __init__(self) -> None:
        self.read: list[str] = []

    def entities(self, texts: Sequence[str]) -> list[list[EntitySpan]]:
        self.read.extend(texts)
        return [[EntitySpan(*m.span(), "X") for m in CAPITALISED.finditer(t)] for t in texts]


def test_each_chunk_gets_the_entities_inside_it_and_overlaps_are_read_once() -> None:
    text = SEED_ARTICLE.read_text(encoding="utf-8").split("\n", 1)[1].strip()
    embedder = HashingEmbedder(max_tokens=60)
    chunker = Chunker(
        ChunkingSettings(chunk_tokens=60, overlap_tokens=15),
        embedder.token_offsets,
        embedder.max_tokens,
    )
    spans = chunker.split(text)
    assert len(spans) > 3 and any(b.start < a.end for a, b in itertools.pairwise(spans))
    recognizer = CapitalisedWords()
    (found,) = _entities(recognizer, [ArticleChunks(text, spans)])

    assert sum(len(t) for t in recognizer.read) == spans[-1].end - spans[0].start
    everywhere = [EntitySpan(*m.span(), "X") for m in CAPITALISED.finditer(text)]
    for span in spans:
        inside = [e for e in everywhere if e.start >= span.start and e.end <= span.end]
        assert [e for e in found if e.start >= span.start and e.end <= span.end] == inside


def test_the_recogniser_drops_the_shared_encoder_and_finds_the_same_entities() -> None:
    text = SEED_ARTICLE.read_text(encoding="utf-8")[:3000]
    recognizer = SpacyEntityRecognizer(NlpSettings())
    (found,) = recognizer.entities([text])
    full = load_pipeline(NlpSettings().spacy_model)
    assert "tok2vec" in full.pipe_names
    expected = [EntitySpan(e.start_char, e.end_char, e.label_) for e in full(text).ents]
    assert found == expected and len(found) > 10
    assert recognizer._pipeline().pipe_names == ["ner"]


def test_the_spacy_pipeline_loads_without_importing_torch() -> None:
    """thinc would import torch (1-2 s) for layers en_core_web_sm never uses; a process
    that needs torch later still gets it."""
    script = (
        "import sys, json\n"
        "from index.nlp import load_pipeline\n"
        "nlp = load_pipeline('en_core_web_sm')\n"
        "ents = [e.label_ for e in nlp('Joel Wing lives in Baghdad.').ents]\n"
        "before = 'torch' in sys.modules\n"
        "import torch\n"
        "print(json.dumps({'ents': ents, 'torch_before': before, 'torch_after': bool(torch)}))\n"
    )
    result = run_python(script)
    assert result == {"ents": ["PERSON", "GPE"], "torch_before": False, "torch_after": True}


def test_one_pipeline_per_process_is_shared_by_every_index_and_assistant(tmp_path: Path) -> None:
    first = Assistant(Settings(home=tmp_path / "one"), embedder=HashingEmbedder())
    second = Assistant(Settings(home=tmp_path / "two"), embedder=HashingEmbedder())
    assert first.questions._pipeline() is second.questions._pipeline()
    recognizers = [first.index.recognizer, second.index.recognizer]
    assert all(isinstance(r, SpacyEntityRecognizer) for r in recognizers)
    entities = [r._pipeline() for r in recognizers if isinstance(r, SpacyEntityRecognizer)]
    assert entities[0] is entities[1] and entities[0].pipe_names == ["ner"]
    assert "parser" in first.questions._pipeline().pipe_names  # the question's own pipeline
