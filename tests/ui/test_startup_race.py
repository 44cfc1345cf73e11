"""A fresh server's first requests, sent together, are all answered (issue 13.1)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from rag import Assistant, Settings
from tests.concurrency import all_at_once, build_and_let_go, slow_chroma_start
from tests.fakes import HashingEmbedder
from tests.ui.http_support import QUESTION, Serve, make_app

THREADS = 16


def test_first_asks_sent_together_to_a_fresh_server_all_get_answers(
    settings: Settings, corpus: Path, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_and_let_go(settings, corpus)
    started = slow_chroma_start(monkeypatch)
    fresh = Assistant(settings, embedder=HashingEmbedder())
    live = serve(make_app(fresh, settings))

    def ask(_: int) -> httpx.Response:
        return httpx.post(f"{live.url}/v1/ask", json={"question": QUESTION}, timeout=60)

    responses = all_at_once(THREADS, ask)

    failures = [
        repr(r) if isinstance(r, Exception) else f"{r.status_code} {r.text[:200]}"
        for r in responses
        if not isinstance(r, httpx.Response) or r.status_code != 200
    ]
    assert not failures, f"{len(failures)} of {THREADS} failed: {sorted(set(failures))}"
    bodies = [r.json() for r in responses if isinstance(r, httpx.Response)]
    assert all(not b["abstained"] and "85 targets" in b["answer"] for b in bodies)
    assert all("85 targets" in b["citations"][0]["quote"] for b in bodies)
    assert len(started) == 1
