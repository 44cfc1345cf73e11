import re
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunking import Chunker
from index.settings import ChunkingSettings


def word_offsets(text: str) -> Sequence[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"\S+", text)]


sentences = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), min_size=1, max_size=80
).map(lambda s: s.strip() + ".")
articles = st.lists(sentences, min_size=1, max_size=40).map(" ".join)


@given(text=articles, budget=st.integers(8, 64), overlap=st.integers(0, 16))
@settings(max_examples=150, deadline=None)
def test_chunks_are_exact_slices_within_budget_and_cover_the_text(
    text: str, budget: int, overlap: int
) -> None:
    chunker = Chunker(
        ChunkingSettings(chunk_tokens=32, overlap_tokens=overlap), word_offsets, budget
    )
    chunks = chunker.split(text)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert len(word_offsets(chunk.text)) <= chunker.max_tokens
    covered: set[int] = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_repeated_sentences_get_their_own_spans() -> None:
    text = "One sentence here. " * 30
    chunker = Chunker(ChunkingSettings(chunk_tokens=40, overlap_tokens=0), word_offsets, 40)
    starts = [c.start for c in chunker.split(text)]
    assert starts == sorted(set(starts))
    assert starts[1] > 100, "the second chunk continues where the first ended"


@pytest.mark.slow
def test_real_model_chunks_fit_what_minilm_reads(real_assistant) -> None:
    from tests.conftest import SEED_ARTICLE

    embedder = real_assistant.index.embedder
    chunker = real_assistant.index.chunker
    assert chunker.max_tokens <= embedder.max_tokens == 254
    text = SEED_ARTICLE.read_text() * 3
    for chunk in chunker.split(text):
        assert len(embedder.token_offsets(chunk.text)) <= chunker.max_tokens
