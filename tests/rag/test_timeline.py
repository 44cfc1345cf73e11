"""Timelines: a topic's articles in date order, key sentences as exact citations, copies
of one story collapsed; "what's new" since a day, newest first; which questions route there."""

from __future__ import annotations

from datetime import date

import pytest

from rag import Assistant, InputError, Settings
from rag.timeline import Timeline, route
from tests.fakes import HashingEmbedder
from tests.rag.story import write_story

TOPIC = "Kestrel Valley dam"


@pytest.fixture(scope="module")
def story_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("timeline")
    assistant = Assistant(Settings(home=root / "home"), embedder=HashingEmbedder())
    assistant.ingest([write_story(root / "story")])
    return assistant


def titles(timeline: Timeline) -> list[str]:
    return [e.title for e in timeline.entries]


def test_a_timeline_lists_the_topics_articles_in_date_order_undated_last(
    story_assistant: Assistant,
) -> None:
    timeline = story_assistant.timeline(TOPIC)
    assert titles(timeline) == [
        "Kestrel Valley dam plan unveiled",
        "Farmers march against the dam",
        "Council approves the Kestrel Valley dam",
        "A history of the valley",  # undated: after the dated ones, not dropped
    ]
    assert [e.date for e in timeline.entries] == ["2024-01-05", "2024-01-20", "2024-02-08", ""]
    assert timeline.date_range == ("2024-01-05", "2024-02-08")
    assert "Harbour ferry strike ends" not in titles(timeline)  # does not name the topic


def test_every_key_sentence_is_a_checkable_citation_of_its_article(
    story_assistant: Assistant,
) -> None:
    timeline = story_assistant.timeline(TOPIC)
    citations = timeline.citations
    assert [c.n for c in citations] == list(range(1, len(citations) + 1))
    for entry in timeline.entries:
        assert 1 <= len(entry.sentences) <= 2
        article = story_assistant.article(entry.article_id)
        for c in entry.sentences:
            assert article.text[c.start : c.end] == c.quote
            assert c.date == entry.date == article.date
            assert "Kestrel Valley dam" in c.quote
            assert not c.quote.startswith("#")  # the heading line is the title, not a quote


def test_copies_of_one_story_are_one_entry_listing_the_others(
    story_assistant: Assistant,
) -> None:
    timeline = story_assistant.timeline(TOPIC)
    vote = next(e for e in timeline.entries if e.date == "2024-02-08")
    assert [(r.title, r.date) for r in vote.also_in] == [
        ("Kestrel dam gets green light", "2024-02-09")
    ]
    assert "Kestrel dam gets green light" not in titles(timeline)
    assert "also in: Kestrel dam gets green light 2024-02-09" in timeline.text


def test_whats_new_keeps_articles_since_the_day_newest_first(story_assistant: Assistant) -> None:
    timeline = story_assistant.timeline(TOPIC, since="2024-01-10", newest_first=True)
    assert [e.date for e in timeline.entries] == ["2024-02-08", "2024-01-20"]
    assert timeline.entries[0].also_in  # the copy is still collapsed into the earliest
    assert timeline.window is not None and timeline.window.since == "2024-01-10"
    assert timeline.to_dict()["window"]["text"] == "searched articles from 2024-01-10 on"


def test_the_cap_says_how_many_articles_it_left_out(story_assistant: Assistant) -> None:
    timeline = story_assistant.timeline(TOPIC, limit=2)
    assert len(timeline.entries) == 2
    assert timeline.left_out == 2
    data = timeline.to_dict()
    assert data["left_out"] == 2 and len(data["entries"]) == 2
    assert data["entries"][0]["sentences"][0]["quote"] == timeline.entries[0].sentences[0].quote


def test_a_topic_the_corpus_lacks_gives_an_empty_timeline(story_assistant: Assistant) -> None:
    timeline = story_assistant.timeline("Zanzibar clove harvest")
    assert timeline.entries == ()
    assert "no articles" in timeline.text
    assert timeline.as_answer("timeline of Zanzibar clove harvest").abstained


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"topic": "  "}, "topic"),
        ({"topic": "x" * 2001}, "topic"),
        ({"topic": TOPIC, "limit": 0}, "limit"),
        ({"topic": TOPIC, "limit": 51}, "limit"),
        ({"topic": TOPIC, "since": "soon"}, "since"),
    ],
)
def test_bad_timeline_input_names_the_field(
    story_assistant: Assistant, kwargs: dict, field: str
) -> None:
    with pytest.raises(InputError) as error:
        story_assistant.timeline(**kwargs)
    assert error.value.field == field


ASKED = date(2024, 2, 10)


@pytest.mark.parametrize(
    ("question", "topic", "newest_first", "since"),
    [
        ("What happened with the Kestrel Valley dam?", "the Kestrel Valley dam", False, None),
        ("what happened to Kataib Hezbollah", "Kataib Hezbollah", False, None),
        ("Timeline of Kataib Hezbollah", "Kataib Hezbollah", False, None),
        ("Show me a timeline of the ferry strike.", "the ferry strike", False, None),
        ("What's new about the dam?", "the dam", True, None),
        ("What's new about the dam since January 15?", "the dam", True, date(2024, 1, 15)),
        ("What is new with the dam since last week?", "the dam", True, date(2024, 2, 3)),
        ("What happened with the dam last week?", "the dam", False, date(2024, 2, 3)),
        ("Timeline of the dam in 2023", "the dam", False, date(2023, 1, 1)),
        ("What happened with Theresa May?", "Theresa May", False, None),
        ("What happened to the 2022 World Cup?", "the 2022 World Cup", False, None),
    ],
)
def test_timeline_questions_route_to_a_timeline(
    question: str, topic: str, newest_first: bool, since: date | None
) -> None:
    query = route(question, ASKED)
    assert query is not None
    assert (query.topic, query.newest_first, query.since) == (topic, newest_first, since)


@pytest.mark.parametrize(
    "question",
    ["Who runs the bakery?", "What happened on January 28?", "Is there a timeline for the vote?"],
)
def test_other_questions_are_not_routed(question: str) -> None:
    assert route(question, ASKED) is None


def test_a_whats_new_since_that_is_no_date_is_an_input_error() -> None:
    with pytest.raises(InputError) as error:
        route("What's new about the dam since the flood?", ASKED)
    assert error.value.field == "question"
