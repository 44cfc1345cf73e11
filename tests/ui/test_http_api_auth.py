"""Authentication: with `RAG_API_KEY` set every `/v1` route wants the bearer key;
a non-loopback address without a key is refused before anything is served."""

from __future__ import annotations

import httpx
import openai
import pytest

from rag import Assistant, InputError, Settings
from tests.ui.http_support import (
    QUESTION,
    LiveServer,
    Serve,
    assert_quotes_are_exact,
    make_app,
    openai_client,
)
from ui.http_api import check_bind

KEY = "s3cret-key-123"


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
    for weak in (" ", "   \t", "short-key"):
        with pytest.raises(InputError, match="too short"):
            check_bind(host, settings.model_copy(update={"api_key": weak}))


def test_rag_serve_refuses_a_public_address_without_a_key(settings: Settings) -> None:
    from ui.serve import serve

    with pytest.raises(InputError, match=r"0\.0\.0\.0.*RAG_API_KEY"):
        serve(settings, host="0.0.0.0", port=1, ingest=False)
