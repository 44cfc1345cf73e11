"""The learned reader (`answer.reader = "learned"`, the default): the rules reader's
plumbing with every decision made by models fitted on `../shared/training/` only.

1. **Reading** (`rag/answer/support.py`): a MiniLM model trained for newsrag reads the
   `support_candidates` sentences nearest the question (MiniLM cosine plus the share of
   its idf-weighted terms), each shown with its article's title, and gives each a
   support logit and its best answer span (a span head, as extractive QA models have).
2. **Sentence score** (`LearnedSentenceWeights`): a logistic model over the support
   logit, the span head's score and the retrieval's features ranks them. The answer quotes
   the best sentence (after the one before it when it opens by pointing back) and the
   others the support model gives at least `min_support`, up to `answer.max_sentences`.
3. **Short answer**: the span head's answer in the best-scored quoted sentence (when
   its score reaches `min_span_score`, by default always); a span whose words the
   question already gives never is.
4. **Confidence** (`LearnedAnswerabilityWeights`): the probability that the answer is
   right; below `min_confidence` it abstains.

`python -m eval.train_reader` trains the model, `python -m eval.fit_reader` the two
logistic models (`make train-reader`). Against the rules reader (eval/results/README.md)
it answers more news questions and gives better short answers on new questions, and it
refuses more paraphrased ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date
from typing import NamedTuple

from index.keyword import Analyzer
from rag.answer.extractive import (
    MAX_MARGIN,
    Candidate,
    EmbedQuery,
    EmbedTexts,
    ExtractiveAnswerer,
    Readings,
    _age,
    _constraints,
    _name_words,
    _points_back,
    _share_in,
    _sigmoid,
)
from rag.answer.question import QuestionAnalysis, QuestionAnalyzer
from rag.answer.support import Reading, SupportScorer
from rag.followup import retrieval_query
from rag.settings import AnswerSettings
from rag.types import Passage, ShortAnswer, Turn

MAX_SCORE = 10.0  # span scores and support logits are clipped to ±this
# (question, [(title, sentence)], keep) -> one reading per sentence
ReadSentences = Callable[[str, Sequence[tuple[str, str]], Callable[[str], bool]], list[Reading]]


class LearnedPick(NamedTuple):
    """The short answer, the quoted sentence it is in, and its span's score."""

    short: ShortAnswer
    source: Candidate
    score: float


class LearnedReading(NamedTuple):
    """What the learned reader made of one question (as `extractive.Reading`)."""

    analysis: QuestionAnalysis
    ranked: list[Candidate]
    chosen: list[Candidate]
    features: dict[str, float]
    confidence: float
    short: LearnedPick | None = None


