"""The default answerer: a reader that quotes the sentences answering the question, and
the fact itself when the question asks for one. No LLM; three fitted models.

1. **Support** (`rag/answer/support.py`): a MiniLM cross-encoder trained for newsrag
   scores how well each sentence, shown with its article's title, states the answer.
   The `answer.support_candidates` sentences of the retrieved passages nearest the
   question (MiniLM cosine plus the share of its idf-weighted terms) are scored; its
   logit is the sentence's score `z`. The answer quotes the best sentence (with the one
   before when it opens by pointing back: "This is why…") and the others the model
   scores as support (`answer.min_support`), up to `answer.max_sentences`.
2. **Short answer** (`ShortAnswerWeights`): a typed question ("Which automaker…", "How
   many…", spaCy's parse, `question.py`) gets an entity span of a quoted sentence
   (`text[start:end] == short`), picked by a logistic model over the candidate's
   features (its sentence's support, its label, its distance to the question's words,
   the focus noun beside it, MiniLM fit to the focus noun, its length). A name the
   question already gives is never the short answer.
3. **Confidence** (`AnswerabilityWeights`): a logistic model over the best sentence's
   support and lead, the question's names and numbers found, its terms in the passage,
   the story's age on the day asked and the short answer's score gives the probability
   that the answer is right; below `answer.min_confidence` it abstains ("The corpus does
   not say…").

All three were fitted on `../shared/training/` only (`python -m eval.train_reader`,
`python -m eval.fit_reader`); see eval/results/README.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import NamedTuple

import numpy as np

from index.catalog import ChunkReading
from index.keyword import Analyzer
from index.nlp import EntitySpan
from index.sentences import sentence_spans
from rag.answer.base import abstention_text
from rag.answer.question import (
    NAME_LABELS,
    QuestionAnalysis,
    QuestionAnalyzer,
    bare_word,
    singular,
)
from rag.answer.support import SupportScorer, context_text
from rag.settings import AnswerSettings
from rag.types import Answer, Citation, Passage, ShortAnswer, Turn

NOUN_PHRASE = "NOUN_PHRASE"  # the label of a candidate answer that is no named entity
DISTANCE_CAP_CHARS = 200  # farther from every question word counts as this far
_NUMBER = re.compile(r"\d[\d,.]*(?:st|nd|rd|th)?", re.IGNORECASE)
BYLINE_CHARS = 40  # a parenthesised name this near a sentence's start is its dateline
MAX_MARGIN = 5.0  # a lead over the runner-up beyond this says nothing more
FOCUS_REACH_WORDS = 4  # how near a candidate its focus noun stands, either side
FOCUS_TEXTS = 24  # candidate texts embedded for their fit to the focus noun, at most
# Opening words that point to the sentence before ("This is why…", "They know…").
BACK_REFERENCES = frozenset(
    {"this", "that", "these", "those", "it", "they", "he", "she", "his", "her", "their"}
    | {"its", "such", "thus", "so", "but", "however", "the latter", "the former"}
)
# Words inside a name that every passage holds ("the Boston Marathon", "Bank of England").
_NAME_FILLERS = frozenset({"the", "and", "for", "of"})
HISTORY_WEIGHT = 0.5  # terms of the earlier turns count half
# Words that shape a question rather than name its subject ("how many", "what kind").
QUESTION_FRAME = "many much kind type sort name happen happened according article"

Readings = Callable[[Sequence[str]], dict[str, ChunkReading]]
EmbedQuery = Callable[[str], np.ndarray]
EmbedTexts = Callable[[Sequence[str]], np.ndarray]
SupportScore = Callable[[str, Sequence[str]], np.ndarray]  # (question, contexts) -> logits


class _Sentence(NamedTuple):
    rank: int  # of its passage
    start: int  # in the article
    end: int
    text: str
    vector: np.ndarray | None  # None: no reading stored for its passage
    entities: list[EntitySpan]


@dataclass(frozen=True)
class Candidate:
    """One sentence of a passage, its features and its support logit `z`."""

    passage: Passage
    start: int  # in the article
    end: int
    text: str
    features: dict[str, float]
    z: float
    answers: tuple[EntitySpan, ...]  # entities of the expected type, article offsets
    entities: tuple[EntitySpan, ...] = ()  # all of the sentence's named entities

    @property
    def confidence(self) -> float:
        return _sigmoid(self.z)


class ShortPick(NamedTuple):
    """The short answer, the quoted sentence it is in, and its model's probability."""

    short: ShortAnswer
    source: Candidate
    score: float


