"""Fixtures of the HTTP API tests (helpers in `tests/ui/http_support.py`) and the browser
tests (`tests/ui/browser.py`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright

from rag import Assistant
from tests.ui.browser import launch
from tests.ui.http_support import LiveServer, Serve, loopback_servers, make_app


@pytest.fixture
def serve() -> Iterator[Serve]:
    with loopback_servers() as start:
        yield start


@pytest.fixture
def live(seeded_fake_assistant: Assistant, serve: Serve) -> LiveServer:
    """The /v1 router over the seeded fake assistant, on a loopback port."""
    return serve(make_app(seeded_fake_assistant, seeded_fake_assistant.settings))


@pytest.fixture
def client(seeded_fake_assistant: Assistant) -> TestClient:
    return TestClient(make_app(seeded_fake_assistant, seeded_fake_assistant.settings))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium, one per test module."""
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()
