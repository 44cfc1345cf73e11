"""A failing store (Chroma, SQLite, the disk) is a typed `StoreError`: HTTP 503 with the
error shape, one line and exit 1 from `rag`, never a 500 or a traceback."""

from __future__ import annotations

import io
import sqlite3
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

import pytest
from chromadb.errors import InternalError
from fastapi.testclient import TestClient

from rag import Assistant, IndexBusyError, StoreError
from tests.fakes import HashingEmbedder
from tests.ui.http_support import QUESTION, make_app
from ui import cli


@pytest.fixture
def broken_chroma(seeded_fake_assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> Assistant:
    """The seeded assistant, whose Chroma collection fails every query."""
    collection = seeded_fake_assistant.index.vectors.collection

    def query(*args: Any, **kwargs: Any) -> Any:
        raise InternalError("Error executing plan: segment reader: disk image is malformed")

    monkeypatch.setattr(type(collection), "query", query)
    return seeded_fake_assistant


def test_a_chroma_failure_is_a_store_error_naming_what_failed(broken_chroma: Assistant) -> None:
    with pytest.raises(StoreError, match=r"querying the vector store \(Chroma\) failed") as caught:
        broken_chroma.ask(QUESTION)
    assert isinstance(caught.value.__cause__, InternalError)  # the cause stays for the log


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/ask", {"question": QUESTION}),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": QUESTION}]}),
    ],
)
def test_http_answers_503_store_error(broken_chroma: Assistant, path: str, body: dict) -> None:
    client = TestClient(make_app(broken_chroma, broken_chroma.settings))
    response = client.post(path, json=body)
    assert response.status_code == 503
    assert response.json() == {
        "error": {
            "message": response.json()["error"]["message"],
            "type": "store_error",
            "param": None,
            "code": None,
        }
    }
    assert "vector store" in response.json()["error"]["message"]
    assert "Traceback" not in response.text


def _rag(args: list[str], assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> tuple:
    monkeypatch.setattr(cli, "_assistant", lambda settings: assistant)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["--home", str(assistant.settings.home), *args])
    return code, out.getvalue(), err.getvalue()


def test_the_cli_prints_one_line_and_exits_1(
    broken_chroma: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = _rag(["ask", QUESTION], broken_chroma, monkeypatch)
    assert code == cli.EXIT_FAILURE == 1
    assert out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("rag: error: querying the vector store (Chroma) failed: InternalError")
    assert "RAG_DEBUG=1" in err


def test_rag_debug_shows_the_traceback(
    broken_chroma: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAG_DEBUG", "1")
    with pytest.raises(StoreError):
        _rag(["ask", QUESTION], broken_chroma, monkeypatch)


def test_an_unreadable_catalog_is_a_store_error(
    seeded_fake_assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = seeded_fake_assistant.index.catalog

    class Failing:
        def execute(self, *args: Any) -> Any:
            raise sqlite3.OperationalError("disk I/O error")

    # Every thread's connection: the property that hands each thread its own.
    monkeypatch.setattr(type(catalog), "_db", property(lambda _: Failing()))
    with pytest.raises(StoreError, match=r"reading the catalog \(SQLite\) failed.*disk I/O"):
        seeded_fake_assistant.status()
    with pytest.raises(StoreError):
        seeded_fake_assistant.article("anything")


def test_a_locked_catalog_is_busy_not_broken(
    seeded_fake_assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = seeded_fake_assistant.index.catalog

    class Locked:
        def execute(self, *args: Any) -> Any:
            raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(type(catalog), "_db", property(lambda _: Locked()))
    with pytest.raises(IndexBusyError, match="locked by another process"):
        seeded_fake_assistant.ask(QUESTION)


@pytest.mark.parametrize(
    ("damage", "cause"),
    [("torn", "OSError: the keyword segment"), ("missing", "FileNotFoundError")],
)
def test_damaged_keyword_files_are_a_store_error(
    seeded_fake_assistant: Assistant, damage: str, cause: str
) -> None:
    home = seeded_fake_assistant.index.home
    segment = sorted((home / "keyword").glob("*.npz"))[0]
    if damage == "torn":
        segment.write_bytes(segment.read_bytes()[:100])
    else:
        segment.unlink()
    keyword = Assistant(seeded_fake_assistant.settings, embedder=HashingEmbedder()).index.keyword
    with pytest.raises(StoreError, match=rf"keyword index \(segment files\) failed: {cause}"):
        keyword.search("airstrikes", 3)


def test_a_bug_is_not_disguised_as_a_store_error(
    broken_chroma: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    collection = broken_chroma.index.vectors.collection

    def query(*args: Any, **kwargs: Any) -> Any:
        raise TypeError("a bug")

    monkeypatch.setattr(type(collection), "query", query)
    with pytest.raises(TypeError):
        broken_chroma.ask(QUESTION)
