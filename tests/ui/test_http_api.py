"""The HTTP API over real HTTP on loopback: the answer object, the OpenAI client
(plain and streaming), auth, validation, the body limit, clean errors, and fuzzing."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import openai
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rag import Answer, Assistant, InputError, Passage, RagError, Settings
from tests.fakes import HashingEmbedder
from ui.http_api import build_api_router, check_bind

QUESTION = "How many targets did U.S. airstrikes hit on Feb. 2?"
KEY = "s3cret-key"


def make_app(assistant: Assistant, settings: Settings) -> FastAPI:
    app = FastAPI()
    app.include_router(build_api_router(assistant, settings))
    return app


@dataclass
class LiveServer:
    url: str  # http://127.0.0.1:PORT


Serve = Callable[[FastAPI], LiveServer]


@pytest.fixture
def serve() -> Iterator[Callable[[FastAPI], LiveServer]]:
    """`serve(app)` runs `app` with uvicorn on a free loopback port until the test ends."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: FastAPI) -> LiveServer:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        servers.append((server, thread))
        return LiveServer(f"http://127.0.0.1:{port}")

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)
        assert not thread.is_alive(), "uvicorn did not stop"


@pytest.fixture
def live(seeded_fake_assistant: Assistant, serve: Serve) -> LiveServer:
    return serve(make_app(seeded_fake_assistant, seeded_fake_assistant.settings))


@pytest.fixture
def client(seeded_fake_assistant: Assistant) -> TestClient:
    return TestClient(make_app(seeded_fake_assistant, seeded_fake_assistant.settings))


def assert_quotes_are_exact(
    base_url: str, citations: list[dict], headers: dict | None = None
) -> None:
    """Each citation's span of the article, fetched over the API, equals its quote."""
    assert citations
    for c in citations:
        article = httpx.get(f"{base_url}/v1/articles/{c['article_id']}", headers=headers).json()
        assert article["text"][c["start"] : c["end"]] == c["quote"]


# --- the answer object ---------------------------------------------------------------------


def test_ask_over_http_returns_the_rag_ask_json_object(
    live: LiveServer, seeded_fake_assistant: Assistant
) -> None:
    response = httpx.post(f"{live.url}/v1/ask", json={"question": QUESTION, "top_k": 3})
    assert response.status_code == 200
    body = response.json()
    expected = seeded_fake_assistant.ask(QUESTION, top_k=3).to_dict()
    assert {k: v for k, v in body.items() if k != "timings_ms"} == {
        k: v for k, v in expected.items() if k != "timings_ms"
    }
    assert "85 targets" in body["answer"] and "[1]" in body["answer"]
    assert len(body["passages"]) <= 3
    assert_quotes_are_exact(live.url, body["citations"])


def test_ask_applies_the_date_filter(client: TestClient) -> None:
    body = client.post("/v1/ask", json={"question": QUESTION, "since": "2030-01-01"}).json()
    assert body["passages"] == [] and body["abstained"]


def test_status_health_and_unknown_article(client: TestClient) -> None:
    status = client.get("/v1/status").json()
    assert status["articles"] == 1 and status["chunks"] > 0
    assert client.get("/healthz").json() == {"status": "ok"}
    missing = client.get("/v1/articles/no-such-id")
    assert missing.status_code == 404
    assert "no-such-id" in missing.json()["error"]["message"]


# --- OpenAI compatibility ------------------------------------------------------------------


def openai_client(live: LiveServer, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live.url}/v1", api_key=key, max_retries=0, timeout=30)


def test_openai_client_gets_a_cited_answer(live: LiveServer) -> None:
    completion = openai_client(live).chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": QUESTION}], temperature=0.2
    )
    content = completion.choices[0].message.content or ""
    assert "85 targets" in content and "[1]" in content
    assert completion.choices[0].finish_reason == "stop"
    citations = (completion.model_extra or {})["citations"]
    assert [c["n"] for c in citations] == list(range(1, len(citations) + 1))
    assert_quotes_are_exact(live.url, citations)
    models = openai_client(live).models.list()
    assert [m.id for m in models.data] == ["newsrag"]


def test_openai_client_streams_the_same_answer(live: LiveServer) -> None:
    client = openai_client(live)
    messages = [{"role": "user", "content": QUESTION}]
    whole = client.chat.completions.create(model="newsrag", messages=messages)  # type: ignore[arg-type]
    chunks = list(
        client.chat.completions.create(model="newsrag", messages=messages, stream=True)  # type: ignore[arg-type]
    )
    assert len(chunks) > 3, "the answer arrives in pieces"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == whole.choices[0].message.content
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert (last.model_extra or {})["citations"] == (whole.model_extra or {})["citations"]


