"""Time phrases of a question become the date window searched; other phrases do not."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rag import Assistant, Settings
from rag.answer.question import QuestionAnalyzer
from rag.settings import RetrievalSettings
from rag.timewindow import (
    TimeMention,
    asks_current_state,
    mention_of_text,
    narrow,
    resolve_window,
)
from tests.fakes import HashingEmbedder
from tests.rag.story import write_story

ASKED = date(2024, 2, 10)  # a Saturday
D = date

WINDOWS = RetrievalSettings(time_windows="hard")  # soft by default: only the window searched


@pytest.fixture(scope="module")
def questions() -> QuestionAnalyzer:
    return QuestionAnalyzer()


def window_of(questions: QuestionAnalyzer, question: str) -> TimeMention | None:
    return resolve_window(questions.parse(question), ASKED, lag_days=7)


@pytest.mark.parametrize(
    ("question", "since", "until"),
    [
        ("What did the Fed decide last week?", D(2024, 2, 3), ASKED),
        ("Which retailer announced this week it is cutting prices?", D(2024, 2, 3), ASKED),
        ("What happened in Gaza yesterday?", D(2024, 2, 9), ASKED),
        ("What did the UN say over the past month?", D(2024, 1, 10), ASKED),
        ("What happened over the past two weeks?", D(2024, 1, 27), ASKED),
        ("What has Apple released since March?", D(2023, 3, 1), ASKED),
        ("What did Biden sign before June 5?", None, D(2023, 6, 4)),
        ("Who won the election in 2022?", D(2022, 1, 1), D(2023, 1, 7)),
        ("What did the council decide in May?", D(2023, 5, 1), D(2023, 6, 7)),
        ("How many targets did the airstrikes hit on Feb. 2?", D(2024, 2, 2), D(2024, 2, 9)),
        ("What happened on January 28?", D(2024, 1, 28), D(2024, 2, 4)),
        ("What did the Fed decide earlier this month?", D(2024, 2, 1), ASKED),
        ("What happened last month?", D(2024, 1, 1), D(2024, 2, 7)),
    ],
)
def test_a_time_phrase_becomes_a_window_relative_to_the_day_asked(
    questions: QuestionAnalyzer, question: str, since: date | None, until: date | None
) -> None:
    window = window_of(questions, question)
    assert window is not None, question
    assert (window.since, window.until) == (since, until)
    assert window.phrase.lower() in question.lower()


@pytest.mark.parametrize(
    "question",
    [
        "Who starred in The Day After Tomorrow?",  # a film title, capitalised
        "What did May say about Brexit?",  # the person, not the month
        "When did Theresa May resign?",
        "Who won the 2022 World Cup?",  # part of an event's name
        "How long did he serve? For 10 years.",  # a duration, no anchor
        "What will the council decide next week?",  # the future: nothing published yet
        "Which singer will launch a Las Vegas residency later this year?",
        "Who runs the bakery?",
    ],
)
def test_a_phrase_that_is_not_a_time_of_the_past_gives_no_window(
    questions: QuestionAnalyzer, question: str
) -> None:
    assert window_of(questions, question) is None


def test_a_window_at_the_ends_of_the_calendar_is_clipped_not_an_error(
    questions: QuestionAnalyzer,
) -> None:
    """A caller's until=9999-12-31 is the day asked: the lag after "yesterday" and the
    day after "after Dec 31" stop at date.max, the day before "before Jan 1" at date.min."""
    yesterday = resolve_window(questions.parse("What happened yesterday?"), date.max)
    assert yesterday is not None and (yesterday.since, yesterday.until) == (
        D(9999, 12, 30),
        date.max,
    )
    after = mention_of_text("after December 31", date.max)
    assert after is not None and (after.since, after.until) == (date.max, date.max)
    before = mention_of_text("before January 1", D(1, 6, 1))
    assert before is not None and before.until == date.min
    # dateparser cannot count back from the calendar's first day: no window, no error
    assert resolve_window(questions.parse("What happened on Tuesday?"), date.min) is None


def test_the_callers_dates_bound_the_window_and_win_when_they_do_not_overlap() -> None:
    week = TimeMention("last week", D(2024, 2, 3), D(2024, 2, 10))
    inside = narrow(week, D(2024, 2, 5), None)
    assert (inside.since, inside.until, inside.phrase) == (
        D(2024, 2, 5),
        D(2024, 2, 10),
        "last week",
    )
    apart = narrow(week, D(2024, 3, 1), D(2024, 3, 31))
    assert (apart.since, apart.until, apart.phrase) == (D(2024, 3, 1), D(2024, 3, 31), None)
    assert apart.note is not None and '"last week"' in apart.note


@pytest.fixture
def story_assistant(tmp_path: Path) -> Assistant:
    assistant = Assistant(
        Settings(home=tmp_path / "home", retrieval=WINDOWS), embedder=HashingEmbedder()
    )
    assistant.ingest([write_story(tmp_path / "story")])
    return assistant


QUESTION = "What happened with the Kestrel Valley dam last week?"


def test_ask_searches_only_the_window_and_says_so(story_assistant: Assistant) -> None:
    answer = story_assistant.ask(QUESTION, until="2024-02-10", top_k=10)
    assert answer.passages
    assert all("2024-02-03" <= p.date <= "2024-02-10" for p in answer.passages)
    assert answer.window is not None
    assert (answer.window.since, answer.window.until) == ("2024-02-03", "2024-02-10")
    data = answer.to_dict()["window"]
    assert data["phrase"] == "last week"
    assert data["text"] == 'searched articles from 2024-02-03 to 2024-02-10 ("last week")'


def test_the_window_can_be_turned_off_per_question_and_in_the_settings(
    story_assistant: Assistant, tmp_path: Path
) -> None:
    off = story_assistant.ask(QUESTION, until="2024-02-10", top_k=10, time_window=False)
    assert any(p.date < "2024-02-03" for p in off.passages)  # the January articles too
    assert off.window is not None and off.window.phrase is None  # only the caller's until
    assert off.window.until == "2024-02-10" and off.window.since is None
    default = Settings(home=story_assistant.settings.home)
    assert default.retrieval.time_windows == "soft"
    unset = Assistant(default, embedder=HashingEmbedder())
    assert unset.ask(QUESTION, until="2024-02-10", top_k=10, time_window=False).window == off.window
    assert Settings(retrieval={"time_windows": "off"}).retrieval.time_windows == "off"


def test_a_soft_window_raises_its_articles_and_lowers_the_others_by_distance(
    story_assistant: Assistant,
) -> None:
    settings = Settings(home=story_assistant.settings.home, retrieval={"recency": "off"})
    soft = Assistant(settings, embedder=HashingEmbedder())
    answer = soft.ask(QUESTION, until="2024-02-10", top_k=10)
    plain = soft.ask(QUESTION, until="2024-02-10", top_k=10, time_window=False)
    assert {p.date for p in answer.passages} == {p.date for p in plain.passages}  # none dropped
    gain = {
        p.date: p.score / q.score
        for p in answer.passages
        for q in plain.passages
        if p.chunk_id == q.chunk_id
    }
    assert gain["2024-02-08"] == pytest.approx(1.5)  # inside: the full boost
    assert 1.0 < gain["2024-01-05"] < gain["2024-01-20"] < 1.5  # 29 and 14 days outside
    assert answer.window is not None and answer.window.soft and answer.window.phrase == "last week"
    assert answer.to_dict()["window"]["text"] == (
        'preferred articles from 2024-02-03 to 2024-02-10 ("last week")'
    )


@pytest.mark.parametrize(
    ("question", "current"),
    [
        ("How many people have died in the Varnholt floods?", True),
        ("Who leads the party now?", True),
        ("What is the latest death toll?", True),
        ("Who is the chief executive of Halsgrove Water?", True),
        ("Who won the Saltwick by-election?", False),
        ("What did the minister say about the budget?", False),
        ("Which company cut ties with the player?", False),
    ],
)
def test_a_question_about_a_current_state_is_told_from_one_about_an_event(
    questions: QuestionAnalyzer, question: str, current: bool
) -> None:
    assert asks_current_state(questions.parse(question)) is current


@pytest.mark.parametrize(
    ("recency", "question", "boosted"),
    [
        ("dated", "What did the council decide about the Kestrel Valley dam?", True),
        ("current", "What did the council decide about the Kestrel Valley dam?", False),
        ("current", "What is the state of the Kestrel Valley dam now?", True),
        ("off", "What is the state of the Kestrel Valley dam now?", False),
    ],
)
def test_recency_ranks_the_newest_articles_higher_for_the_questions_it_is_set_for(
    story_assistant: Assistant, recency: str, question: str, boosted: bool
) -> None:
    def scores(mode: str) -> dict[str, float]:
        settings = Settings(home=story_assistant.settings.home, retrieval={"recency": mode})
        assistant = Assistant(settings, embedder=HashingEmbedder())
        return {p.chunk_id: p.score for p in assistant.search(question, until="2024-02-10")}

    plain, ranked = scores("off"), scores(recency)
    gains = {chunk: ranked[chunk] / plain[chunk] for chunk in ranked if chunk in plain}
    assert gains
    assert all(g > 1.0 for g in gains.values()) is boosted


@pytest.mark.parametrize("until", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("mode", ["soft", "hard"])
def test_a_time_phrase_at_the_ends_of_the_calendar_is_answered(
    story_assistant: Assistant, until: str, mode: str
) -> None:
    settings = Settings(home=story_assistant.settings.home, retrieval={"time_windows": mode})
    assistant = Assistant(settings, embedder=HashingEmbedder())
    for question in ("What happened with the Kestrel Valley dam yesterday?", QUESTION):
        answer = assistant.ask(question, until=until)  # no OverflowError
        assert answer.question == question


@pytest.mark.parametrize(("setting", "mode"), [("true", "hard"), ("false", "off"), (True, "hard")])
def test_the_old_boolean_setting_still_reads(setting: object, mode: str) -> None:
    assert Settings(retrieval={"time_windows": setting}).retrieval.time_windows == mode


def test_a_window_without_articles_falls_back_to_the_callers_dates_with_a_note(
    story_assistant: Assistant,
) -> None:
    answer = story_assistant.ask("What happened with the Kestrel Valley dam in 2019?")
    assert answer.passages  # not an empty answer because of the phrase
    assert answer.window is None  # every date was searched
    assert any("2019" in note and "searched without it" in note for note in answer.notes)


def test_a_soft_window_no_passage_falls_in_is_not_shown_and_a_note_says_why(
    story_assistant: Assistant,
) -> None:
    soft = Assistant(Settings(home=story_assistant.settings.home), embedder=HashingEmbedder())
    answer = soft.ask("What happened with the Kestrel Valley dam in 2019?")
    assert answer.passages and answer.window is None
    assert any("2019" in note and "ranked without it" in note for note in answer.notes)


def test_search_applies_the_same_window(story_assistant: Assistant) -> None:
    passages = story_assistant.search(QUESTION, until="2024-02-10", top_k=10)
    assert passages and all(p.date >= "2024-02-03" for p in passages)
