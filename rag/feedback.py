"""Feedback that becomes evaluation: a user's verdict on an answer, stored durably in the
catalog with everything that produced it, and exported as a question set `rag eval` reads.

>>> answer = assistant.ask("Who is Aron Lund?")  # doctest: +SKIP
>>> assistant.feedback(answer.answer_id, "down", correct_answer="a fellow")  # doctest: +SKIP
>>> questions = assistant.feedback_questions()  # doctest: +SKIP

Recent answers are kept in memory (`AnswerLog`, the last `ANSWERS_KEPT`) under their
`answer_id`; feedback copies the answer, its citations, the conversation, the request,
the settings and the index state into its record, so the record stands on its own.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from rag.errors import InputError
from rag.types import Answer, Turn

ANSWERS_KEPT = 2000
MAX_TEXT = 5000
Rating = Literal["up", "down"]


@dataclass(frozen=True)
class Asked:
    """An answer with what produced it, as `Assistant.ask` returned it."""

    answer: Answer
    history: tuple[Turn, ...]
    request: dict[str, Any]  # top_k, since, until as given
    asked_at: str


class AnswerLog:
    """The last `size` answers by id (a server's memory of what it said)."""

    def __init__(self, size: int = ANSWERS_KEPT) -> None:
        self._size = size
        self._answers: OrderedDict[str, Asked] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, asked: Asked) -> None:
        with self._lock:
            self._answers[asked.answer.answer_id] = asked
            while len(self._answers) > self._size:
                self._answers.popitem(last=False)

    def get(self, answer_id: str) -> Asked | None:
        with self._lock:
            return self._answers.get(answer_id)


def new_answer_id() -> str:
    return f"ans-{uuid.uuid4().hex[:20]}"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Feedback:
    """What `Assistant.feedback` stored: `rating` up or down, an optional `comment`,
    an optional `correct_answer`, and `no_answer` when the archive has none."""

    id: str
    answer_id: str
    rating: str
    comment: str
    correct_answer: str
    no_answer: bool
    created: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check(
    answer_id: object, rating: object, comment: object, correct: object, no_answer: object
) -> tuple[str, Rating, str, str, bool]:
    """The arguments of `Assistant.feedback`, checked; `InputError` naming the field."""
    if not isinstance(answer_id, str) or not answer_id.strip():
        raise InputError("answer_id is empty: give the id an answer came with", field="answer_id")
    if rating not in ("up", "down"):
        raise InputError(f"rating must be 'up' or 'down', got {rating!r}", field="rating")
    texts: list[str] = []
    for name, value in (("comment", comment), ("correct_answer", correct)):
        if value is None:
            value = ""
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise InputError(f"{name} must be text of at most {MAX_TEXT} characters", field=name)
        texts.append(value.strip())
    if not isinstance(no_answer, bool):
        raise InputError(f"no_answer must be true or false, got {no_answer!r}", field="no_answer")
    if no_answer and texts[1]:
        raise InputError(
            "give either correct_answer or no_answer (the archive has no answer), not both",
            field="no_answer",
        )
    if rating == "up" and (texts[1] or no_answer):
        raise InputError(
            "a correction (correct_answer or no_answer) goes with rating 'down'", field="rating"
        )
    return answer_id.strip(), rating, texts[0], texts[1], no_answer


def record(
    asked: Asked, feedback: Feedback, settings: dict[str, Any], index: dict[str, Any]
) -> dict[str, Any]:
    """The stored record: the feedback, and everything that produced the answer."""
    return {
        **feedback.to_dict(),
        "question": asked.answer.question,
        "answer": asked.answer.to_dict(),
        "history": [asdict(turn) for turn in asked.history],
        "request": asked.request,
        "asked_at": asked.asked_at,
        "settings": settings,
        "index": index,
    }


def gold(item: dict[str, Any]) -> list[str] | None:
    """The answers `rag eval` should expect, or None when the feedback gives none: a
    correction is the gold answer; "no answer in the archive" is `[]`; a confirmed
    answer keeps its short answer (or, lacking one, its abstention or its first quote)."""
    answer = item["answer"]
    if item["rating"] == "down":
        if item["no_answer"]:
            return []
        return [item["correct_answer"]] if item["correct_answer"] else None
    if answer.get("abstained"):
        return []
    if answer.get("short_answer"):
        return [answer["short_answer"]["text"]]
    citations = answer.get("citations") or []
    return [citations[0]["quote"]] if citations else None


def questions(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The question set (`eval/questions` JSONL records) the feedback makes; the latest
    verdict on an answer wins, and feedback without a gold answer is left out."""
    latest: dict[str, dict[str, Any]] = {}
    for item in items:
        latest[item["answer_id"]] = item
    out: list[dict[str, Any]] = []
    for item in latest.values():
        answers = gold(item)
        if answers is None:
            continue
        entry: dict[str, Any] = {
            "id": f"feedback-{item['id']}",
            "question": item["question"],
            "answers": answers,
            "type": "feedback-" + ("confirmed" if item["rating"] == "up" else "corrected"),
        }
        if item["request"].get("until"):
            entry["date"] = item["request"]["until"]
        if item["history"]:
            entry["history"] = item["history"]
        out.append(entry)
    return out


def stats(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    exported = questions(items)
    ratings = Counter(item["rating"] for item in items)
    return {
        "feedback": len(items),
        "answers": len({item["answer_id"] for item in items}),
        "up": ratings["up"],
        "down": ratings["down"],
        "corrected": sum(1 for i in items if i["correct_answer"]),
        "no_answer": sum(1 for i in items if i["no_answer"]),
        "with_comment": sum(1 for i in items if i["comment"]),
        "exportable": len(exported),
        "abstaining_gold": sum(1 for q in exported if not q["answers"]),
    }
