"""The answerer role: `answer(question, passages, history, asked_on=) -> Answer`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol, runtime_checkable

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


@runtime_checkable
class FollowUpCondenser(Protocol):
    """An answerer that can also rewrite a follow-up into a standalone search query."""

    def condense(self, question: str, history: Sequence[Turn]) -> str: ...


def abstention_text(question: str) -> str:
    return f"The corpus does not say. No passage answers: “{question.strip()}”"