class Reading(NamedTuple):
    """What the reader made of one question: the ranked candidates, the quoted ones,
    the short answer, the answer's features (`answer_features`) and its confidence."""

    analysis: QuestionAnalysis
    ranked: list[Candidate]
    chosen: list[Candidate]
    features: dict[str, float]
    confidence: float
    short: ShortPick | None = None


class ExtractiveAnswerer:
    """Answer with a short fact (when asked for one) and the sentences that support it.

    >>> reader = ExtractiveAnswerer(Analyzer(), idf, QuestionAnalyzer(), readings, embed)
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
        self._analyzer = analyzer
        self._idf = idf
        self._questions = questions
        self._readings = readings
        self._embed_query = embed_query
        self._embed_texts = embed_texts  # candidate texts for their fit to the focus noun
        self._settings = settings or AnswerSettings()
        self._support = support or SupportScorer.shared().logits
        self._frame = set(analyzer.terms(QUESTION_FRAME))

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        history: Sequence[Turn] = (),
        *,
        asked_on: date | None = None,
    ) -> Answer:
        reading = self.read(question, passages, history, asked_on=asked_on)
        answer_type = reading.analysis.answer_type
        confidence = round(reading.confidence, 4)
        if not reading.chosen or reading.confidence < self._settings.min_confidence:
            return Answer(
                question,
                abstention_text(question),
                True,
                (),
                tuple(passages),
                answer_type=answer_type,
                confidence=confidence,
            )
        citations = tuple(
            Citation(
                n=n,
                article_id=c.passage.article_id,
                title=c.passage.title,
                date=c.passage.date,
                source=c.passage.source,
                quote=c.text,
                start=c.start,
                end=c.end,
                score=round(c.confidence, 4),
            )
            for n, c in enumerate(reading.chosen, start=1)
        )
        pick = reading.short
        quoted = " ".join(f"{c.quote} [{c.n}]" for c in citations)
        if pick is not None:
            n = next(
                c.n
                for c in citations
                if (c.article_id, c.start) == (pick.source.passage.article_id, pick.source.start)
            )
            text = f"{pick.short.text} [{n}]. {quoted}"
        else:
            text = quoted
        return Answer(
            question,
            text,
            False,
            citations,
            tuple(passages),
            short_answer=pick.short if pick is not None else None,
            answer_type=answer_type,
            confidence=confidence,
        )

    def read(
        self,
        question: str,
        passages: Sequence[Passage],
        history: Sequence[Turn] = (),
        *,
        asked_on: date | None = None,
    ) -> Reading:
        """Rank the sentences, choose the quoted ones and score the answer they make."""
        analysis = self._questions.analyze(question)
        ranked = self.rank_sentences(question, passages, history, analysis)
        if not ranked:
            return Reading(analysis, [], [], {}, 0.0)
        chosen = self._choose(ranked)
        pick = self._pick_short(question, chosen, analysis)
        coverage, missing = self._passage_coverage(question, ranked[0].passage)
        features = answer_features(ranked, analysis, asked_on, coverage, pick) | {
            "missing": missing
        }
        w = self._settings.answerability
        z = w.bias + sum(getattr(w, name) * value for name, value in features.items())
        return Reading(analysis, ranked, chosen, features, _sigmoid(z), pick)

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
        limit = shortlist or self._settings.support_candidates
        rows.sort(key=lambda row: row[1]["semantic"] + row[1]["lexical"], reverse=True)
        rows = rows[:limit]
        logits = self._support(
            question, [context_text(passages[s.rank].title, s.text) for s, _ in rows]
        )
        candidates = [
            Candidate(
                passages[s.rank],
                s.start,
                s.end,
                s.text,
                features | {"support": float(z)},
                float(z),
                tuple(e for e in s.entities if _fits(e, s.text, s.start, analysis)),
                tuple(s.entities),
            )
            for (s, features), z in zip(rows, logits, strict=True)
        ]
        candidates.sort(key=lambda c: c.z, reverse=True)
        return candidates

    def _sentences(self, passages: Sequence[Passage]) -> list[_Sentence]:
        """Each distinct sentence of the passages, with what ingest stored about it."""
        readings = self._readings([p.chunk_id for p in passages])
        seen: set[tuple[str, int]] = set()
        out: list[_Sentence] = []
        for rank, passage in enumerate(passages):
            reading = readings.get(passage.chunk_id)
            if reading is not None:
                spans: Sequence[tuple[int, int]] = reading.sentences
                vectors: np.ndarray | None = reading.vectors
                entities: Sequence[EntitySpan] = reading.entities
            else:  # a passage from a retriever of the caller's own: no stored reading
                spans = [
                    (passage.start + s, passage.start + e) for s, e in sentence_spans(passage.text)
                ]
                vectors, entities = None, ()
            for i, (start, end) in enumerate(spans):
                if (passage.article_id, start) in seen:
                    continue
                seen.add((passage.article_id, start))
                text = passage.text[start - passage.start : end - passage.start]
                inside = [e for e in entities if e.start >= start and e.end <= end]
                vector = vectors[i] if vectors is not None and len(vectors) > i else None
                out.append(_Sentence(rank, start, end, text, vector, inside))
        return out

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
        threshold = _logit(self._settings.min_support)
        for other in ranked[1:]:
            if len(chosen) >= limit or other.z < threshold:
                break
            if other not in chosen:
                chosen.append(other)
        return chosen

    def _pick_short(
        self, question: str, chosen: Sequence[Candidate], analysis: QuestionAnalysis
    ) -> ShortPick | None:
        """The short answer: the candidate the fitted model scores highest."""
        pairs, features = self._short_candidates(chosen, analysis)
        if not pairs:
            return None
        w = self._settings.short_answer
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
        return ShortPick(short, candidate, _sigmoid(scores[best]))

    def short_candidates(
        self, question: str, reading: Reading
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

    def _passage_coverage(self, question: str, passage: Passage) -> tuple[float, float]:
        """Share of the question's idf-weighted terms anywhere in `passage`, and the
        largest share of one term it lacks ("Who won the Boston Marathon?" over a page
        about another marathon lacks "boston")."""
        weights = {t: self._idf(t) for t in self._analyzer.terms(question) if t not in self._frame}
        total = sum(weights.values())
        if not total:
            return 1.0, 0.0
        found = set(self._analyzer.terms(passage.text))
        missing = max((w for t, w in weights.items() if t not in found), default=0.0)
        return sum(w for t, w in weights.items() if t in found) / total, missing / total

    def _weights(self, question_terms: list[str], history: Sequence[Turn]) -> dict[str, float]:
        weights = {t: self._idf(t) for t in question_terms if t not in self._frame}
        for turn in history:
            if turn.role != "user":
                continue
            for term in self._analyzer.terms(turn.content):
                weights.setdefault(term, HISTORY_WEIGHT * self._idf(term))
        return weights


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


def answer_features(
    ranked: Sequence[Candidate],
    analysis: QuestionAnalysis,
    asked_on: date | None,
    passage_coverage: float,
    short: ShortPick | None = None,
) -> dict[str, float]:
    """Features of the answer the best candidate makes and of its short answer
    (`AnswerabilityWeights`)."""
    best = ranked[0]
    name_words = {w for name in analysis.names for w in _name_words(name)}
    return {
        "support": max(min(best.z, 10.0), -10.0),
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


def _name_words(name: str) -> list[str]:
    """The words of a name that identify it: 'the Boston Marathon' -> boston, marathon."""
    return [w for w in name.lower().split() if len(w) > 2 and w not in _NAME_FILLERS]


def _share_in(words: set[str], text: str) -> float:
    """Share of `words` that occur in `text` (1 when there are none to find)."""
    if not words:
        return 1.0
    lowered = text.lower()
    return sum(w in lowered for w in words) / len(words)


def _age(published: str, asked_on: date | None) -> float:
    """log(1 + days from publication to the day asked) / log(366); 0 when unknown."""
    if asked_on is None or not published:
        return 0.0
    try:
        days = (asked_on - date.fromisoformat(published)).days
    except ValueError:
        return 0.0
    return math.log1p(max(days, 0)) / math.log(366)


def _points_back(sentence: str) -> bool:
    """Whether a sentence opens with a word that points to the one before it."""
    words = sentence.lstrip("\"“'‘ ").split(maxsplit=2)
    opening = " ".join(words[:2]).lower()
    return bool(words) and (
        words[0].lower().strip(",") in BACK_REFERENCES or opening in BACK_REFERENCES
    )


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _fits(
    entity: EntitySpan, sentence: str, sentence_start: int, analysis: QuestionAnalysis
) -> bool:
    """An entity of an expected label that the question does not already name, and not
    the byline of a dateline ("(CNN) Legendary basketball player ...")."""
    if entity.label not in analysis.labels:
        return False
    before = sentence[: entity.start - sentence_start]
    after = sentence[entity.end - sentence_start :]
    if len(before) <= BYLINE_CHARS and before.endswith("(") and after.startswith(")"):
        return False
    words = sentence[entity.start - sentence_start : entity.end - sentence_start].lower().split()
    asked = {singular(w) for w in analysis.asked_words}
    return not all(singular(bare_word(w)) in asked for w in words)


def _constraints(passage_text: str, analysis: QuestionAnalysis) -> tuple[float, float]:
    """Shares of the question's names (any of their words) and numbers the passage holds.

    Numbers match whole numbers only ("5" is not in "85", "22nd" is not "32nd"; "2,500"
    is "2500").
    """
    lowered = passage_text.lower()
    names = [
        any(w in lowered for w in words) for name in analysis.names if (words := _name_words(name))
    ]
    held = {_number_core(m.group(0)) for m in _NUMBER.finditer(passage_text)}
    numbers = [_number_core(number) in held for number in analysis.numbers]
    return (
        sum(names) / len(names) if names else 1.0,
        sum(numbers) / len(numbers) if numbers else 1.0,
    )


def _number_core(number: str) -> str:
    """'2,500' -> '2500', '22nd' -> '22', '3.1' -> '3.1'."""
    core = re.sub(r"(?<=\d)(st|nd|rd|th)$", "", number.lower().rstrip(".,"))
    return core.replace(",", "")


def _distance_to_question(
    candidate: Candidate, entity: EntitySpan, analysis: QuestionAnalysis
) -> int:
    """Characters from the entity to the nearest word of the question in its sentence
    (words of four letters or more), at most `DISTANCE_CAP_CHARS`."""
    lowered = candidate.text.lower()
    anchors = [
        candidate.start + i
        for word in analysis.asked_words
        if len(word) > 3 and (i := lowered.find(word)) >= 0
    ]
    return min(
        min((abs(entity.start - a) for a in anchors), default=DISTANCE_CAP_CHARS),
        DISTANCE_CAP_CHARS,
    )


def _is_focus(word: str, focus: str) -> bool:
    return word.startswith(focus[: max(len(focus) - 1, 3)])


def _beside_focus(text: str, offset: int, entity: EntitySpan, focus: str | None) -> bool:
    """The focus noun among the `FOCUS_REACH_WORDS` words before or after the entity."""
    if not focus:
        return False
    start, end = entity.start - offset, entity.end - offset
    before = [w for w in map(bare_word, text[:start].lower().split()) if w][-FOCUS_REACH_WORDS:]
    after = [w for w in map(bare_word, text[end:].lower().split()) if w][:FOCUS_REACH_WORDS]
    return any(_is_focus(word, focus) for word in (*before, *after))


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
