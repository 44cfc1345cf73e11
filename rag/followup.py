"""Follow-up questions: fold the conversation into the retrieval query.

"What did he say about the strikes?" after a question about Aron Lund must find
Lund's passages: a question that leans on earlier turns (a pronoun, "and ...",
"what about ...") is searched together with the last user question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from rag.types import Turn

_LEANS_ON_CONTEXT = re.compile(
    r"\b(he|she|him|his|her|hers|they|them|their|it|its|this|that|these|those|there|"
    r"the same|also|else|then)\b|^\s*(and|but|what about|how about|why)\b",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    return bool(_LEANS_ON_CONTEXT.search(question)) or len(question.split()) <= 3


def retrieval_query(question: str, history: Sequence[Turn]) -> str:
    previous = [t.content for t in history if t.role == "user" and t.content.strip()]
    if not previous or not is_follow_up(question):
        return question
    return f"{previous[-1]} {question}"


class QueryRewriter(Protocol):
    """Turns a question and the conversation before it into the query to search for."""

    def rewrite(self, question: str, history: Sequence[Turn]) -> str: ...


class RuleRewriter:
    """`retrieval_query`: a follow-up is searched together with the last user question."""

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        return retrieval_query(question, history)
