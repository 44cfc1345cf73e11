"""The first questions to a new assistant, asked together, are all answered (issue 13.1);
questions and feedback during a chat upload's ingest, in the same process (issue 26)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

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


def test_an_ask_during_an_upload_reads_the_last_commit_and_feedback_waits_for_it(
    seeded_fake_assistant: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = seeded_fake_assistant
    keyword = assistant.index.keyword
    committing, release = threading.Event(), threading.Event()
    commit = keyword.commit

    def held_commit(*args: Any) -> Any:  # runs inside the upload's catalog transaction
        committing.set()
        assert release.wait(30)
        return commit(*args)

    monkeypatch.setattr(keyword, "commit", held_commit)
    upload = tmp_path / "otter.md"
    upload.write_text("# Otter crosses Lake Tahoe\n\nBob the otter swam 12 miles on Sunday.\n")
    before = assistant.status().articles
    failures: list[BaseException] = []

    def ingest() -> None:
        try:
            assistant.ingest([upload])
        except BaseException as exc:  # reported by the test's thread
            failures.append(exc)

    writer = threading.Thread(target=ingest)
    writer.start()
    assert committing.wait(30), failures
    answer = assistant.ask(QUESTION)  # while the upload's transaction is open
    assert answer.citations and all("otter" not in p.text for p in answer.passages)
    assert assistant.status().articles == before  # nothing uncommitted is read
    rated = threading.Event()

    def rate() -> None:
        assistant.feedback(answer.answer_id, "up")
        rated.set()

    rater = threading.Thread(target=rate)
    rater.start()
    assert not rated.wait(0.3)  # waiting on the upload's lock, not failed with a 503
    release.set()
    writer.join(30)
    rater.join(30)
    assert not failures and rated.is_set()
    assert assistant.status().articles == before + 1
    assert [f["rating"] for f in assistant.index.catalog.feedback()] == ["up"]
