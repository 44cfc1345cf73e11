"""The chat's Articles view in headless Chromium: list, search, page, open, delete.

Each test leaves screenshots in its tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from rag import Assistant
from tests.ui.browser import ChatPage, opened
from tests.ui.server import running_app
from ui import articles_view

pytestmark = pytest.mark.browser

OTTER = (
    "date 2024-03-05\n# Otter crosses the lake\n\n"
    "An otter named Bob swam 12 miles across Lake Tahoe on Monday, rangers said.\n"
)
HERON = (
    "date 2024-03-07\n\n"
    "A grey heron nested on the town hall roof. Birdwatchers came from far away.\n"
)
LIST = "#rag-articles-list"


@pytest.fixture
def archive(seeded_fake_assistant: Assistant, corpus: Path) -> Assistant:
    (corpus / "otter.md").write_text(OTTER, encoding="utf-8")
    (corpus / "heron.txt").write_text(HERON, encoding="utf-8")
    seeded_fake_assistant.ingest([corpus])
    return seeded_fake_assistant


@pytest.fixture
def chat(browser: Browser, archive: Assistant) -> Iterator[ChatPage]:
    with running_app(archive) as url, opened(browser, url) as page:
        yield page


def show_articles(chat: ChatPage) -> None:
    """Open the Articles tab, which lists the newest articles without a click on Search."""
    chat.open_tab("Articles")
    chat.page.locator(f"{LIST} table.rag-articles").wait_for(timeout=10_000)


def rows(chat: ChatPage) -> list[str]:
    return chat.page.locator(f"{LIST} tbody tr td:first-child").all_inner_texts()


def test_list_search_open_and_delete_with_confirmation(
    chat: ChatPage, archive: Assistant, tmp_path: Path
) -> None:
    show_articles(chat)
    listed = rows(chat)
    assert listed[0] == "A grey heron nested on the town hall roof."  # newest; untitled
    assert "Otter crosses the lake" in listed and len(listed) == 3
    assert "3 articles" in chat.page.inner_text(LIST)
    chat.screenshot(str(tmp_path / "articles.png"))

    chat.page.fill("#rag-articles-q input, #rag-articles-q textarea", "otter")
    chat.page.click("#rag-articles-search")
    chat.page.wait_for_function(
        "() => document.querySelectorAll('#rag-articles-list tbody tr').length === 1"
    )
    chat.page.locator(f"{LIST} a.rag-open").first.click()
    chat.page.locator("#rag-article .rag-article-text").wait_for(timeout=10_000)
    assert "swam 12 miles" in chat.page.inner_text("#rag-article")

    chat.page.locator(f"{LIST} a.rag-delete").first.click()
    confirm = chat.page.locator("#rag-articles-confirm")
    confirm.wait_for(state="visible", timeout=10_000)
    assert "Otter crosses the lake" in confirm.inner_text()
    chat.screenshot(str(tmp_path / "confirm.png"))
    chat.page.click("#rag-articles-cancel")
    confirm.wait_for(state="hidden", timeout=10_000)
    assert archive.articles("otter").total == 1  # cancelled: nothing deleted

    chat.page.locator(f"{LIST} a.rag-delete").first.click()
    confirm.wait_for(state="visible", timeout=10_000)
    chat.page.click("#rag-articles-confirm-delete")
    chat.page.locator("#rag-deleted").wait_for(timeout=10_000)
    assert "No article matches" in chat.page.inner_text(LIST)
    chat.page.wait_for_function(
        "() => document.querySelector('#rag-status').innerText.includes('2 articles')"
    )
    chat.screenshot(str(tmp_path / "deleted.png"))
    assert archive.articles("otter").total == 0

    answer = chat.ask("How far did the otter named Bob swim across Lake Tahoe?")
    assert "12 miles" not in answer
    assert "Otter crosses" not in chat.page.inner_text("#rag-sources")


def test_pages_through_the_list(
    chat: ChatPage, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(articles_view, "PAGE_SIZE", 2)  # after the list on open: search again
    show_articles(chat)
    chat.page.click("#rag-articles-search")
    chat.page.wait_for_function(
        "() => document.querySelector('#rag-articles-list').innerText.includes('1–2 of 3')"
    )
    first = rows(chat)
    assert len(first) == 2 and "1–2 of 3 articles" in chat.page.inner_text(LIST)
    chat.page.click("#rag-articles-next")
    chat.page.wait_for_function(
        "() => document.querySelector('#rag-articles-list').innerText.includes('3–3 of 3')"
    )
    assert len(rows(chat)) == 1 and rows(chat)[0] not in first
    chat.page.click("#rag-articles-prev")
    chat.page.wait_for_function(
        "() => document.querySelector('#rag-articles-list').innerText.includes('1–2 of 3')"
    )
    chat.screenshot(str(tmp_path / "paged.png"))
