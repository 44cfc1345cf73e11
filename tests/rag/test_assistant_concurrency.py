"""The first questions to a new assistant, asked together, are all answered (issue 13.1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import Answer, Assistant, Settings
from tests.concurrency import all_at_once, build_and_let_go, slow_chroma_start
from tests.fakes import HashingEmbedder

QUESTION = "How many targets did U.S. airstrikes hit on Feb. 2?"
THREADS = 12


@pytest.fixture
def fresh(
    settings: Settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Assistant, list[float]]:
    """A new assistant over a built index, and the record of each Chroma start (slowed)."""
    build_and_let_go(settings, corpus)
    started = slow_chroma_start(monkeypatch)
    return Assistant(settings, embedder=HashingEmbedder()), started


def test_first_questions_asked_together_are_all_answered(
    fresh: tuple[Assistant, list[float]],
) -> None:
    assistant, started = fresh
    results = all_at_once(THREADS, lambda _: assistant.ask(QUESTION))

    failures = [repr(r) for r in results if not isinstance(r, Answer)]
    assert not failures, f"{len(failures)} of {THREADS} failed: {sorted(set(failures))}"
    answers = [r for r in results if isinstance(r, Answer)]
    assert all(not a.abstained and "85 targets" in a.citations[0].quote for a in answers)
    assert len({a.text for a in answers}) == 1
    assert len(started) == 1  # the questions did start Chroma, and only once


def test_warm_up_opens_everything_before_the_first_question(
    fresh: tuple[Assistant, list[float]],
) -> None:
    assistant, started = fresh
    assistant.warm_up()
    assert len(started) == 1
    results = all_at_once(THREADS, lambda _: assistant.ask(QUESTION))

    assert all(isinstance(r, Answer) and not r.abstained for r in results)
    assert len(started) == 1


def test_the_query_is_embedded_while_the_question_is_parsed(
    seeded_fake_assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The encode and spaCy's parse overlap: the parse waits for the encode to start
    and would time out (and the ask fail) if they ran one after the other."""
    import threading

    assistant = seeded_fake_assistant
    embedder = assistant.index.embedder
    embedding = threading.Event()
    original_embed, original_parse = embedder.embed_query, assistant.questions.parse

    def embed_query(text: str) -> object:
        embedding.set()
        return original_embed(text)

    def parse(question: str) -> object:
        assert embedding.wait(timeout=5), "the query was not being embedded meanwhile"
        return original_parse(question)

    monkeypatch.setattr(embedder, "embed_query", embed_query)
    monkeypatch.setattr(assistant.questions, "parse", parse)
    answer = assistant.ask(QUESTION)
    assert answer.citations
