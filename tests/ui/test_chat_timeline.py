"""The chat's timelines and time-window chip, through its handlers (no browser)."""

from __future__ import annotations

import html

import gradio as gr
import pytest

from rag import Assistant, Settings
from rag.settings import RetrievalSettings
from tests.fakes import HashingEmbedder
from tests.rag.story import write_story
from ui import chat, timeline_view

WEEK = "What did the council decide about the Kestrel Valley dam last week?"

WINDOWS = RetrievalSettings(time_windows="hard")  # soft by default: only the window searched


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> chat.ChatSession:
    root = tmp_path_factory.mktemp("chat-timeline")
    assistant = Assistant(
        Settings(home=root / "home", retrieval=WINDOWS), embedder=HashingEmbedder()
    )
    assistant.ingest([write_story(root / "story")])
    return chat.ChatSession(assistant)


def last(session: chat.ChatSession, question: str, answers=None, until: str = "") -> tuple:
    return list(session.respond(question, [], answers or [], 5, "", until))[-1]


def test_a_timeline_question_is_answered_with_the_timeline(session: chat.ChatSession) -> None:
    messages, answers, sources, *_ = last(session, "Timeline of the Kestrel Valley dam")
    answer = answers[-1]
    assert answer.answered_by == "timeline"
    dates = [c.date for c in answer.citations]
    assert dates[:5] == ["2024-01-05", "2024-01-05", "2024-01-20", "2024-02-08", "2024-02-08"]
    content = messages[-1]["content"]
    assert "#cite-0-1" in content and "Kestrel dam gets green light" in content  # also in
    assert "<mark" in sources  # the sources panel shows the key sentences
    # A click on a marker opens the article with the quote highlighted.
    _, article = session.open_citation("0-3-1", answers)
    assert "Farmers march against the dam" in article and "<mark" in article


def test_whats_new_starts_after_the_previous_answers_newest_source(
    session: chat.ChatSession,
) -> None:
    _, answers, *_ = last(session, WEEK, until="2024-01-21", answers=None)
    assert max(c.date for c in answers[-1].citations) == "2024-01-20"
    _, answers, *_ = last(session, "What's new about the Kestrel Valley dam?", answers)
    dates = {c.date for c in answers[-1].citations}
    assert dates == {"2024-02-08"}  # after 2024-01-20 only; the copy collapsed into it


def test_the_window_chip_shows_the_questions_dates_and_removes_them(
    session: chat.ChatSession,
) -> None:
    messages, answers, *_ = last(session, WEEK, until="2024-02-10")
    chip = timeline_view.chip_update(answers)
    assert chip.visible is True
    assert chip.value.startswith('✕ searched articles from 2024-02-03 to 2024-02-10 ("last week")')
    assert all(p.date >= "2024-02-03" for p in answers[-1].passages)
    *_, again = session.respond_every_date(messages, answers, 5, "", "2024-02-10")
    messages, answers = again[0], again[1]
    latest = answers[-1]
    assert len(answers) == 2 and latest is not None and latest.question == WEEK
    assert any(p.date < "2024-02-03" for p in latest.passages)  # every date now
    assert timeline_view.chip_update(answers).visible is False


def test_the_timeline_tab_lists_the_topics_articles_and_opens_a_cited_one(
    session: chat.ChatSession,
) -> None:
    handlers = timeline_view.TimelineHandlers(session.assistant)
    listing, shown = handlers.show("the Kestrel Valley dam", "", "")
    assert shown.answered_by == "timeline" and len(shown.citations) >= 5
    assert "4 articles, 2024-01-05 to 2024-02-08" in listing
    events = listing[listing.index("<ol") :]
    assert events.index("2024-01-05") < events.index("2024-01-20") < events.index("2024-02-08")
    assert 'href="#tl-1"' in events and "also in" in events.lower()

    article = handlers.open("3-17", shown)
    third = shown.citations[2]
    assert 'id="rag-focus"' in article and html.escape(third.quote) in article

    between, _ = handlers.show("the Kestrel Valley dam", "2024-01-10", "2024-01-31")
    assert "2024-01-20" in between and "2024-01-05" not in between and "2024-02-08" not in between


def test_the_timeline_tab_reports_a_bad_date_and_ignores_an_empty_topic(
    session: chat.ChatSession,
) -> None:
    handlers = timeline_view.TimelineHandlers(session.assistant)
    listing, shown = handlers.show("the dam", "10/02/2024", "")
    assert "rag-error" in listing and "since" in listing and shown is None
    assert handlers.show("  ", "", "") == (gr.skip(), gr.skip())
    assert handlers.open("nonsense", None) == gr.skip()
