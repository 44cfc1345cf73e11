"""The optional LLM answerer: a fluent answer from the passages, checked before it is shown.

Any llama-index LLM class answers (`llm.provider`, `rag.llm_providers`): by default
an OpenAI-compatible endpoint (vLLM, llama.cpp server, hosted APIs) through
llama-index's `OpenAILike`. The model writes sentences with `[n]` markers;
`Grounder` then keeps only the sentences a passage supports and cites the supporting
span itself, so the model can neither invent a citation nor a claim. When the model
fails, times out or writes nothing that survives the check, the fallback (extractive)
answer is returned with a note saying why.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from functools import cached_property
from typing import Any

from index.keyword import Analyzer
from rag.answer.base import Answerer, abstention_text
from rag.answer.grounding import CheckedClaim, Grounder
from rag.followup import retrieval_query
from rag.llm_providers import ProviderUnavailable, build_llm
from rag.settings import MAX_QUESTION_CHARS, LLMSettings
from rag.types import Answer, Citation, Passage, Turn

logger = logging.getLogger(__name__)

NO_ANSWER = "NO_ANSWER"
MAX_HISTORY_TURNS = 6
MAX_TURN_CHARS = 600
# After a timeout or a refused connection, answer without the LLM for this long rather
# than make every question (and its follow-up condensing) wait for it again.
COOL_DOWN_S = 30.0

ANSWER_SYSTEM_PROMPT = f"""\
You answer questions about news articles using only the numbered passages you are given.
Write one to four short sentences. End every sentence with the number of the passage that
states it, like [2]. State only what the passages say; add no outside knowledge.
If the passages do not answer the question, reply with exactly {NO_ANSWER}."""

CONDENSE_SYSTEM_PROMPT = """\
Rewrite the user's last question as one standalone question that can be understood without
the conversation: replace pronouns and references with the names they stand for.
Reply with the question only."""


class LLMUnusable(Exception):
    """The model answered, but with nothing that can be shown."""


class LLMAnswerer:
    """Answer with an LLM, keeping only sentences the passages support.

    >>> settings = LLMSettings(base_url="http://127.0.0.1:8080/v1")
    >>> answerer = LLMAnswerer(settings, fallback=extractive)  # doctest: +SKIP
    >>> answer = answerer.answer("Who is Aron Lund?", passages)  # doctest: +SKIP
    >>> answer.answered_by, answer.notes  # ("llm", ()) or ("extractive", ("llm failed: ...",))
    """

    def __init__(
        self,
        settings: LLMSettings,
        *,
        fallback: Answerer,
        analyzer: Analyzer | None = None,
        idf: Callable[[str], float] | None = None,
        llm: Any = None,
    ) -> None:
        self._settings = settings
        self._fallback = fallback
        self._grounder = Grounder(analyzer or Analyzer(), idf or (lambda term: 1.0))
        self._down: tuple[float, str] | None = None  # (until, why): the endpoint is unreachable
        if llm is not None:
            self.__dict__["llm"] = llm

    @cached_property
    def llm(self) -> Any:
        """The llama-index LLM of `llm.provider`, built on first use (importing its
        client stack takes a while)."""
        try:
            return build_llm(self._settings)
        except ProviderUnavailable as error:
            raise LLMUnusable(str(error)) from error

    # --- answering --------------------------------------------------------------------
    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        history: Sequence[Turn] = (),
        *,
        asked_on: date | None = None,
    ) -> Answer:
        if not passages:
            return Answer(question, abstention_text(question), True, (), (), answered_by="llm")
        started = time.perf_counter()
        try:
            reply = self.chat(ANSWER_SYSTEM_PROMPT, answer_prompt(question, passages, history))
            answer = self._checked_answer(question, passages, reply)
        except Exception as error:  # any failure of the optional model means: answer without it
            note = f"llm failed: {describe(error, self._settings.timeout_s)}; answered extractively"
            logger.warning("%s", note)
            fallback = self._fallback.answer(question, passages, history, asked_on=asked_on)
            return replace(fallback, answered_by="extractive", notes=(*fallback.notes, note))
        elapsed = (time.perf_counter() - started) * 1000
        return replace(answer, timings_ms={**answer.timings_ms, "llm": elapsed})

    def _checked_answer(self, question: str, passages: Sequence[Passage], reply: str) -> Answer:
        if reply.strip().strip(".").upper() == NO_ANSWER:
            return Answer(
                question, abstention_text(question), True, (), tuple(passages), answered_by="llm"
            )
        checked = self._grounder.check(reply, passages)
        kept = [c for c in checked if c.support is not None]
        if not kept:
            raise LLMUnusable(
                f"no sentence of its reply is supported by the passages ({shorten(reply)!r})"
            )
        citations, text = number_citations(kept)
        return Answer(
            question,
            text,
            False,
            citations,
            tuple(passages),
            answered_by="llm",
            notes=check_notes(checked, len(passages)),
        )

    def chat(self, system: str, user: str) -> str:
        """One system + user exchange with the endpoint; raises when it is unusable."""
        from llama_index.core.llms import ChatMessage

        down = self._down
        if down is not None and time.monotonic() < down[0]:
            raise LLMUnusable(f"not tried: it {down[1]} less than {COOL_DOWN_S:g} s ago")
        try:
            response = self.llm.chat(
                [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]
            )
        except Exception as error:
            if unreachable(error):
                why = f"failed ({describe(error, self._settings.timeout_s)})"
                self._down = (time.monotonic() + COOL_DOWN_S, why)
            raise
        self._down = None
        content = response.message.content
        if not isinstance(content, str) or not content.strip():
            raise LLMUnusable("empty reply")
        return content


class LLMRewriter:
    """The LLM condenses a follow-up into a standalone search query (`QueryRewriter`);
    on any failure the rule-based query is searched instead."""

    def __init__(self, llm: LLMAnswerer, timeout_s: float) -> None:
        self._llm = llm
        self._timeout_s = timeout_s

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        """A standalone search query for a follow-up question; the rule-based one on failure."""
        if not any(t.role == "user" and t.content.strip() for t in history):
            return question
        try:
            reply = self._llm.chat(CONDENSE_SYSTEM_PROMPT, condense_prompt(question, history))
            lines = [line.strip() for line in reply.splitlines() if line.strip()]
            standalone = (
                re.sub(r"^(standalone question:\s*)", "", lines[0], flags=re.I) if lines else ""
            )
            standalone = standalone.strip().strip("\"'“”").strip()
            if not re.search(r"[^\W\d_]{2,}", standalone) or len(standalone) > MAX_QUESTION_CHARS:
                raise LLMUnusable(f"not a question: {shorten(reply)!r}")
            return standalone
        except Exception as error:
            logger.warning("llm condensing failed: %s", describe(error, self._timeout_s))
            return retrieval_query(question, history)


def answer_prompt(question: str, passages: Sequence[Passage], history: Sequence[Turn]) -> str:
    numbered = "\n\n".join(
        f"[{n}] {p.title or 'Untitled'} ({p.date or 'undated'})\n{p.text.strip()}"
        for n, p in enumerate(passages, start=1)
    )
    conversation = _conversation(history)
    before = f"Conversation so far:\n{conversation}\n\n" if conversation else ""
    return f"Passages:\n\n{numbered}\n\n{before}Question: {question}"


def condense_prompt(question: str, history: Sequence[Turn]) -> str:
    return f"Conversation:\n{_conversation(history)}\n\nLast question: {question}"


def _conversation(history: Sequence[Turn]) -> str:
    return "\n".join(
        f"{turn.role}: {shorten(turn.content, MAX_TURN_CHARS)}"
        for turn in history[-MAX_HISTORY_TURNS:]
        if turn.content.strip()
    )


def number_citations(kept: Sequence[CheckedClaim]) -> tuple[tuple[Citation, ...], str]:
    """One citation per distinct supporting span, numbered in order of first use."""
    numbers: dict[tuple[str, int, int], int] = {}
    citations: list[Citation] = []
    sentences: list[str] = []
    for checked in kept:
        support = checked.support
        assert support is not None
        key = (support.passage.article_id, support.start, support.end)
        if key not in numbers:
            numbers[key] = len(numbers) + 1
            passage = support.passage
            citations.append(
                Citation(
                    n=numbers[key],
                    article_id=passage.article_id,
                    title=passage.title,
                    date=passage.date,
                    source=passage.source,
                    quote=support.quote,
                    start=support.start,
                    end=support.end,
                    score=support.coverage,
                )
            )
        sentences.append(f"{checked.claim.text} [{numbers[key]}]")
    return tuple(citations), " ".join(sentences)


def check_notes(checked: Sequence[CheckedClaim], n_passages: int) -> tuple[str, ...]:
    """What the check changed, in words a reader of the answer understands."""
    notes: list[str] = []
    invalid = sorted({n for c in checked for n in c.claim.cited if not 1 <= n <= n_passages})
    if invalid:
        listed = ", ".join(f"[{n}]" for n in invalid)
        notes.append(f"removed citation numbers that point to no passage: {listed}")
    moved = sum(c.moved for c in checked if c.support is not None)
    if moved:
        notes.append(f"moved {moved} citation(s) to the passage that supports the sentence")
    dropped = sum(c.support is None for c in checked)
    if dropped:
        notes.append(f"dropped {dropped} sentence(s) of the LLM answer that no passage supports")
    return tuple(notes)


def unreachable(error: BaseException) -> bool:
    """A timeout or a refused connection (not an error status or a bad reply)."""
    return type(error).__name__ in ("APITimeoutError", "APIConnectionError")


def describe(error: BaseException, timeout_s: float) -> str:
    """A one-line reason: 'timed out after 2.0 s', 'HTTP 503 ...', 'connection refused'."""
    name = type(error).__name__
    if "Timeout" in name:
        return f"timed out after {timeout_s:g} s"
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        return f"HTTP {status} from the LLM endpoint"
    if name == "APIConnectionError":
        return f"cannot connect to the LLM endpoint ({shorten(str(error.__cause__ or error))})"
    if isinstance(error, LLMUnusable):
        return str(error)
    if isinstance(error, ImportError):
        return f"the llm extra is not installed (pip install 'newsrag[llm]'): {error}"
    return f"unusable reply ({name}: {shorten(str(error))})"


def shorten(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
