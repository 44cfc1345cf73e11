"""Chroma server mode: the same ingest and ask, with the vectors in a real `chroma run` server.

The session's server is `chroma_server` (tests/index/conftest.py). Each test gets an
empty server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rag import Assistant, Settings
from rag.settings import RetrievalSettings
from tests.fakes import HashingEmbedder

pytestmark = pytest.mark.slow  # starts a Chroma server

QUESTION = "How many targets did U.S. airstrikes hit on Feb. 2?"


@pytest.fixture
def server_settings(tmp_path: Path, chroma_server: str, server: Any) -> Settings:
    return Settings(home=tmp_path / "home", chroma_url=chroma_server)


def server_assistant(settings: Settings) -> Assistant:
    return Assistant(settings, embedder=HashingEmbedder())


def dense_only(settings: Settings) -> Settings:
    """The same index with dense retrieval only, so every hit comes from the server."""
    return Settings(
        home=settings.home,
        chroma_url=settings.chroma_url,
        retrieval=RetrievalSettings(mode="dense"),
    )


def vectors_on_server(client: Any) -> int:
    return sum(client.get_collection(c.name).count() for c in client.list_collections())


def test_ingest_puts_the_vectors_on_the_server_not_in_home(
    server_settings: Settings, corpus: Path, server: Any
) -> None:
    assistant = server_assistant(server_settings)

    report = assistant.ingest([corpus])

    status = assistant.status()
    assert len(report.added) == 1
    assert status.store == server_settings.chroma_url
    assert vectors_on_server(server) == status.chunks > 0
    assert not (server_settings.home / "chroma").exists()


def test_ask_answers_with_checkable_citations_from_the_server(
    server_settings: Settings, corpus: Path
) -> None:
    assistant = server_assistant(server_settings)
    assistant.ingest([corpus])
    dense = server_assistant(dense_only(server_settings))

    for answer in (assistant.ask(QUESTION), dense.ask(QUESTION)):
        assert not answer.abstained
        assert "85 targets" in answer.citations[0].quote
        for citation in answer.citations:
            text = assistant.article(citation.article_id).text
            assert text[citation.start : citation.end] == citation.quote


def test_dates_filter_on_the_server(server_settings: Settings, corpus: Path) -> None:
    assistant = server_assistant(dense_only(server_settings))
    assistant.ingest([corpus])

    inside = assistant.ask(QUESTION, since="2024-02-01", until="2024-02-29")
    after = assistant.ask(QUESTION, since="2024-03-01")

    assert {p.date for p in inside.passages} == {"2024-02-10"}
    assert after.passages == ()
    assert after.abstained


def test_reingest_edit_and_prune_keep_the_server_in_step(
    server_settings: Settings, corpus: Path, server: Any
) -> None:
    assistant = server_assistant(server_settings)
    first = assistant.ingest([corpus])
    chunks = assistant.status().chunks

    again = assistant.ingest([corpus])
    assert again.unchanged == first.added
    assert again.chunks_embedded == 0

    article = next(corpus.glob("*.txt"))
    article.write_text(article.read_text() + "\nA new closing paragraph about the strikes.\n")
    edited = assistant.ingest([corpus])
    assert edited.updated == first.added
    assert vectors_on_server(server) == assistant.status().chunks >= chunks

    extra = corpus / "extra.txt"
    extra.write_text("date 2024-03-01\n\nA short second article about a local election.\n")
    assistant.ingest([corpus])
    extra.unlink()
    pruned = assistant.ingest([corpus], prune=True)
    assert len(pruned.removed) == 1
    assert vectors_on_server(server) == assistant.status().chunks


def test_a_second_process_sees_the_same_vectors(server_settings: Settings, corpus: Path) -> None:
    server_assistant(server_settings).ingest([corpus])

    # Another Assistant (as in another worker process) on the same home and server.
    other = server_assistant(server_settings)

    assert "85 targets" in other.ask(QUESTION).citations[0].quote


def test_rebuild_empties_the_server_collection_first(
    server_settings: Settings, corpus: Path, server: Any
) -> None:
    assistant = server_assistant(server_settings)
    assistant.ingest([corpus])

    report = assistant.ingest([corpus], rebuild=True)

    assert len(report.added) == 1
    assert vectors_on_server(server) == assistant.status().chunks
