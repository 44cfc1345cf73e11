"""The web app over real loopback HTTP: the gradio_client API and what the server refuses."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from gradio_client import Client

from rag import Assistant
from tests.ui.server import running_app

QUESTION = "How many targets did U.S. airstrikes hit on Feb. 2?"


@pytest.fixture
def url(seeded_fake_assistant: Assistant) -> Iterator[str]:
    with running_app(seeded_fake_assistant) as base:
        yield base


def test_gradio_client_gets_the_answer_and_its_citations_as_data(
    url: str, seeded_fake_assistant: Assistant
) -> None:
    client = Client(url, verbose=False)
    result = client.predict(QUESTION, 5, "", "", [], api_name="/ask")
    assert not result["abstained"] and "[1]" in result["answer"]
    c = result["citations"][0]
    assert seeded_fake_assistant.article(c["article_id"]).text[c["start"] : c["end"]] == c["quote"]
    follow_up = client.predict(
        "And what did he say about Gaza?",
        5,
        "",
        "",
        [{"role": "user", "content": "Who is Aron Lund?"}, {"role": "assistant", "content": "x"}],
        api_name="/ask",
    )
    assert "answer" in follow_up


def test_api_errors_are_data_not_tracebacks(url: str) -> None:
    client = Client(url, verbose=False)
    result = client.predict("", 5, "", "", [], api_name="/ask")
    assert result["error_type"] == "InputError" and "empty" in result["error"]


def test_the_page_is_served_and_files_outside_it_are_not(url: str) -> None:
    assert httpx.get(url).status_code == 200
    for path in ("gradio_api/file=/etc/passwd", "file=/etc/passwd", "../../etc/passwd"):
        response = httpx.get(url + path)
        assert response.status_code >= 400 or "root:" not in response.text, path
