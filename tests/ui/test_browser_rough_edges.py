"""Rough edges of issue 11 in headless Chromium: /docs offline, the chat's labels, the
sources' rank and confidence, and the conversation downloaded as Markdown.

Each test leaves a screenshot in its tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route

from rag import Assistant
from tests.ui.browser import BOT, ChatPage
from tests.ui.server import running_app

pytestmark = pytest.mark.browser

QUESTION = "How many targets did U.S. airstrikes hit on Feb. 2?"


@pytest.fixture
def url(seeded_fake_assistant: Assistant) -> Iterator[str]:
    with running_app(seeded_fake_assistant) as base:
        yield base


def test_docs_render_with_nothing_from_other_hosts(
    browser: Browser, url: str, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    elsewhere: list[str] = []

    def only_the_server(route: Route) -> None:
        if route.request.url.startswith((url, "data:", "blob:")):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_server)
    page.goto(f"{url}docs")
    page.locator(".swagger-ui .opblock-summary-path").first.wait_for(timeout=20_000)
    paths = page.locator(".swagger-ui .opblock-summary-path").all_inner_texts()
    assert "/v1/ask" in paths and "/v1/articles" in paths
    page.screenshot(path=str(tmp_path / "docs.png"), full_page=True)
    page.close()
    assert elsewhere == []


def test_chat_labels_sources_and_the_conversation_download(
    browser: Browser, url: str, tmp_path: Path
) -> None:
    chat = ChatPage.open(browser, url)
    try:
        assert chat.page.locator("#rag-chat [data-testid='block-label']").count() == 0
        answer = chat.ask(QUESTION)
        assert "85 targets" in answer
        chat.page.wait_for_function(
            "([s]) => (document.querySelector(s).getAttribute('aria-label') || '')"
            ".startsWith('Answer: ')",
            arg=[BOT],
            timeout=5_000,
        )
        label = chat.page.locator(BOT).first.get_attribute("aria-label") or ""
        assert "<" not in label and "rag-marker" not in label and "85 targets" in label
        sources = chat.page.inner_text("#rag-sources")
        assert "relevance" not in sources and "passage 1 of the search" in sources
        assert "confidence in this answer" in sources

        chat.page.wait_for_function(
            "() => document.querySelector('#rag-conversation textarea').value !== ''"
        )
        with chat.page.expect_download() as caught:
            chat.page.click("#rag-download")
        saved = tmp_path / "conversation.md"
        caught.value.save_as(saved)
        markdown = saved.read_text(encoding="utf-8")
        assert f"## 1. {QUESTION}" in markdown and "85 targets" in markdown
        assert "Sources:" in markdown and "characters " in markdown and "  > " in markdown
        chat.screenshot(str(tmp_path / "chat.png"))
    finally:
        chat.page.close()
    assert chat.elsewhere == [] and chat.dialogs == []