class RecordingAssistant(Assistant):
    """Remembers the arguments of each `ask`."""

    calls: list[dict[str, Any]]

    def ask(self, question: str, **kwargs: Any) -> Answer:  # type: ignore[override]
        self.calls.append({"question": question, **kwargs})
        return super().ask(question, **kwargs)


def test_chat_messages_become_the_question_and_its_history(
    seeded_fake_assistant: Assistant,
) -> None:
    recording = RecordingAssistant(seeded_fake_assistant.settings, embedder=HashingEmbedder())
    recording.calls = []
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "85 targets [1]"},
        {"role": "user", "content": [{"type": "text", "text": "And how many militiamen died?"}]},
    ]
    client = TestClient(make_app(recording, recording.settings))
    body = {"messages": messages, "top_k": 4, "since": "2024-01-01"}
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200
    [call] = recording.calls
    assert call["question"] == "And how many militiamen died?"
    assert call["history"] == [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "85 targets [1]"},
    ]
    assert call["top_k"] == 4 and str(call["since"]) == "2024-01-01"
    expected = recording.ask(call["question"], history=call["history"], top_k=4, since="2024-01-01")
    assert response.json()["choices"][0]["message"]["content"].startswith(expected.text)


def test_openai_client_sees_errors_with_their_message(live: LiveServer) -> None:
    with pytest.raises(openai.UnprocessableEntityError, match=r"messages\[1\]\.role"):
        openai_client(live).chat.completions.create(
            model="newsrag",
            messages=[
                {"role": "user", "content": QUESTION},
                {"role": "assistant", "content": "85"},
            ],
        )


# --- auth and binding ------------------------------------------------------------------------


@pytest.fixture
def keyed_live(seeded_fake_assistant: Assistant, serve: Serve) -> LiveServer:
    settings = seeded_fake_assistant.settings.model_copy(update={"api_key": KEY})
    return serve(make_app(seeded_fake_assistant, settings))


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}, {"Authorization": "Basic x"}],
)
def test_a_key_protects_every_v1_route(keyed_live: LiveServer, headers: dict[str, str]) -> None:
    for method, path in [("POST", "/v1/ask"), ("GET", "/v1/status"), ("GET", "/v1/articles/x")]:
        # An unauthenticated client learns nothing, not even that its body was invalid.
        response = httpx.request(method, keyed_live.url + path, json={}, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer" in response.json()["error"]["message"]
    assert httpx.get(f"{keyed_live.url}/healthz").status_code == 200


def test_the_right_key_is_accepted(keyed_live: LiveServer) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    response = httpx.post(f"{keyed_live.url}/v1/ask", json={"question": QUESTION}, headers=headers)
    assert response.status_code == 200
    assert_quotes_are_exact(keyed_live.url, response.json()["citations"], headers)
    completion = openai_client(keyed_live, KEY).chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": QUESTION}]
    )
    assert "85 targets" in (completion.choices[0].message.content or "")
    with pytest.raises(openai.AuthenticationError):
        openai_client(keyed_live, "wrong").models.list()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_needs_no_key(host: str, settings: Settings) -> None:
    check_bind(host, settings)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.org"])
def test_other_addresses_need_a_key(host: str, settings: Settings) -> None:
    with pytest.raises(InputError, match="RAG_API_KEY"):
        check_bind(host, settings)
    check_bind(host, settings.model_copy(update={"api_key": KEY}))


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


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "user", "content": "x" * 2001}]}, "messages[0].content"),
        ({"messages": [{"role": "user", "content": " "}]}, "messages[0].content"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": "q"}], "top_k": 99}, "top_k"),
    ],
)
def test_bad_chat_requests_get_422_naming_the_field(
    client: TestClient, body: dict, field: str
) -> None:
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 422
    assert field in response.json()["error"]["message"]


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


# --- the real model --------------------------------------------------------------------------


@pytest.mark.slow
def test_real_model_answers_through_the_openai_client(
    real_assistant: Assistant, serve: Serve
) -> None:
    live = serve(make_app(real_assistant, real_assistant.settings))
    completion = openai_client(live).chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": "Who was killed on January 28?"}]
    )
    content = completion.choices[0].message.content or ""
    assert "three Americans" in content and "[1]" in content
    assert_quotes_are_exact(live.url, (completion.model_extra or {})["citations"])


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


def test_rag_serve_refuses_a_public_address_without_a_key(settings: Settings) -> None:
    from ui.serve import serve

    with pytest.raises(InputError, match=r"0\.0\.0\.0.*RAG_API_KEY"):
        serve(settings, host="0.0.0.0", port=1, ingest=False)


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
