"""Loading question sets, including the project's own seeds.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.questions import load_questions
from rag import InputError
from tests.conftest import ROOT, SEED_ARTICLE

SEED_QUESTIONS = ROOT / "eval" / "questions" / "seeds.jsonl"


def _write(tmp_path: Path, *records: object) -> Path:
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


def test_load_questions_reads_every_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "id": "a",
            "question": "Who?",
            "answers": ["X"],
            "type": "factual",
            "date": "2024-02-10",
            "evidence": "X did it",
            "history": [{"role": "user", "content": "hi"}],
        },
        {"id": "b", "question": "Where?", "answers": []},
    )
    first, second = load_questions(path)
    assert (first.id, first.answers, first.type, first.date) == (
        "a",
        ("X",),
        "factual",
        "2024-02-10",
    )
    assert first.evidence == "X did it" and first.history == ({"role": "user", "content": "hi"},)
    assert second.type == "all" and not second.answerable
    assert len(load_questions(path, limit=1)) == 1


@pytest.mark.parametrize(
    ("record", "message", "field"),
    [
        ({"id": "a", "answers": []}, "missing 'question'", "question"),
        ({"id": "a", "question": "Q"}, "'answers' must be a list", "answers"),
        (
            {"id": "a", "question": "Q", "answers": [], "history": [{"role": "x"}]},
            "history",
            "history",
        ),
        ({"id": "a", "question": "Q", "answers": [], "date": "June 10"}, "'date'", "date"),
    ],
)
def test_load_questions_names_the_bad_line_and_field(
    tmp_path: Path, record: dict, message: str, field: str
) -> None:
    path = _write(tmp_path, record)
    with pytest.raises(InputError, match=message) as caught:
        load_questions(path)
    assert "q.jsonl:1" in str(caught.value)
    assert caught.value.field == field


def test_a_file_that_is_not_utf8_is_an_input_error_naming_the_file_and_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "q.jsonl"
    good = json.dumps({"id": "a", "question": "Q", "answers": []})
    path.write_bytes(f"{good}\n".encode() + '{"id": "b", "question": "café?"}'.encode("latin-1"))
    with pytest.raises(InputError, match=r"q.jsonl:2: not UTF-8 text \(byte 0xe9\)") as caught:
        load_questions(path)
    assert caught.value.field == "questions"


def test_load_questions_rejects_duplicates_missing_files_and_bad_limits(tmp_path: Path) -> None:
    record = {"id": "a", "question": "Q", "answers": []}
    with pytest.raises(InputError, match="duplicate") as caught:
        load_questions(_write(tmp_path, record, record))
    assert caught.value.field == "id"
    with pytest.raises(InputError, match="not found"):
        load_questions(tmp_path / "nope.jsonl")
    with pytest.raises(InputError, match="limit must be at least 1, got 0") as caught:
        load_questions(_write(tmp_path, record), limit=0)
    assert caught.value.field == "limit"


def test_seed_questions_cover_what_the_issue_asks_for() -> None:
    questions = load_questions(SEED_QUESTIONS)
    assert len(questions) >= 40
    assert sum(not q.answerable for q in questions) >= 8
    assert sum(bool(q.history) for q in questions) >= 5
    types = {q.type for q in questions}
    assert {"factual", "paraphrase", "why-how", "number-date", "two-sentence"} <= types


def test_seed_evidence_is_verbatim_article_text() -> None:
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    for question in load_questions(SEED_QUESTIONS):
        if question.evidence:
            assert question.evidence in text, question.id


def test_question_dates_are_checked_at_load_naming_the_line_and_accept_the_loaders_forms(
    tmp_path: Path,
) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"question": "a?", "answers": ["x"], "date": "2022/06/10"}\n'
        '{"question": "b?", "answers": ["y"], "date": "10.06.2022"}\n'
    )
    with pytest.raises(InputError, match=r"q.jsonl:2: 'date' must be a date like"):
        load_questions(path)
    path.write_text('{"question": "a?", "answers": ["x"], "date": "2022/06/10"}\n')
    (question,) = load_questions(path)
    assert question.date == "2022-06-10"
