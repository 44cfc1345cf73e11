"""From thumbs in the chat to a `rag eval` run on the exported question set.

Each test leaves screenshots in its tmp_path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from eval.pipelines import AssistantPipeline
from eval.questions import load_questions
from eval.runner import run_all
from rag import Assistant
from tests.ui.browser import ChatPage, opened
from tests.ui.server import running_app

pytestmark = pytest.mark.browser

WRONG = "How many targets did U.S. airstrikes hit on Feb. 2?"
RIGHT = "Who is Aron Lund?"


@pytest.fixture
def chat(browser: Browser, seeded_fake_assistant: Assistant) -> Iterator[ChatPage]:
    with running_app(seeded_fake_assistant) as url, opened(browser, url) as page:
        yield page


def thumb(chat: ChatPage, which: str) -> None:
    """Click the last answer's thumb: 'Like' or 'Dislike'."""
    buttons = chat.page.locator(f"#rag-chat button[aria-label='{which}' i]")
    buttons.last.click()
    chat.page.locator("#rag-feedback").first.wait_for(state="visible", timeout=10_000)


def test_thumbs_and_a_correction_become_a_question_set_for_eval(
    chat: ChatPage, seeded_fake_assistant: Assistant, tmp_path: Path
) -> None:
    chat.ask(WRONG)
    thumb(chat, "Dislike")
    assert "stored" in chat.page.inner_text("#rag-feedback-note")
    chat.page.fill("#rag-feedback-correct textarea, #rag-feedback-correct input", "86 targets")
    chat.page.fill("#rag-feedback-comment textarea", "the count was revised")
    chat.screenshot(str(tmp_path / "feedback-form.png"))
    chat.page.click("#rag-feedback-send")
    chat.page.wait_for_function(
        "() => document.querySelector('#rag-feedback-done').innerText.includes('stored')"
    )
    chat.ask(RIGHT)
    thumb(chat, "Like")
    chat.page.click("#rag-feedback-close")
    chat.page.locator("#rag-feedback").first.wait_for(state="hidden", timeout=10_000)
    chat.screenshot(str(tmp_path / "feedback-done.png"))

    stored = seeded_fake_assistant.index.catalog.feedback()
    assert [s["rating"] for s in stored] == ["down", "down", "up"]  # the click, the form, the click
    assert stored[1]["comment"] == "the count was revised"
    records = seeded_fake_assistant.feedback_questions()
    path = tmp_path / "feedback.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    by_question = {r["question"]: r["answers"] for r in records}
    assert by_question[WRONG] == ["86 targets"]
    assert by_question[RIGHT] and by_question[RIGHT] != []

    questions = load_questions(path)
    pipeline = AssistantPipeline("newsrag", seeded_fake_assistant)
    results = run_all([pipeline], questions, 5, None, {"questions": str(path)})
    scored = results["pipelines"]["newsrag"]["questions"]
    assert [q["question"] for q in scored] == [WRONG, RIGHT]
    assert scored[0]["answers"] == ["86 targets"]
