"""The answerer role: `answer(question, passages, history, asked_on=) -> Answer`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from rag.types import Answer, Passage, Turn


class Answerer(Protocol):
    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        history: Sequence[Turn] = (),
        *,
        asked_on: date | None = None,  # the day the question is asked, when known
    ) -> Answer: ...


def abstention_text(question: str) -> str:
    return f"The corpus does not say. No passage answers: “{question.strip()}”"
