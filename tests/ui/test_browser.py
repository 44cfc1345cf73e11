"""The chat in headless Chromium against a server on a free loopback port, with a small index.

Each test leaves a screenshot in its tmp_path (pytest prints the folder on failure).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from rag import Assistant
from tests.ui.browser import BOT, ChatPage, opened
from tests.ui.server import running_app

pytestmark = pytest.mark.browser

QUESTION = "How many targets did U.S. airstrikes hit on Feb. 2?"
OTTER = """date 2024-03-05
# Otter crosses the lake

An otter named Bob swam 12 miles across Lake Tahoe on Monday, rangers said.
Volunteers counted the strokes from a kayak.
"""
HOSTILE = """date 2024-03-06
# <b>Bold</b> claims

The mayor of Springfield promised <script>window.pwned = 1</script> free donuts for every resident.
An image followed: <img src=x onerror="window.pwned = 2"> and nothing else happened.
"""


@pytest.fixture
def chat(browser: Browser, seeded_fake_assistant: Assistant, tmp_path: Path) -> Iterator[ChatPage]:
    with running_app(seeded_fake_assistant) as url, opened(browser, url) as page:
        yield page


def test_a_seeds_question_gets_an_answer_with_its_citation(chat: ChatPage, tmp_path: Path) -> None:
    answer = chat.ask(QUESTION)
    assert "85 targets" in answer and "[1]" in answer
    assert chat.last_bot().locator("a.rag-marker").count() >= 1
    highlighted = chat.page.locator("#rag-sources mark").first.inner_text()
    assert "85 targets" in highlighted
    chat.screenshot(str(tmp_path / "answer.png"))


def test_clicking_a_citation_opens_the_article_at_the_highlighted_span(
    chat: ChatPage, seeded_fake_assistant: Assistant, tmp_path: Path
) -> None:
    chat.ask("Who is Aron Lund?")
    chat.last_bot().locator("a.rag-marker").first.click()
    focus = chat.page.locator("#rag-article #rag-focus")
    focus.wait_for(timeout=10_000)
    citation = seeded_fake_assistant.ask("Who is Aron Lund?").citations[0]
    assert focus.inner_text() == citation.quote
    chat.page.wait_for_function(
        """() => {
            const mark = document.querySelector('#rag-article #rag-focus').getBoundingClientRect();
            const box = document.querySelector('#rag-article .rag-article-text')
                .getBoundingClientRect();
            return mark.top >= box.top && mark.bottom <= box.bottom + 1;
        }""",
        timeout=5_000,
    )  # scrolled into view inside the article panel
    chat.screenshot(str(tmp_path / "article.png"))


def test_a_source_card_opens_its_article_too(chat: ChatPage, tmp_path: Path) -> None:
    chat.ask(QUESTION)
    chat.page.locator("#rag-sources a.rag-open-link").first.click()
    assert "85 targets" in chat.page.locator("#rag-article #rag-focus").inner_text()
    chat.screenshot(str(tmp_path / "source.png"))


def test_a_follow_up_question_uses_the_conversation(chat: ChatPage, tmp_path: Path) -> None:
    chat.ask("Who is Aron Lund?")
    follow_up = chat.ask("What did he say about the air attack threat?")
    assert chat.bot_messages() == 2
    assert "paralyze" in follow_up and "[1]" in follow_up
    marks = chat.page.locator("#rag-sources mark").all_inner_texts()
    assert any("paralyze" in mark for mark in marks)  # the quoted sentence is marked
    chat.page.locator(BOT).first.click(position={"x": 20, "y": 10})  # the earlier answer
    chat.page.locator("#rag-sources mark", has_text="Aron Lund").wait_for(timeout=10_000)
    chat.screenshot(str(tmp_path / "follow-up.png"))


def test_an_uploaded_article_can_be_asked_about(chat: ChatPage, tmp_path: Path) -> None:
    otter = tmp_path / "otter.md"
    otter.write_text(OTTER)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    chat.page.locator("#rag-upload input[type=file]").set_input_files([str(otter), str(empty)])
    chat.page.click("#rag-add")
    report = chat.page.locator("#rag-report")
    report.get_by_text("Added 1").wait_for(timeout=20_000)
    assert "empty.txt" in report.inner_text()  # skipped, with its reason
    chat.page.locator("#rag-status").get_by_text("2 articles").wait_for(timeout=10_000)
    answer = chat.ask("How far did the otter Bob swim across Lake Tahoe?")
    assert "12 miles" in answer
    chat.screenshot(str(tmp_path / "upload.png"))


def test_an_unanswerable_question_shows_an_abstention(chat: ChatPage, tmp_path: Path) -> None:
    answer = chat.ask("What is the price of bananas in Peru?")
    assert chat.last_bot().locator(".rag-abstain").count() == 1
    assert "No answer in the corpus." in answer and "\\" not in answer  # escapes rendered
    assert "Closest passages" in chat.page.locator("#rag-sources").inner_text()
    chat.screenshot(str(tmp_path / "abstention.png"))


def test_an_error_is_a_message_not_a_traceback(chat: ChatPage, tmp_path: Path) -> None:
    chat.page.get_by_text("Filters").click()
    chat.page.fill("#rag-since textarea", "10/02/2024")
    chat.page.fill("#rag-question textarea", QUESTION)
    chat.page.click("#rag-send")
    error = chat.page.locator("#rag-chat .rag-error")
    error.wait_for(timeout=10_000)
    assert "since must be a date like 2024-02-10" in error.inner_text()
    assert "Traceback" not in chat.page.content()
    chat.screenshot(str(tmp_path / "error.png"))


def test_an_article_with_script_is_shown_as_text(
    chat: ChatPage, seeded_fake_assistant: Assistant, tmp_path: Path
) -> None:
    hostile = tmp_path / "hostile.md"
    hostile.write_text(HOSTILE)
    seeded_fake_assistant.ingest([hostile])
    answer = chat.ask("What did the mayor of Springfield promise every resident?")
    assert "<script>" in answer  # the quote shows the tag as text
    chat.last_bot().locator("a.rag-marker").first.click()
    article = chat.page.locator("#rag-article")
    article.locator("#rag-focus").wait_for(timeout=10_000)
    assert "<script>window.pwned = 1</script>" in article.inner_text()
    assert '<img src=x onerror="window.pwned = 2">' in article.inner_text()
    assert "<b>Bold</b> claims" in article.inner_text()
    assert chat.page.locator("#rag-article script, #rag-article img, #rag-chat script").count() == 0
    assert chat.page.evaluate("() => window.pwned") is None
    chat.screenshot(str(tmp_path / "script-as-text.png"))


def test_an_example_question_asks_itself(chat: ChatPage, tmp_path: Path) -> None:
    example = chat.page.locator("#rag-examples button").first
    example.wait_for(timeout=10_000)
    text = example.inner_text()
    example.click()
    chat.wait_for_answer(1)
    assert chat.page.locator("#rag-chat [data-testid='user']").first.inner_text() == text
    chat.screenshot(str(tmp_path / "example.png"))


def test_copy_and_clear(chat: ChatPage, tmp_path: Path) -> None:
    chat.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    chat.ask(QUESTION)
    chat.page.click("#rag-copy")
    copied = chat.page.evaluate("() => navigator.clipboard.readText()")
    assert "85 targets" in copied and "Sources:" in copied and "[1]" in copied
    chat.page.click("#rag-clear")
    chat.page.wait_for_function(
        "(s) => document.querySelectorAll(s).length === 0", arg="#rag-chat [data-testid='bot']"
    )
    chat.screenshot(str(tmp_path / "cleared.png"))
