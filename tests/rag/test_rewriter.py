"""Follow-ups are searched as the configured `QueryRewriter` rewrites them."""

from __future__ import annotations

from collections.abc import Sequence

from rag import Assistant, Passage, Turn
from rag.followup import RuleRewriter
from rag.retrieval.base import DateFilter

HISTORY = [Turn("user", "Who is Aron Lund?"), Turn("assistant", "A fellow at Century.")]


class Recording:
    def __init__(self) -> None:
        self.queries: list[str] = []
        self.rewritten: list[tuple[str, int]] = []

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        self.rewritten.append((question, len(history)))
        return "standalone query"

    def retrieve(self, query: str, top_k: int, filters: DateFilter | None = None) -> list[Passage]:
        self.queries.append(query)
        return []


def test_a_follow_up_is_searched_as_the_rewriter_says_and_a_first_question_as_asked(
    seeded_fake_assistant: Assistant,
) -> None:
    spy = Recording()
    assistant = Assistant(
        seeded_fake_assistant.settings,
        embedder=seeded_fake_assistant.index.embedder,
        retriever=spy,
        rewriter=spy,
    )
    assistant.search("What did he say?", history=HISTORY)
    assistant.search("Who is Joel Wing?")
    assert spy.rewritten == [("What did he say?", 2)]
    assert spy.queries == ["standalone query", "Who is Joel Wing?"]


def test_the_rule_rewriter_joins_a_follow_up_to_the_last_user_question() -> None:
    rules = RuleRewriter()
    assert rules.rewrite("What did he say?", HISTORY) == "Who is Aron Lund? What did he say?"
    assert rules.rewrite("Who is Joel Wing, the blogger?", HISTORY) == (
        "Who is Joel Wing, the blogger?"
    )
