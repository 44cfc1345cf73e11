"""Chroma server mode: the same ingest and ask, with the vectors in a real `chroma run` server.

The session starts the `chroma` command that the chromadb package installs beside
this Python, on a free loopback port with its data in a temp folder, and stops it
by its PID at the end. Each test gets an empty server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag import Assistant, Settings
from rag.settings import RetrievalSettings
from tests.fakes import HashingEmbedder
from tests.processes import free_port, stop_process

QUESTION = "How many targets did U.S. airstrikes hit on Feb. 2?"
STARTUP_TIMEOUT_S = 60.0


def chroma_command() -> str:
    """The `chroma` CLI of the chromadb package installed in this environment."""
    beside_python = Path(sys.executable).parent / "chroma"
    found = str(beside_python) if beside_python.exists() else shutil.which("chroma")
    if not found:
        pytest.fail("the `chroma` command (installed with the chromadb package) is missing")
    return found


def wait_for_heartbeat(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"chroma exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"chroma did not answer within {STARTUP_TIMEOUT_S:g} s:\n{log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a running `chroma run` server, private to this test session."""
    data = tmp_path_factory.mktemp("chroma-server")
    log = data.parent / "chroma-server.log"
    port = free_port()
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    command = [chroma_command(), "run", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--path", str(data)], stdout=out, stderr=subprocess.STDOUT, env=env
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_heartbeat(url, process, log)
        yield url
    finally:
        stop_process(process, timeout_s=10)


@pytest.fixture
def server(chroma_server: str) -> Iterator[Any]:
    """A client of the server; every collection is deleted after the test."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    port = int(chroma_server.rsplit(":", 1)[1])
    client = chromadb.HttpClient(
        host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False)
    )
    yield client
    for collection in client.list_collections():
        client.delete_collection(collection.name)


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
