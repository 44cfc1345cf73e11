"""Answers, articles and `/v1/status` never show the server's folders (issue 13, G).

A `source` is the path as given to ingest when that was relative, else the file's name;
the article ids, which derive from the absolute path, stay as they were.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from index.loaders import file_article_id
from rag import Assistant, Settings
from rag.types import public_path
from tests.conftest import SEED_ARTICLE, SEEDS
from tests.fakes import HashingEmbedder
from tests.ui.http_support import QUESTION, make_app


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("/home/me/news/a1.txt", "a1.txt"),
        ("/srv/rag/.rag/uploads/notes-1a2b3c4d.txt", "notes-1a2b3c4d.txt"),
        ("seeds/a1.txt", "seeds/a1.txt"),
        ("../../home/me/a1.txt", "a1.txt"),
        ("wire.jsonl", "wire.jsonl"),
    ],
)
def test_public_path(stored: str, shown: str) -> None:
    assert public_path(stored) == shown


def test_no_response_shows_the_absolute_paths(
    seeded_fake_assistant: Assistant, corpus: Path, tmp_path: Path
) -> None:
    client = TestClient(make_app(seeded_fake_assistant, seeded_fake_assistant.settings))
    asked = client.post("/v1/ask", json={"question": QUESTION})
    chat = client.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION}]}
    )
    streamed = client.post(
        "/v1/chat/completions",
        json={"stream": True, "messages": [{"role": "user", "content": QUESTION}]},
    )
    citation = asked.json()["citations"][0]
    article = client.get(f"/v1/articles/{quote(citation['article_id'], safe='')}")
    status = client.get("/v1/status")
    for response in (asked, chat, streamed, article, status):
        assert response.status_code == 200, response.text
        assert str(tmp_path) not in response.text
        assert str(Path.home()) + "/" not in response.text

    expected_id = file_article_id(corpus / SEED_ARTICLE.name)  # ids are unchanged
    assert citation["source"] == SEED_ARTICLE.name and citation["article_id"] == expected_id
    assert {p["source"] for p in asked.json()["passages"]} == {SEED_ARTICLE.name}
    assert article.json()["source"] == SEED_ARTICLE.name and article.json()["id"] == expected_id
    assert status.json()["home"] == "home" and status.json()["store"] == "chroma"
    # Locally, `rag status` and the Python API still give the real folder.
    assert seeded_fake_assistant.status().home == str(tmp_path / "home")


def test_a_relative_ingest_path_is_shown_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(SEEDS, tmp_path / "news")
    monkeypatch.chdir(tmp_path)
    assistant = Assistant(Settings(home=Path("home")), embedder=HashingEmbedder())
    assistant.ingest([Path("news")])
    answer = assistant.ask(QUESTION)
    assert answer.citations[0].source == f"news/{SEED_ARTICLE.name}"
    assert answer.citations[0].article_id == file_article_id(tmp_path / "news" / SEED_ARTICLE.name)


def test_an_empty_index_error_names_no_folder(fake_assistant: Assistant, tmp_path: Path) -> None:
    client = TestClient(make_app(fake_assistant, fake_assistant.settings))
    response = client.post("/v1/ask", json={"question": QUESTION})
    assert response.status_code == 503 and "rag ingest" in response.text
    assert str(tmp_path) not in response.text
