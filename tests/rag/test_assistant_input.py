"""Bad input gets a specific error and changes nothing."""

from __future__ import annotations

import pytest

from rag import Assistant, InputError, NotReadyError


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"question": ""}, "question is empty"),
        ({"question": "   \n"}, "question is empty"),
        ({"question": "x" * 2001}, "2001 characters long; the limit is 2000"),
        ({"question": "ok?", "top_k": 0}, "top_k must be between 1 and 50, got 0"),
        ({"question": "ok?", "top_k": 51}, "got 51"),
        ({"question": "ok?", "since": "last tuesday"}, "since must be a date"),
        ({"question": "ok?", "until": "2024-02-30"}, "until must be a date"),
        ({"question": "ok?", "since": "2024-03-01", "until": "2024-01-01"}, "is after until"),
        ({"question": "ok?", "history": [{"role": "bot", "content": "x"}]}, "history\\[0\\]"),
    ],
)
def test_bad_questions_raise_input_error_naming_the_value(
    seeded_fake_assistant: Assistant, kwargs: dict, message: str
) -> None:
    before = seeded_fake_assistant.status()
    with pytest.raises(InputError, match=message):
        seeded_fake_assistant.ask(**kwargs)
    assert seeded_fake_assistant.status() == before


def test_asking_before_anything_is_ingested_says_to_ingest(fake_assistant: Assistant) -> None:
    with pytest.raises(NotReadyError, match="rag ingest"):
        fake_assistant.ask("Who is Aron Lund?")


def test_unknown_article_id_is_an_input_error(seeded_fake_assistant: Assistant) -> None:
    with pytest.raises(InputError, match="no article with id 'nope'"):
        seeded_fake_assistant.article("nope")
