"""The learned reader (`answer.reader = "learned"`): the rules reader's plumbing with
every decision made by models fitted on `../shared/training/` only.

1. **Support** (`rag/answer/support.py`): a MiniLM cross-encoder trained for newsrag
   scores the `support_candidates` sentences nearest the question (MiniLM cosine plus
   the share of its idf-weighted terms), each shown with its article's title.
2. **Sentence score** (`LearnedSentenceWeights`): a logistic model over the support
   logit and the retrieval's features ranks them. The answer quotes the best sentence
   (after the one before it when it opens by pointing back) and the others the support
   model gives at least `min_support`, up to `answer.max_sentences`.
3. **Short answer** (`LearnedShortAnswerWeights`): the entity of a quoted sentence that a
   logistic model over its features scores highest; a name the question gives never is.
4. **Confidence** (`LearnedAnswerabilityWeights`): the probability that the answer is
   right; below `min_confidence` it abstains.

`python -m eval.train_reader` trains the cross-encoder, `python -m eval.fit_reader` the
three logistic models (`make train-reader`). On the dev sets it refuses more of the
questions the archive cannot answer than the rules reader and answers fewer of the
others (eval/results/README.md), so it is not the default.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import NamedTuple

import numpy as np

from index.keyword import Analyzer
from index.nlp import EntitySpan
from rag.answer.extractive import (
    MAX_MARGIN,
    NOUN_PHRASE,
    Candidate,
    EmbedQuery,
    EmbedTexts,
    ExtractiveAnswerer,
    Readings,
    _age,
    _beside_focus,
    _constraints,
    _distance_to_question,
    _fits,
    _name_words,
    _points_back,
    _share_in,
    _sigmoid,
)
from rag.answer.question import NAME_LABELS, QuestionAnalysis, QuestionAnalyzer
from rag.answer.support import SupportScorer, context_text
from rag.settings import AnswerSettings
from rag.types import Passage, ShortAnswer, Turn

FOCUS_TEXTS = 24  # candidate texts embedded for their fit to the focus noun, at most
SupportScore = Callable[[str, Sequence[str]], np.ndarray]  # (question, contexts) -> logits


class LearnedPick(NamedTuple):
    """The short answer, the quoted sentence it is in, and its model's probability."""

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
        support: SupportScore | None = None,
    ) -> None:
        settings = settings or AnswerSettings()
        self._learned = settings.learned
        # `answer()` (inherited) abstains below `min_confidence`: the learned one's.
        settings = settings.model_copy(update={"min_confidence": self._learned.min_confidence})
        super().__init__(analyzer, idf, questions, readings, embed_query, settings, embed_texts)
        self._support = support or SupportScorer.shared().logits

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
        pick = self._pick_learned_short(chosen, analysis)
        coverage, missing = self._passage_coverage(question, ranked[0].passage)
        features = learned_answer_features(ranked, analysis, asked_on, coverage, pick) | {
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
        logits = self._support(
            question, [context_text(passages[s.rank].title, s.text) for s, _ in rows]
        )
        w = self._learned.sentence
        candidates = []
        for (s, features), logit in zip(rows, logits, strict=True):
            features["support"] = float(logit)
            z = w.bias + sum(getattr(w, name) * value for name, value in features.items())
            candidates.append(
                Candidate(
                    passages[s.rank],
                    s.start,
                    s.end,
                    s.text,
                    features,
                    z,
                    tuple(e for e in s.entities if _fits(e, s.text, s.start, analysis)),
                    tuple(s.entities),
                )
            )
        candidates.sort(key=lambda c: c.z, reverse=True)
        return candidates

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

    def _pick_learned_short(
        self, chosen: Sequence[Candidate], analysis: QuestionAnalysis
    ) -> LearnedPick | None:
        """The short answer: the candidate the fitted model scores highest."""
        pairs, features = self._short_candidates(chosen, analysis)
        if not pairs:
            return None
        w = self._learned.short_answer
        scores = [
            w.bias + sum(getattr(w, name) * value for name, value in f.items()) for f in features
        ]
        best = max(range(len(pairs)), key=lambda i: scores[i])
        candidate, entity = pairs[best]
        # A count keeps the noun it counts when that is the question's focus ("85 targets").
        offset = candidate.passage.start
        end = _focus_end(candidate.passage.text, offset, entity.end, analysis.focus)
        short = ShortAnswer(
            text=candidate.passage.text[entity.start - offset : end - offset],
            article_id=candidate.passage.article_id,
            start=entity.start,
            end=end,
        )
        return LearnedPick(short, candidate, _sigmoid(scores[best]))

    def short_candidates(
        self, question: str, reading: LearnedReading
    ) -> tuple[list[dict[str, float]], list[str]]:
        """Every candidate short answer of a reading: its features and its text (what
        `eval.fit_reader` fits the picker on)."""
        pairs, features = self._short_candidates(reading.chosen, reading.analysis)
        return features, [_text_of(c, e) for c, e in pairs]

    def _short_candidates(
        self, chosen: Sequence[Candidate], analysis: QuestionAnalysis
    ) -> tuple[list[tuple[Candidate, EntitySpan]], list[dict[str, float]]]:
        """The quoted sentences' entities of the expected type, with their features."""
        if not chosen:
            return [], []
        holding = [c for c in chosen if c.answers]
        if not holding and analysis.answer_type is None and analysis.focus is not None:
            # "Which classic comedy ...?": a focus noun of no known type asks for a name
            # or a thing: the quoted sentences' names and noun phrases are candidates.
            analysis = replace(analysis, labels=(*NAME_LABELS, NOUN_PHRASE))
            phrases = self._questions.noun_phrases([c.text for c in chosen], analysis.asked_words)
            for c, spans in zip(chosen, phrases, strict=True):
                named = [(e.start, e.end) for e in c.entities]
                things = [
                    EntitySpan(c.start + a, c.start + b, NOUN_PHRASE)
                    for a, b in spans
                    if not any(s < c.start + b and c.start + a < e for s, e in named)
                ]
                fit = [e for e in (*c.entities, *things) if _fits(e, c.text, c.start, analysis)]
                if fit:
                    holding.append(replace(c, answers=tuple(fit)))
        pairs = [(c, e) for c in holding for e in c.answers]
        if not pairs:
            return [], []
        best_z = max(c.z for c in chosen)
        return pairs, short_features(pairs, analysis, best_z, self._focus_fit(pairs, analysis))

    def _focus_fit(
        self, pairs: Sequence[tuple[Candidate, EntitySpan]], analysis: QuestionAnalysis
    ) -> list[float]:
        """MiniLM cosine of the focus noun ("automaker") and each candidate's text: the
        type a question asks for, finer than any NER label. 0 without a focus noun, an
        embedder of texts, or a rival to choose between."""
        if analysis.focus is None or self._embed_texts is None or len(pairs) < 2:
            return [0.0] * len(pairs)
        texts = [_text_of(c, e) for c, e in pairs]
        unique = list(dict.fromkeys(texts))[:FOCUS_TEXTS]
        vectors = self._embed_texts([analysis.focus, *unique])
        by_text = dict(zip(unique, vectors[1:], strict=True))
        return [float(by_text[t] @ vectors[0]) if t in by_text else 0.0 for t in texts]


def short_features(
    pairs: Sequence[tuple[Candidate, EntitySpan]],
    analysis: QuestionAnalysis,
    best_z: float,
    focus_fit: Sequence[float],
) -> list[dict[str, float]]:
    """Each candidate short answer's features (`ShortAnswerWeights`)."""
    out = []
    for (candidate, entity), fit in zip(pairs, focus_fit, strict=True):
        text, offset = candidate.passage.text, candidate.passage.start
        labels = analysis.labels
        step = labels.index(entity.label) / max(len(labels) - 1, 1) if entity.label in labels else 1
        out.append(
            {
                "support": max(candidate.z - best_z, -MAX_MARGIN),
                "label_step": step,
                "distance": _distance_to_question(candidate, entity, analysis) / 100,
                "attached": float(_follows(text, offset, entity.end, analysis.focus)),
                "beside": float(_beside_focus(text, offset, entity, analysis.focus)),
                "noun_phrase": float(entity.label == NOUN_PHRASE),
                "focus_fit": fit,
                "words": min(len(_text_of(candidate, entity).split()), 5) / 5,
            }
        )
    return out


def learned_answer_features(
    ranked: Sequence[Candidate],
    analysis: QuestionAnalysis,
    asked_on: date | None,
    passage_coverage: float,
    short: LearnedPick | None = None,
) -> dict[str, float]:
    """Features of the answer the best candidate makes and of its short answer
    (`AnswerabilityWeights`)."""
    best = ranked[0]
    name_words = {w for name in analysis.names for w in _name_words(name)}
    return {
        "support": max(min(best.features["support"], 10.0), -10.0),
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
        "short_missing": 1.0 if analysis.labels and short is None else 0.0,
        "short_score": short.score if short is not None else 0.0,
    }


def _text_of(candidate: Candidate, entity: EntitySpan) -> str:
    offset = candidate.passage.start
    return candidate.passage.text[entity.start - offset : entity.end - offset]


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _is_focus(word: str, focus: str) -> bool:
    return word.startswith(focus[: max(len(focus) - 1, 3)])


def _follows(text: str, offset: int, end: int, focus: str | None) -> bool:
    """The focus noun is the next word ('85 targets', '40,000 staff')."""
    return _focus_end(text, offset, end, focus) > end


def _focus_end(text: str, offset: int, end: int, focus: str | None) -> int:
    """Where the focus noun right after `end` ends ('85' -> '85 targets'), else `end`."""
    if not focus:
        return end
    rest = text[end - offset :]
    stripped = rest.lstrip(" ")
    word = stripped.split(" ", 1)[0].rstrip(".,;:")
    if word and _is_focus(word.lower(), focus):
        return end + (len(rest) - len(stripped)) + len(word)
    return end
