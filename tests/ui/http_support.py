"""Helpers for the HTTP API tests: the router on a bare app, a loopback server, checks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import openai
import uvicorn
from fastapi import FastAPI

from rag import Assistant, Settings
from ui.http_api import build_api_router
from ui.serve import server_config

QUESTION = "How many targets did U.S. airstrikes hit on Feb. 2?"


def make_app(assistant: Assistant, settings: Settings) -> FastAPI:
    app = FastAPI()
    app.include_router(build_api_router(assistant, settings))
    return app


@dataclass
class LiveServer:
    url: str  # http://127.0.0.1:PORT


Serve = Callable[[FastAPI], LiveServer]


@contextmanager
def loopback_servers() -> Iterator[Serve]:
    """`serve(app)` runs `app` with uvicorn on a free loopback port until the block ends."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: FastAPI) -> LiveServer:
        config = server_config(app, "127.0.0.1", 0)
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

    try:
        yield start
    finally:
        for server, thread in servers:
            server.should_exit = True
            thread.join(timeout=10)
            assert not thread.is_alive(), "uvicorn did not stop"


def openai_client(live: LiveServer, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live.url}/v1", api_key=key, max_retries=0, timeout=30)


def assert_quotes_are_exact(
    base_url: str, citations: list[dict], headers: dict | None = None
) -> None:
    """Each citation's span of the article, fetched over the API, equals its quote."""
    assert citations
    for c in citations:
        url = f"{base_url}/v1/articles/{quote(c['article_id'], safe='')}"
        article = httpx.get(url, headers=headers).json()
        assert article["text"][c["start"] : c["end"]] == c["quote"]