class LearnedAnswerer(ExtractiveAnswerer):
    """The extractive answerer with the learned reader's models (`answer.learned`).

    >>> reader = LearnedAnswerer(Analyzer(), idf, QuestionAnalyzer(), readings, embed)
    >>> reader.answer("Who runs the bakery?", []).abstained  # doctest: +SKIP
    True
    """

    def __init__(
        self,
        analyzer: Analyzer,
        idf: Callable[[str], float],
        questions: QuestionAnalyzer,
        readings: Readings,
        embed_query: EmbedQuery,
        settings: AnswerSettings | None = None,
        embed_texts: EmbedTexts | None = None,
        support: ReadSentences | None = None,
    ) -> None:
        settings = settings or AnswerSettings()
        self._learned = settings.learned
        # `answer()` (inherited) abstains below `min_confidence`: the learned one's.
        settings = settings.model_copy(update={"min_confidence": self._learned.min_confidence})
        super().__init__(analyzer, idf, questions, readings, embed_query, settings, embed_texts)
        self._support = support or SupportScorer.shared().read

    def read(  # type: ignore[override]
        self,
        question: str,
        passages: Sequence[Passage],
        history: Sequence[Turn] = (),
        *,
        asked_on: date | None = None,
    ) -> LearnedReading:
        """Rank the sentences, choose the quoted ones and score the answer they make."""
        analysis = self._questions.analyze(question)
        ranked = self.rank_sentences(question, passages, history, analysis)
        if not ranked:
            return LearnedReading(analysis, [], [], {}, 0.0)
        chosen = self._choose(ranked)
        pick = _pick_span(chosen, self._learned.min_span_score)
        coverage, missing = self._passage_coverage(question, ranked[0].passage)
        features = learned_answer_features(ranked, chosen, analysis, asked_on, coverage) | {
            "missing": missing
        }
        w = self._learned.answerability
        z = w.bias + sum(getattr(w, name) * value for name, value in features.items())
        return LearnedReading(analysis, ranked, chosen, features, _sigmoid(z), pick)

    def rank_sentences(
        self,
        question: str,
        passages: Sequence[Passage],
        history: Sequence[Turn] = (),
        analysis: QuestionAnalysis | None = None,
        *,
        shortlist: int | None = None,
    ) -> list[Candidate]:
        """The sentences of the passages nearest the question (`shortlist`, by default
        `answer.support_candidates`), each with its support logit, best first."""
        analysis = analysis or self._questions.analyze(question)
        question_terms = self._analyzer.terms(question)
        weights = self._weights(question_terms, history)
        asked = {t: w for t, w in weights.items() if w > 0 and t in question_terms}
        total = sum(asked.values())
        sentences = self._sentences(passages)
        if not sentences:
            return []
        query = self._embed_query(question)
        terms = self._analyzer.terms_many([s.text for s in sentences])
        constraints = [_constraints(p.text, analysis) for p in passages]
        rows = []
        for sentence, sentence_terms in zip(sentences, terms, strict=True):
            found = set(sentence_terms)
            names, numbers = constraints[sentence.rank]
            features = {
                "semantic": float(sentence.vector @ query) if sentence.vector is not None else 0.0,
                "lexical": sum(w for t, w in asked.items() if t in found) / total if total else 0.0,
                "names": names,
                "numbers": numbers,
                "rank": 1.0 / (sentence.rank + 1),
            }
            rows.append((sentence, features))
        limit = shortlist or self._learned.support_candidates
        rows.sort(key=lambda row: row[1]["semantic"] + row[1]["lexical"], reverse=True)
        rows = rows[:limit]
        readings = self._support(
            retrieval_query(question, history),  # a follow-up, read with the turn it leans on
            [(passages[s.rank].title, s.text) for s, _ in rows],
            lambda text: not self._repeats_question(text, question_terms),
        )
        w = self._learned.sentence
        candidates = []
        for (s, features), (logit, span) in zip(rows, readings, strict=True):
            features["support"] = float(logit)
            features["span"] = clip_score(span.score if span is not None else -MAX_SCORE)
            z = w.bias + sum(getattr(w, name) * value for name, value in features.items())
            candidates.append(
                Candidate(
                    passages[s.rank],
                    s.start,
                    s.end,
                    s.text,
                    features,
                    z,
                    (),  # the rules reader's typed entities: the span head reads instead
                    tuple(s.entities),
                    span,
                )
            )
        candidates.sort(key=lambda c: c.z, reverse=True)
        return candidates

    def _repeats_question(self, text: str, question_terms: Sequence[str]) -> bool:
        """Every term of `text` is one of the question's ("a Kataib Hezbollah commander"
        for "What is the name of the Kataib Hezbollah commander?"): the question gave it,
        so it cannot be the answer."""
        terms = self._analyzer.terms(text)
        return bool(terms) and set(terms) <= set(question_terms)

    def _choose(self, ranked: list[Candidate]) -> list[Candidate]:
        """The best sentence (after the one before it when it opens by pointing back:
        "This is why…"), then the others the model scores as support, best first, up to
        `max_sentences`."""
        best = ranked[0]
        limit = self._settings.max_sentences
        context: list[Candidate] = []
        if _points_back(best.text):
            context = [
                c
                for c in ranked[1:]
                if c.passage.article_id == best.passage.article_id and 0 <= best.start - c.end <= 2
            ][:1]
        chosen = [*context, best][-limit:]
        threshold = _logit(self._learned.min_support)
        for other in ranked[1:]:
            if len(chosen) >= limit:
                break
            if other not in chosen and other.features["support"] >= threshold:
                chosen.append(other)
        return chosen


def _pick_span(chosen: Sequence[Candidate], min_score: float) -> LearnedPick | None:
    """The short answer: the span the span head reads in the best-scored quoted sentence
    that has one of at least `min_score`. The head scores a span as if its sentence held
    the answer, so its scores do not compare across sentences: the sentence score does."""
    spans = [(c, c.span) for c in chosen if c.span is not None and c.span.score >= min_score]
    if not spans:
        return None
    candidate, span = max(spans, key=lambda pair: pair[0].z)
    short = ShortAnswer(
        text=candidate.text[span.start : span.end],
        article_id=candidate.passage.article_id,
        start=candidate.start + span.start,
        end=candidate.start + span.end,
    )
    return LearnedPick(short, candidate, span.score)


def clip_score(value: float) -> float:
    """A support logit or span score clipped to ±`MAX_SCORE` (as the fits saw them)."""
    return max(min(value, MAX_SCORE), -MAX_SCORE)


def learned_answer_features(
    ranked: Sequence[Candidate],
    chosen: Sequence[Candidate],
    analysis: QuestionAnalysis,
    asked_on: date | None,
    passage_coverage: float,
) -> dict[str, float]:
    """Features of the answer the best candidate makes, and the span head's score for
    the best span of its quotes (`LearnedAnswerabilityWeights`)."""
    best = ranked[0]
    spans = [c.span.score for c in chosen if c.span is not None]
    name_words = {w for name in analysis.names for w in _name_words(name)}
    return {
        "support": clip_score(best.features["support"]),
        "margin": min(best.z - ranked[1].z, MAX_MARGIN) if len(ranked) > 1 else MAX_MARGIN,
        "names_in_sentence": _share_in(name_words, best.text),
        "names": _share_in(name_words, best.passage.text),
        "numbers": best.features["numbers"],
        "semantic": best.features["semantic"],
        "lexical": best.features["lexical"],
        "passage_coverage": passage_coverage,
        "typed": 1.0 if analysis.labels else 0.0,
        "age": _age(best.passage.date, asked_on),
        "dated": 1.0 if asked_on is not None and best.passage.date else 0.0,
        "span": clip_score(max(spans)) if spans else -MAX_SCORE,
    }


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))
