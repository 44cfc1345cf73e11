"""The pipelines under test, each turned into one `Run` record per question.

`AssistantPipeline` drives `rag.Assistant` (ours, and the BM25-only and dense-only
baselines, which are the same assistant with another retrieval mode); the textbook
llama-index baseline lives in `eval.textbook`. The harness only sees `Run`s.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from eval.questions import Question
from rag import Answer, Assistant, InputError, Passage

RETRIEVAL_DEPTH = 10  # passages fetched for hit@10 / MRR@10, whatever k answers use


@dataclass(frozen=True)
class Run:
    """What one pipeline did with one question."""

    answer: str
    abstained: bool
    ranked: tuple[str, ...]  # passage texts, best first, up to RETRIEVAL_DEPTH
    passages_at_k: int  # how many of `ranked` the answer was drawn from
    quotes: tuple[str, ...] = ()
    citations_valid: tuple[bool, ...] = ()  # article text[start:end] == quote, per citation
    latency_ms: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)  # the pipeline's own JSON record
    short_answers: bool = False  # the pipeline gives short answers (scored when it does)
    short_answer: str | None = None  # this answer's short answer, if any


class Pipeline(Protocol):
    name: str

    def run(self, question: Question, top_k: int) -> Run: ...


class AssistantPipeline:
    """`Assistant.ask` with the question's `date` as `until` and its `history`.

    >>> AssistantPipeline("bm25", Assistant(settings)).run(question, top_k=5)  # doctest: +SKIP
    """

    def __init__(self, name: str, assistant: Assistant) -> None:
        self.name = name
        self.assistant = assistant
        self._article_text: dict[str, str] = {}

    def warm_up(self) -> None:
        """Load the model, open the indexes and take the dated path once, so the first
        question's latency is a warm one."""
        self.assistant.ask("warm up", until=date.today())

    def run(self, question: Question, top_k: int) -> Run:
        started = time.perf_counter()
        answer = self._ask(question, top_k)
        latency = (time.perf_counter() - started) * 1000
        deep = answer.passages if top_k >= RETRIEVAL_DEPTH else self._search(question)
        return Run(
            answer=answer.text,
            abstained=answer.abstained,
            ranked=tuple(p.text for p in deep),
            passages_at_k=len(answer.passages),
            quotes=tuple(c.quote for c in answer.citations),
            citations_valid=tuple(
                self._valid(c.article_id, c.start, c.end, c.quote) for c in answer.citations
            ),
            latency_ms=latency,
            detail=answer.to_dict(),
            short_answers=True,
            short_answer=answer.short_answer.text if answer.short_answer else None,
        )

    def _search(self, question: Question) -> list[Passage]:
        """Retrieval alone, deeper than the answer read, for hit@10 and MRR@10."""
        return self.assistant.search(
            question.question,
            top_k=RETRIEVAL_DEPTH,
            until=question.date,
            history=list(question.history),
        )

    def _ask(self, question: Question, top_k: int) -> Answer:
        return self.assistant.ask(
            question.question, top_k=top_k, until=question.date, history=list(question.history)
        )

    def _valid(self, article_id: str, start: int, end: int, quote: str) -> bool:
        if article_id not in self._article_text:
            try:
                self._article_text[article_id] = self.assistant.article(article_id).text
            except InputError:  # a citation of an article the index does not hold
                return False
        return self._article_text[article_id][start:end] == quote
