"""Load a question set: JSONL of `{id, question, answers, type?, date?, evidence?, history?}`.

A dated set (eval/questions/dated.jsonl) adds, for news that changes: `earlier` (an
"update" question's superseded value, any of these strings) and `values` (a "conflict"
question's disagreeing values, one list of strings per value)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rag import InputError, parse_date_arg


@dataclass(frozen=True)
class Question:
    """One question; `answers == ()` means the corpus cannot answer it (abstain)."""

    id: str
    question: str
    answers: tuple[str, ...]
    type: str = "all"
    date: str | None = None
    evidence: str | None = None
    history: tuple[dict[str, str], ...] = ()
    earlier: tuple[str, ...] = ()  # an update's earlier value (type "update")
    values: tuple[tuple[str, ...], ...] = ()  # the values that differ (type "conflict")

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def load_questions(path: Path, limit: int | None = None) -> list[Question]:
    """The questions of `path`, in file order; the first `limit` when given."""
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1, got {limit}", field="limit")
    if not path.is_file():
        raise InputError(f"question file not found: {path}", field="questions")
    questions: list[Question] = []
    seen: set[str] = set()
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: malformed JSON: {exc.msg}") from None
        question = parse_question(record, where)
        if question.id in seen:
            raise InputError(f"{where}: duplicate question id {question.id!r}", field="id")
        seen.add(question.id)
        questions.append(question)
        if limit is not None and len(questions) >= limit:
            break
    if not questions:
        raise InputError(f"no questions in {path}", field="questions")
    return questions


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8",
            field="questions",
        ) from None


def parse_question(record: object, where: str) -> Question:
    if not isinstance(record, dict):
        raise InputError(f"{where}: a question must be a JSON object")
    text, answers = record.get("question"), record.get("answers")
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: missing 'question'", field="question")
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise InputError(
            f"{where}: 'answers' must be a list of strings ([] = unanswerable)", field="answers"
        )
    history = record.get("history") or []
    if not isinstance(history, list) or not all(
        isinstance(t, dict) and t.get("role") in ("user", "assistant") for t in history
    ):
        raise InputError(
            f"{where}: 'history' must be a list of {{role, content}} turns", field="history"
        )
    day = None
    if record.get("date"):
        try:
            day = parse_date_arg(str(record["date"]), f"{where}: 'date'")
        except InputError as exc:
            raise InputError(str(exc), field="date") from None
    earlier, values = record.get("earlier") or [], record.get("values") or []
    if not isinstance(earlier, list) or not all(isinstance(a, str) for a in earlier):
        raise InputError(f"{where}: 'earlier' must be a list of strings", field="earlier")
    if not isinstance(values, list) or not all(
        isinstance(v, list) and all(isinstance(a, str) for a in v) for v in values
    ):
        raise InputError(f"{where}: 'values' must be a list of lists of strings", field="values")
    return Question(
        id=str(record.get("id") or where),
        question=text.strip(),
        answers=tuple(a for a in answers if a.strip()),
        type=str(record.get("type") or "all"),
        date=day.isoformat() if day else None,
        evidence=str(record["evidence"]) if record.get("evidence") else None,
        history=tuple({"role": t["role"], "content": str(t.get("content", ""))} for t in history),
        earlier=tuple(earlier),
        values=tuple(tuple(v) for v in values),
    )
