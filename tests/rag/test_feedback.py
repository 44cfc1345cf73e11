"""Feedback on answers: stored in the catalog with what produced the answer, exported as
a question set that `rag eval`'s loader reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.questions import load_questions
from rag import Assistant, InputError, Settings
from tests.fakes import HashingEmbedder

QUESTION = "How many targets did U.S. airstrikes hit on Feb. 2?"


def test_feedback_is_stored_durably_with_what_produced_the_answer(
    seeded_fake_assistant: Assistant,
) -> None:
    answer = seeded_fake_assistant.ask(QUESTION, until="2024-02-11", top_k=3)
    assert answer.answer_id.startswith("ans-")
    given = seeded_fake_assistant.feedback(answer.answer_id, "up", comment="spot on")

    # Another process (a fresh assistant on the same home) reads it back.
    again = Assistant(
        Settings(home=seeded_fake_assistant.settings.home), embedder=HashingEmbedder()
    )
    [stored] = again.index.catalog.feedback()
    assert stored["id"] == given.id and stored["rating"] == "up"
    assert stored["comment"] == "spot on" and stored["question"] == QUESTION
    assert stored["answer"]["answer"] == answer.text
    assert stored["answer"]["citations"] == [c.to_dict() for c in answer.citations]
    assert stored["request"] == {"top_k": 3, "since": None, "until": "2024-02-11"}
    assert stored["settings"]["retrieval"]["top_k"] == 5 and "api_key" not in stored["settings"]
    assert stored["index"]["articles"] == 1 and stored["index"]["generation"] >= 1


def test_export_turns_verdicts_into_gold_answers(
    seeded_fake_assistant: Assistant, tmp_path: Path
) -> None:
    helper = seeded_fake_assistant
    confirmed = helper.ask(QUESTION)
    corrected = helper.ask("Who is Aron Lund?")
    nothing = helper.ask("What did the mayor of Elmsby say?")
    follow = helper.ask("And how many on Feb. 3?", history=[{"role": "user", "content": QUESTION}])
    helper.feedback(confirmed.answer_id, "up")
    helper.feedback(
        corrected.answer_id, "down", correct_answer="a fellow at the Century Foundation"
    )
    helper.feedback(nothing.answer_id, "down", no_answer=True)
    helper.feedback(follow.answer_id, "down", comment="wrong, but I do not know the answer")

    records = helper.feedback_questions()
    by_question = {r["question"]: r for r in records}
    assert confirmed.short_answer is not None
    assert by_question[QUESTION]["answers"] == [confirmed.short_answer.text]
    assert by_question["Who is Aron Lund?"]["answers"] == ["a fellow at the Century Foundation"]
    assert by_question["What did the mayor of Elmsby say?"]["answers"] == []
    assert "And how many on Feb. 3?" not in by_question  # no gold answer: left out
    stats = helper.feedback_stats()
    assert stats["feedback"] == 4 and stats["up"] == 1 and stats["down"] == 3
    assert stats["exportable"] == 3 and stats["abstaining_gold"] == 1

    path = tmp_path / "feedback.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    loaded = load_questions(path)
    assert [q.question for q in loaded] == [r["question"] for r in records]
    assert [q.answerable for q in loaded] == [True, True, False]


def test_the_latest_verdict_on_an_answer_wins(seeded_fake_assistant: Assistant) -> None:
    answer = seeded_fake_assistant.ask(QUESTION)
    seeded_fake_assistant.feedback(answer.answer_id, "up")
    seeded_fake_assistant.feedback(answer.answer_id, "down", correct_answer="86 targets")
    [record] = seeded_fake_assistant.feedback_questions()
    assert record["answers"] == ["86 targets"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"answer_id": "ans-unknown"}, "answer_id"),
        ({"answer_id": ""}, "answer_id"),
        ({"rating": "meh"}, "rating"),
        ({"comment": "x" * 5001}, "comment"),
        ({"rating": "up", "correct_answer": "85"}, "rating"),
        ({"correct_answer": "85", "no_answer": True}, "no_answer"),
    ],
)
def test_bad_feedback_names_its_field_and_stores_nothing(
    seeded_fake_assistant: Assistant, kwargs: dict[str, object], field: str
) -> None:
    answer = seeded_fake_assistant.ask(QUESTION)
    arguments: dict[str, object] = {"answer_id": answer.answer_id, "rating": "down", **kwargs}
    with pytest.raises(InputError) as caught:
        seeded_fake_assistant.feedback(**arguments)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert seeded_fake_assistant.index.catalog.feedback() == []
