"""The JSON API over HTTP: the answer object, articles and status, validation that names
the field, the body limit, clean errors, and the API inside the served application."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

from rag import Assistant, InputError, Passage, RagError
from tests.fakes import HashingEmbedder
from tests.ui.http_support import QUESTION, LiveServer, assert_quotes_are_exact, make_app

# --- the answer object ---------------------------------------------------------------------


def test_ask_over_http_returns_the_rag_ask_json_object(
    live: LiveServer, seeded_fake_assistant: Assistant
) -> None:
    response = httpx.post(f"{live.url}/v1/ask", json={"question": QUESTION, "top_k": 3})
    assert response.status_code == 200
    body = response.json()
    expected = seeded_fake_assistant.ask(QUESTION, top_k=3).to_dict()
    per_call = ("timings_ms", "answer_id")  # each answer has its own id
    assert body["answer_id"].startswith("ans-")
    assert {k: v for k, v in body.items() if k not in per_call} == {
        k: v for k, v in expected.items() if k not in per_call
    }
    assert "85 targets" in body["answer"] and "[1]" in body["answer"]
    assert len(body["passages"]) <= 3
    assert_quotes_are_exact(live.url, body["citations"])


def test_ask_applies_the_date_filter(client: TestClient) -> None:
    body = client.post("/v1/ask", json={"question": QUESTION, "since": "2030-01-01"}).json()
    assert body["passages"] == [] and body["abstained"]


@pytest.mark.parametrize(
    "dates", [{"until": "9999-12-31"}, {"since": "0001-01-01", "until": "0001-01-01"}]
)
def test_a_time_phrase_at_the_ends_of_the_calendar_is_answered(
    client: TestClient, dates: dict[str, str]
) -> None:
    for question in ("What happened yesterday?", "What happened on Tuesday?"):
        body = {"question": question, "time_window": True, **dates}
        response = client.post("/v1/ask", json=body)
        assert response.status_code == 200, response.text
        window = response.json()["window"]
        assert window["until"] == dates["until"]  # clipped to the caller's dates


def test_status_health_and_unknown_article(client: TestClient) -> None:
    status = client.get("/v1/status").json()
    assert status["articles"] == 1 and status["chunks"] > 0
    assert client.get("/healthz").json() == {"status": "ok"}
    missing = client.get("/v1/articles/no-such-id")
    assert missing.status_code == 404
    assert "no-such-id" in missing.json()["error"]["message"]


# --- validation and limits --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "question"),
        ({"question": ""}, "question"),
        ({"question": "   "}, "question"),
        ({"question": "x" * 2001}, "question"),
        ({"question": "q", "top_k": 0}, "top_k"),
        ({"question": "q", "top_k": 51}, "top_k"),
        ({"question": "q", "top_k": "five"}, "top_k"),
        ({"question": "q", "top_k": True}, "top_k"),
        ({"question": "q", "top_k": "5"}, "top_k"),
        ({"question": "q", "since": "2024-13-01"}, "since"),
        ({"question": "q", "since": "2024-03-01", "until": "2024-01-01"}, "since"),
        ({"question": "q", "history": [{"role": "robot", "content": "hi"}]}, "history[0].role"),
        ({"question": "q", "topk": 3}, "topk"),
    ],
)
def test_bad_ask_requests_get_422_naming_the_field(
    client: TestClient, body: dict, field: str
) -> None:
    response = client.post("/v1/ask", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["param"] == field
    assert error["message"].startswith(field)


def test_invalid_json_gets_422(client: TestClient) -> None:
    response = client.post(
        "/v1/ask", content=b'{"question": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert "not valid JSON" in response.json()["error"]["message"]


def test_bodies_over_the_limit_get_413_declared_or_chunked(live: LiveServer) -> None:
    limit = 64_000
    big = {"question": "q", "history": [{"role": "user", "content": "x" * 15_000}] * 5}
    declared = httpx.post(f"{live.url}/v1/ask", json=big)
    assert declared.status_code == 413
    assert str(limit) in declared.json()["error"]["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding: chunked
        yield b'{"question": "'
        for _ in range(200):
            yield b"a" * 1000
        yield b'"}'

    chunked = httpx.post(
        f"{live.url}/v1/ask", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert chunked.status_code == 413

    def small() -> Iterator[bytes]:
        yield b'{"question": '
        yield f'"{QUESTION}"}}'.encode()

    ok = httpx.post(
        f"{live.url}/v1/ask", content=small(), headers={"Content-Type": "application/json"}
    )
    assert ok.status_code == 200 and "85 targets" in ok.json()["answer"]


# --- failures stay clean ----------------------------------------------------------------------


def test_an_empty_index_gets_503_with_what_to_do(fake_assistant: Assistant) -> None:
    client = TestClient(make_app(fake_assistant, fake_assistant.settings))
    for path, body in [
        ("/v1/ask", {"question": QUESTION}),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": QUESTION}]}),
    ]:
        response = client.post(path, json=body)
        assert response.status_code == 503
        assert "rag ingest" in response.json()["error"]["message"]


class BrokenRetriever:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def retrieve(self, query: str, top_k: int, filters: object) -> list[Passage]:
        raise self.error


@pytest.mark.parametrize(
    ("error", "status"), [(RagError("chroma is unreachable"), 503), (RuntimeError("bug"), 500)]
)
def test_failures_inside_rag_become_json_errors(
    seeded_fake_assistant: Assistant, error: Exception, status: int
) -> None:
    settings = seeded_fake_assistant.settings
    broken = Assistant(settings, embedder=HashingEmbedder(), retriever=BrokenRetriever(error))  # type: ignore[arg-type]
    response = TestClient(make_app(broken, settings)).post("/v1/ask", json={"question": QUESTION})
    assert response.status_code == status
    assert response.json()["error"]["type"] == "server_error"
    assert "Traceback" not in response.text and "bug" not in response.text


def test_an_input_error_names_its_field_whatever_its_message(
    seeded_fake_assistant: Assistant,
) -> None:
    settings = seeded_fake_assistant.settings
    error = InputError("the filter names no known source", field="filters")
    broken = Assistant(settings, embedder=HashingEmbedder(), retriever=BrokenRetriever(error))  # type: ignore[arg-type]
    response = TestClient(make_app(broken, settings)).post("/v1/ask", json={"question": QUESTION})
    assert response.status_code == 422
    assert response.json()["error"] == {
        "message": "the filter names no known source",
        "type": "invalid_request_error",
        "param": "filters",
        "code": None,
    }


# --- inside the served application -----------------------------------------------------------


def test_the_served_app_has_the_api_its_description_and_the_chat(
    seeded_fake_assistant: Assistant,
) -> None:
    from tests.ui.server import running_app

    with running_app(seeded_fake_assistant) as page:
        url = page.rstrip("/")
        paths = httpx.get(f"{url}/openapi.json").json()["paths"]
        assert {"/v1/ask", "/v1/chat/completions", "/v1/status", "/healthz"} <= set(paths)
        assert "swagger" in httpx.get(f"{url}/docs").text.lower()
        answer = httpx.post(f"{url}/v1/ask", json={"question": QUESTION}).json()
        assert "85 targets" in answer["answer"]
        assert "gradio" in httpx.get(f"{url}/").text.lower()


def test_article_ids_with_slashes_and_odd_characters(
    seeded_fake_assistant: Assistant, client: TestClient, tmp_path: Path
) -> None:
    odd_id = "wire/2024/01 #7?x"
    record = {"id": odd_id, "title": "Odd", "date": "2024-01-05", "text": "A short wire story."}
    (tmp_path / "wire.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    seeded_fake_assistant.ingest([tmp_path / "wire.jsonl"])
    response = client.get(f"/v1/articles/{quote(odd_id, safe='')}")
    assert response.status_code == 200
    assert response.json()["id"] == odd_id and response.json()["title"] == "Odd"
