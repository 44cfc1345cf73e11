"""Bad input gets a specific error and changes nothing."""

from __future__ import annotations

import pytest

from rag import Assistant, InputError, NotReadyError


@pytest.mark.parametrize(
    ("kwargs", "message", "field"),
    [
        ({"question": ""}, "question is empty", "question"),
        ({"question": "   \n"}, "question is empty", "question"),
        ({"question": "x" * 2001}, "2001 characters long; the limit is 2000", "question"),
        ({"question": "who \udcff?"}, "question holds an invalid character", "question"),
        ({"question": "ok?", "top_k": 0}, "top_k must be between 1 and 50, got 0", "top_k"),
        ({"question": "ok?", "top_k": 51}, "got 51", "top_k"),
        ({"question": "ok?", "top_k": True}, "got True", "top_k"),
        ({"question": "ok?", "since": "last tuesday"}, "since must be a date", "since"),
        ({"question": "ok?", "until": "2024-02-30"}, "until must be a date", "until"),
        (
            {"question": "ok?", "since": "2024-03-01", "until": "2024-01-01"},
            "is after until",
            "since",
        ),
        (
            {"question": "ok?", "history": [{"role": "bot", "content": "x"}]},
            "history\\[0\\]",
            "history[0]",
        ),
        (
            {"question": "ok?", "history": [{"role": "user", "content": "\ud800"}]},
            "history\\[0\\].content holds an invalid character",
            "history[0].content",
        ),
    ],
)
def test_bad_questions_raise_input_error_naming_the_value(
    seeded_fake_assistant: Assistant, kwargs: dict, message: str, field: str
) -> None:
    before = seeded_fake_assistant.status()
    with pytest.raises(InputError, match=message) as caught:
        seeded_fake_assistant.ask(**kwargs)
    assert caught.value.field == field  # what the HTTP API returns as `param`
    assert str(caught.value).startswith(field.split("[")[0])  # the message is just the message
    assert seeded_fake_assistant.status() == before


def test_asking_before_anything_is_ingested_says_to_ingest(fake_assistant: Assistant) -> None:
    with pytest.raises(NotReadyError, match="rag ingest"):
        fake_assistant.ask("Who is Aron Lund?")


def test_unknown_article_id_is_an_input_error(seeded_fake_assistant: Assistant) -> None:
    with pytest.raises(InputError, match="no article with id 'nope'") as caught:
        seeded_fake_assistant.article("nope")
    assert caught.value.field == "article_id"


def test_an_input_error_without_a_field() -> None:
    error = InputError("something is off")
    assert error.field is None and str(error) == "something is off"
