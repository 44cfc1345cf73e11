"""The default answerer: picks the retrieved sentences that answer the question. No LLM.

Each candidate sentence is scored by the share of the question's idf-weighted terms
it contains (stemmed, stop words dropped), plus a small prior for the passage's
retrieval rank. A question asking for a name, number, date or place only accepts a
sentence that supplies one (see `answer_types`). Below `min_coverage` it abstains.
Every quote is an exact slice of its article, so `text[start:end] == quote`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.keyword import Analyzer
from index.sentences import sentence_spans
from rag.answer.answer_types import expected_answer, supplies
from rag.answer.base import abstention_text
from rag.settings import AnswerSettings
from rag.types import Answer, Citation, Passage, Turn

RANK_PRIOR = 0.05  # a tie-breaker, never enough to lift an off-topic sentence
HISTORY_WEIGHT = 0.5  # terms of the earlier turns count half
# Words that shape a question rather than name its subject ("how many", "what kind").
QUESTION_FRAME = "many much kind type sort name happen happened according article"


@dataclass(frozen=True)
class ScoredSentence:
    passage: Passage
    start: int  # in the article
    end: int
    text: str
    coverage: float  # share of the question's weight the sentence contains
    score: float


class ExtractiveAnswerer:
    """Answer with 1-3 sentences quoted from the passages, each with its `[n]` marker.

    >>> answerer = ExtractiveAnswerer(Analyzer(), idf=lambda term: 1.0)
    >>> answerer.answer("Who runs the bakery?", []).abstained
    True
    """

    def __init__(
        self,
        analyzer: Analyzer,
        idf: Callable[[str], float],
        settings: AnswerSettings | None = None,
    ) -> None:
        self._analyzer = analyzer
        self._idf = idf
        self._settings = settings or AnswerSettings()
        self._frame = set(analyzer.terms(QUESTION_FRAME))

    def answer(
        self, question: str, passages: Sequence[Passage], history: Sequence[Turn] = ()
    ) -> Answer:
        ranked = self.rank_sentences(question, passages, history)
        chosen = self._choose(ranked)
        if not chosen:
            return Answer(question, abstention_text(question), True, (), tuple(passages))
        citations = tuple(
            Citation(
                n=n,
                article_id=s.passage.article_id,
                title=s.passage.title,
                date=s.passage.date,
                source=s.passage.source,
                quote=s.text,
                start=s.start,
                end=s.end,
                score=round(s.score, 4),
            )
            for n, s in enumerate(chosen, start=1)
        )
        text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
        return Answer(question, text, False, citations, tuple(passages))

    def rank_sentences(
        self, question: str, passages: Sequence[Passage], history: Sequence[Turn] = ()
    ) -> list[ScoredSentence]:
        """Every distinct sentence of the passages, best first; ineligible ones removed."""
        question_terms = self._terms(question)
        weights = self._weights(question_terms, history)
        asked = {t: w for t, w in weights.items() if w > 0 and t in question_terms}
        total = sum(asked.values())
        if total == 0:
            return []
        expected = expected_answer(question)
        seen: set[tuple[str, int]] = set()
        scored: list[ScoredSentence] = []
        for rank, passage in enumerate(passages):
            for start, end in sentence_spans(passage.text):
                key = (passage.article_id, passage.start + start)
                if key in seen:
                    continue
                seen.add(key)
                text = passage.text[start:end]
                if expected and not supplies(text, expected, question):
                    continue
                terms = set(self._terms(text))
                coverage = sum(w for t, w in asked.items() if t in terms) / total
                extra = sum(w for t, w in weights.items() if t in terms and t not in asked)
                score = coverage + extra / total + RANK_PRIOR / (rank + 1)
                scored.append(
                    ScoredSentence(
                        passage, passage.start + start, passage.start + end, text, coverage, score
                    )
                )
        scored.sort(key=lambda s: s.score, reverse=True)
        return scored

    def _choose(self, ranked: list[ScoredSentence]) -> list[ScoredSentence]:
        if not ranked or ranked[0].coverage < self._settings.min_coverage:
            return []
        best = ranked[0]
        chosen = [best]
        for other in ranked[1:]:
            if len(chosen) >= self._settings.max_sentences:
                break
            adjacent = other.passage.article_id == best.passage.article_id and (
                0 <= other.start - best.end <= 2
            )
            if other.coverage >= self._settings.min_coverage and (
                adjacent or other.score >= 0.9 * best.score
            ):
                chosen.append(other)
        # Read in article order when the sentences come from one article.
        if len({s.passage.article_id for s in chosen}) == 1:
            chosen.sort(key=lambda s: s.start)
        return chosen

    def _terms(self, text: str) -> list[str]:
        return self._analyzer.terms(text)

    def _weights(self, question_terms: list[str], history: Sequence[Turn]) -> dict[str, float]:
        weights = {t: self._idf(t) for t in question_terms if t not in self._frame}
        for turn in history:
            if turn.role != "user":
                continue
            for term in self._terms(turn.content):
                weights.setdefault(term, HISTORY_WEIGHT * self._idf(term))
        return weights
