"""The web app over real loopback HTTP: the gradio_client API and what the server refuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
    history = [
        {"role": "user", "content": "Who is Aron Lund?"},
        {"role": "assistant", "content": "x"},
    ]
    question = "And what did he say about Gaza?"
    follow_up = client.predict(question, 5, "", "", history, api_name="/ask")
    direct = seeded_fake_assistant.ask(question, top_k=5, history=history)
    assert follow_up["answer"] == direct.text  # the history reached the assistant
    assert [c["quote"] for c in follow_up["citations"]] == [c.quote for c in direct.citations]


def test_api_errors_are_data_not_tracebacks(url: str) -> None:
    client = Client(url, verbose=False)
    result = client.predict("", 5, "", "", [], api_name="/ask")
    assert result["error_type"] == "InputError" and "empty" in result["error"]


def test_the_page_is_served_and_files_outside_it_are_not(
    url: str, seeded_fake_assistant: Assistant
) -> None:
    assert httpx.get(url).status_code == 200
    home = seeded_fake_assistant.settings.home.resolve()
    secret = home / "uploads" / "secret.txt"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text("date 2024-01-01\n\nroot: the secret upload\n")
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    for target in ("/etc/passwd", str(secret), str(pyproject), "pyproject.toml"):
        for path in (f"gradio_api/file={target}", f"file={target}"):
            response = httpx.get(url + path)
            assert response.status_code >= 400, path
    response = httpx.get(url + "../../etc/passwd")
    assert "root:" not in response.text


def test_with_an_api_key_the_chat_wants_it_as_the_login_password(
    seeded_fake_assistant: Assistant,
) -> None:
    key = "s3cret-key-123"
    seeded_fake_assistant.settings = seeded_fake_assistant.settings.model_copy(
        update={"api_key": key}
    )
    with running_app(seeded_fake_assistant) as base:
        assert httpx.get(base + "config").status_code == 401
        with pytest.raises(ValueError):
            Client(base, verbose=False, auth=("reader", "wrong"))
        client = Client(base, verbose=False, auth=("reader", key))
        result = client.predict(QUESTION, 5, "", "", [], api_name="/ask")
        assert not result["abstained"] and "[1]" in result["answer"]
