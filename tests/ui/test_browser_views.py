"""The chat's views in headless Chromium (issue 24): the Article panel follows the newest
answer, the Sources panel grows with its cards, the Timeline tab, and the Articles tab
listed on open. One read-only archive and server serve the whole module.

Each test leaves a screenshot in its tmp_path."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from rag import Assistant, Settings
from tests.conftest import SEEDS
from tests.fakes import HashingEmbedder
from tests.rag.story import write_story
from tests.ui import screenshots
from tests.ui.browser import ChatPage, opened
from tests.ui.server import running_app

pytestmark = pytest.mark.browser

TARGETS = "How many targets did U.S. airstrikes hit on Feb. 2?"
VOTE = "How did the regional council vote on the Kestrel Valley dam?"
MARKS = "#rag-article mark"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("views")
    shutil.copytree(SEEDS, root / "corpus")
    write_story(root / "corpus" / "kestrel")
    assistant = Assistant(Settings(home=root / "home"), embedder=HashingEmbedder())
    assistant.ingest([root / "corpus"])
    with running_app(assistant) as base:
        yield base


@pytest.fixture
def chat(browser: Browser, url: str) -> Iterator[ChatPage]:
    with opened(browser, url) as page:
        yield page


def article_title(chat: ChatPage) -> str:
    return chat.page.locator("#rag-article h3").inner_text()


def test_the_article_panel_follows_the_newest_answer(chat: ChatPage, tmp_path: Path) -> None:
    assert "85 targets" in chat.ask(TARGETS)
    chat.page.locator("#rag-article #rag-focus").wait_for(timeout=10_000)
    first_marks = chat.page.locator(MARKS).all_inner_texts()
    assert any("85 targets" in m for m in first_marks)
    first_title = article_title(chat)

    assert "nine votes to four" in chat.ask(VOTE)
    chat.page.wait_for_function(
        "(title) => { const h = document.querySelector('#rag-article h3');"
        " return h !== null && h.innerText !== title; }",
        arg=first_title,
        timeout=10_000,
    )
    marks = chat.page.locator(MARKS).all_inner_texts()
    assert any("nine votes to four" in m for m in marks)
    assert not any("85 targets" in m for m in marks)  # nothing of the previous answer
    chat.screenshot(str(tmp_path / "follows.png"))

    chat.page.locator("#rag-chat [data-testid='bot']").first.click()  # the earlier answer
    chat.page.wait_for_function(
        "(title) => document.querySelector('#rag-article h3').innerText === title",
        arg=first_title,
        timeout=10_000,
    )


def test_every_source_card_is_shown_whole(chat: ChatPage, tmp_path: Path) -> None:
    chat.ask(VOTE)
    cards = chat.page.locator("#rag-sources .rag-card")
    cards.nth(1).wait_for(timeout=10_000)
    assert cards.count() >= 2
    clipped = chat.page.evaluate(
        """() => [...document.querySelectorAll('#rag-sources, #rag-sources *')]
             .filter((e) => e.scrollHeight > e.clientHeight + 1
                       && ['auto', 'scroll', 'hidden'].includes(getComputedStyle(e).overflowY))
             .map((e) => e.className || e.id)"""
    )
    assert clipped == []  # no box inside the panel hides part of a card
    panel = chat.page.locator("#rag-sources").bounding_box()
    last = cards.last.bounding_box()
    assert panel is not None and last is not None
    assert last["y"] + last["height"] <= panel["y"] + panel["height"] + 1
    chat.screenshot(str(tmp_path / "sources.png"))


def test_the_timeline_tab_lists_events_and_opens_their_articles(
    chat: ChatPage, tmp_path: Path
) -> None:
    chat.open_tab("Timeline")
    chat.page.fill("#rag-timeline-topic textarea, #rag-timeline-topic input", "Kestrel Valley dam")
    chat.page.fill("#rag-timeline-until textarea, #rag-timeline-until input", "2024-02-08")
    chat.page.click("#rag-timeline-show")
    events = chat.page.locator("#rag-timeline li.rag-event")
    events.first.wait_for(timeout=10_000)
    texts = events.all_inner_texts()
    dated = [t for t in texts if "2024-" in t]
    assert [t[t.index("2024-") :][:10] for t in dated] == ["2024-01-05", "2024-01-20", "2024-02-08"]
    assert "2024-02-09" not in chat.page.inner_text("#rag-timeline")  # until the 8th
    chat.screenshot(str(tmp_path / "timeline.png"))

    events.nth(1).locator("a.rag-marker").first.click()
    chat.page.locator("#rag-article #rag-focus").wait_for(timeout=10_000)
    assert "marched against" in chat.page.locator("#rag-article #rag-focus").inner_text()
    assert article_title(chat) == "Farmers march against the dam"


def test_the_articles_tab_lists_the_archive_on_open(chat: ChatPage, tmp_path: Path) -> None:
    chat.open_tab("Articles")
    rows = chat.page.locator("#rag-articles-list tbody tr")
    rows.first.wait_for(timeout=10_000)  # no click on Search
    assert rows.count() == 7 and "7 articles" in chat.page.inner_text("#rag-articles-list")
    assert "2024-02-10" in rows.first.inner_text()  # newest first: the seeds article
    chat.screenshot(str(tmp_path / "articles.png"))


@pytest.mark.slow
def test_the_screenshot_command_writes_every_view(browser: Browser, tmp_path: Path) -> None:
    """`make screenshots` (the real model) leaves one non-empty PNG per view."""
    written = screenshots.take(tmp_path / "shots", browser)
    assert [p.name for p in written] == list(screenshots.VIEWS)
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
