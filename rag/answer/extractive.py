"""The default answerer: a reader that quotes the sentences answering the question, and
the fact itself when the question asks for one. No LLM.

One scoring function ranks every sentence of the retrieved passages and gives the
answer its confidence (`ReaderWeights`, in the settings tree):

    z = bias + semantic·cos(question, sentence) + lexical·coverage + type·has_answer
        + names·names_found + numbers·numbers_found + rank·1/(passage rank)
    confidence = 1 / (1 + e^-z)

- cos: MiniLM similarity of the question to the sentence vector stored at ingest
  (pooled from its chunk's encode), so "the number of troops hurt" meets "injured";
- coverage: share of the question's idf-weighted terms the sentence contains;
- has_answer: the question asks for a fact type (spaCy's parse, `question.py`) and the
  sentence holds an entity of that type the question does not already name;
- names_found / numbers_found: shares of the question's own names and numbers found in
  the sentence's passage ("ranked 22nd" is not met by "32nd"; a question about a story
  the archive lacks rarely finds its names there);
- rank: the passage's retrieval rank.

Below `min_confidence` it abstains ("The corpus does not say…"), and so it does when
the best passage holds no term of the question, or the best sentence shares none and
is no paraphrase either (cosine below `min_semantic_unshared`). A typed question's
answer starts with the short answer, an entity span (`text[start:end] == short`) of a
quoted sentence, then the supporting sentences with `[n]` markers; every quote is an
exact slice. The short answer is the quoted entity of the expected type that best fits
the question's focus noun (MiniLM: "which automaker" -> "Volkswagen", not "NHTSA"),
stands nearest the question's words, in the best sentences (`ShortAnswerWeights`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from typing import NamedTuple

import numpy as np

from index.catalog import ChunkReading
from index.keyword import Analyzer, english_stopwords
from index.nlp import EntitySpan
from index.sentences import sentence_spans
from rag.answer.base import abstention_text
from rag.answer.question import (
    NAME_LABELS,
    TIME_UNITS,
    QuestionAnalysis,
    QuestionAnalyzer,
    bare_word,
    singular,
)
from rag.answer.support import Span
from rag.settings import AnswerSettings
from rag.types import Answer, Citation, Passage, ShortAnswer, Turn

NOUN_PHRASE = "NOUN_PHRASE"  # the label of a candidate answer that is no named entity
DISTANCE_CAP_CHARS = 200  # farther from every question word counts as this far
# Answer types spaCy's NER tags reliably: a sentence without one cannot answer.
STRICT_TYPES = frozenset({"person", "date", "duration", "number", "amount", "percent"})
_NUMBER = re.compile(r"\d[\d,.]*(?:st|nd|rd|th)?", re.IGNORECASE)
BYLINE_CHARS = 40  # a parenthesised name this near a sentence's start is its dateline
MAX_MARGIN = 5.0  # a lead over the runner-up beyond this says nothing more
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


class _Sentence(NamedTuple):
    rank: int  # of its passage
    start: int  # in the article
    end: int
    text: str
    vector: np.ndarray | None  # None: no reading stored for its passage
    entities: list[EntitySpan]


@dataclass(frozen=True)
class Candidate:
    """One sentence of a passage, its features and its score `z` (see the module doc)."""

    passage: Passage
    start: int  # in the article
    end: int
    text: str
    features: dict[str, float]
    z: float
    answers: tuple[EntitySpan, ...]  # entities of the expected type, article offsets
    entities: tuple[EntitySpan, ...] = ()  # all of the sentence's named entities
    span: Span | None = None  # the learned reader's answer span, sentence offsets

    @property
    def confidence(self) -> float:
        return _sigmoid(self.z)


class ShortPick(NamedTuple):
    """The short answer, the quoted sentence it is in, and how well it fits the question:
    the MiniLM cosine of its text and the focus noun (0 without either) and its steps
    down the answer type's labels as a share of them (0: the first label)."""

    short: ShortAnswer
    source: Candidate
    focus_fit: float
    label_step: float


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
    """Answer with a short fact (when asked for one) and 1-3 quoted sentences.

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
    ) -> None:
        self._analyzer = analyzer
        self._idf = idf
        self._questions = questions
        self._readings = readings
        self._embed_query = embed_query
        self._embed_texts = embed_texts  # entity texts for `_focus_similarity`
        self._settings = settings or AnswerSettings()
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
        if analysis.answer_type in STRICT_TYPES:  # no name, date or number: no answer
            ranked = [c for c in ranked if c.answers]
        if not ranked:
            return Reading(analysis, [], [], {}, 0.0)
        chosen = self._choose(ranked)
        pick = self._pick_short(chosen, analysis)
        coverage, missing = self._passage_coverage(question, ranked[0].passage)
        features = answer_features(ranked, analysis, asked_on, coverage, pick) | {
            "missing": missing
        }
        w = self._settings.answerability
        z = w.bias + sum(getattr(w, name) * value for name, value in features.items())
        confidence = _sigmoid(z)
        if not features["passage_coverage"] or (
            not features["lexical"] and features["semantic"] < self._settings.min_semantic_unshared
        ):
            confidence = 0.0  # no word of the question in its passage, or neither its words
            # nor its sense in the sentence: what it would quote is about something else
        return Reading(analysis, ranked, chosen, features, confidence, pick)

    def rank_sentences(
        self,
        question: str,
        passages: Sequence[Passage],
        history: Sequence[Turn] = (),
        analysis: QuestionAnalysis | None = None,
        *,
        shortlist: int | None = None,
    ) -> list[Candidate]:
        """Every distinct sentence of the passages with its score, best first (all of
        them: scoring is cheap here, `shortlist` is for readers for which it is not)."""
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
        candidates = []
        for (rank, start, end, text, vector, entities), sentence_terms in zip(
            sentences, terms, strict=True
        ):
            passage = passages[rank]
            found = set(sentence_terms)
            answers = tuple(e for e in entities if _fits(e, text, start, analysis))
            names, numbers = constraints[rank]
            features = {
                "semantic": float(vector @ query) if vector is not None else 0.0,
                "lexical": sum(w for t, w in asked.items() if t in found) / total if total else 0.0,
                "has_answer": float(bool(answers)) if analysis.labels else 0.0,
                "names": names,
                "numbers": numbers,
                "rank": 1.0 / (rank + 1),
            }
            candidates.append(
                Candidate(
                    passage, start, end, text, features, self._z(features), answers, tuple(entities)
                )
            )
        candidates.sort(key=lambda c: c.z, reverse=True)
        return candidates

    def _z(self, features: dict[str, float]) -> float:
        w = self._settings.weights
        return (
            w.bias
            + w.semantic * features["semantic"]
            + w.lexical * features["lexical"]
            + w.has_answer * features["has_answer"]
            + w.names * features["names"]
            + w.numbers * features["numbers"]
            + w.rank * features["rank"]
        )

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
        """The best sentence, the one before it when it opens by pointing back ("This is
        why…"), close runners-up (its neighbours first), then the next best up to
        `sure_sentences` and, past them, those within `runner_up_margin` of the best, up
        to `max_sentences`; best first, after the sentence it points back to."""
        best = ranked[0]
        context: list[Candidate] = []
        if _points_back(best.text):
            context = [
                c
                for c in ranked[1:]
                if c.passage.article_id == best.passage.article_id and 0 <= best.start - c.end <= 2
            ][:1]
        chosen = [*context, best][-self._settings.max_sentences :]  # best, if room for one
        for other in ranked[1:]:
            if len(chosen) >= self._settings.max_sentences:
                break
            if other in chosen:
                continue
            adjacent = other.passage.article_id == best.passage.article_id and (
                0 <= other.start - best.end <= 2
            )
            if (adjacent and other.z >= best.z - 1.0) or other.z >= best.z - 0.25:
                chosen.append(other)
        # The rest of the room goes to the next best sentences: a second piece of evidence
        # holds the answer about as often as the best one misses it (eval/results); past
        # `sure_sentences`, only while they score close to the best.
        for other in (c for c in ranked[1:] if c not in chosen):
            if len(chosen) >= self._settings.max_sentences or (
                len(chosen) >= self._settings.sure_sentences
                and other.z < best.z - self._settings.runner_up_margin
            ):
                break
            chosen.append(other)
        return chosen

    def _pick_short(
        self, chosen: Sequence[Candidate], analysis: QuestionAnalysis
    ) -> ShortPick | None:
        """The short answer among the quoted sentences' entities of the expected type."""
        holding = [c for c in chosen if c.answers]
        if not holding and analysis.answer_type is None and analysis.focus is not None:
            # "Which classic comedy ...?", "Which vegetable ...?": a focus noun of no known
            # type asks for a name or a thing; the short answer is one of the quoted
            # sentences' names or noun phrases (not one the question gives) that fits it.
            analysis = replace(analysis, labels=(*NAME_LABELS, NOUN_PHRASE))
            asks_name = bool({"name", "named", "called"} & analysis.asked_words)
            phrases = (
                [[] for _ in chosen]  # "What is the name of ...": a name, not a thing
                if asks_name
                else self._questions.noun_phrases([c.text for c in chosen], analysis.asked_words)
            )
            holding = []
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
        return self._short_answer(holding, analysis)

    def _short_answer(
        self, holding: Sequence[Candidate], analysis: QuestionAnalysis
    ) -> ShortPick | None:
        """The entity of the expected type in the quoted sentences that scores highest
        (`ShortAnswerWeights`), the sentence it is in, and its fit."""
        pairs = [(c, e) for c in holding for e in c.answers]
        if not pairs:
            return None
        w = self._settings.short_answer
        best_z = max(c.z for c in holding)

        def score(pair: tuple[Candidate, EntitySpan]) -> float:
            """The score without the focus noun's fit."""
            candidate, entity = pair
            text, offset = candidate.passage.text, candidate.passage.start
            steps = analysis.labels.index(entity.label) if analysis.answer_type else 0
            phrase = entity.label == NOUN_PHRASE  # a thing, not a name: names go first
            if analysis.answer_type == "duration" and not _names_time_unit(text, offset, entity):
                steps += len(analysis.labels)  # "how long": "27 years" before any "December"
            attached = _extend_to_focus(text, offset, entity.end, analysis.focus) > entity.end
            beside = _beside_focus(text, offset, entity, analysis.focus)
            return (
                -w.sentence * (best_z - candidate.z)
                - w.label * steps
                - w.distance * _distance_to_question(candidate, entity, analysis) / 100
                + w.attached * attached
                + w.beside * beside
                - w.noun_phrase * phrase
            )

        base = [score(pair) for pair in pairs]
        # The fit adds at most `focus` (a cosine of 1): only the candidates within that
        # of the best are embedded; the others cannot catch up.
        reach = [i for i, b in enumerate(base) if b >= max(base) - w.focus]
        similarity = [0.0] * len(pairs)
        for i, fit in zip(
            reach, self._focus_similarity([pairs[i] for i in reach], analysis.focus), strict=True
        ):
            similarity[i] = fit
        scores = _share_full_names(
            pairs, [b + w.focus * fit for b, fit in zip(base, similarity, strict=True)]
        )
        best = max(range(len(pairs)), key=lambda i: (scores[i], _span_length(pairs[i][1])))
        candidate, entity = pairs[best]
        text, offset = candidate.passage.text, candidate.passage.start
        start, end = _widen(candidate, entity, analysis.focus)
        short = ShortAnswer(
            text=text[start - offset : end - offset],
            article_id=candidate.passage.article_id,
            start=start,
            end=end,
        )
        steps = analysis.labels.index(entity.label) if entity.label in analysis.labels else 0
        return ShortPick(
            short, candidate, similarity[best], steps / max(len(analysis.labels) - 1, 1)
        )

    def _focus_similarity(
        self, pairs: Sequence[tuple[Candidate, EntitySpan]], focus: str | None
    ) -> list[float]:
        """MiniLM cosine of the focus noun ("automaker") and each entity's text: the
        type a question asks for, finer than any NER label. 0 without a focus noun or an
        embedder of texts."""
        if focus is None or self._embed_texts is None or len(pairs) < 2:
            return [0.0] * len(pairs)  # one candidate: nothing to choose (no embedding)
        texts = [
            c.passage.text[e.start - c.passage.start : e.end - c.passage.start] for c, e in pairs
        ]
        vectors = self._embed_texts([focus, *dict.fromkeys(texts)])
        by_text = dict(zip(dict.fromkeys(texts), vectors[1:], strict=True))
        return [float(by_text[t] @ vectors[0]) for t in texts]

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
        "score": best.z,
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
        "focus_fit": short.focus_fit if short is not None else 0.0,
        "label_step": short.label_step if short is not None else 0.0,
    }


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


def _names_time_unit(text: str, offset: int, entity: EntitySpan) -> bool:
    """'27 years', 'three months' name a span of time; 'December' does not."""
    words = text[entity.start - offset : entity.end - offset].lower().split()
    return any(singular(bare_word(w)) in TIME_UNITS for w in words)


def _span_length(entity: EntitySpan) -> int:
    return entity.end - entity.start


def _share_full_names(
    pairs: Sequence[tuple[Candidate, EntitySpan]], scores: list[float]
) -> list[float]:
    """A person's full name scores as well as a later mention by surname: "Chris Pratt"
    takes the score of "Pratt" when that is higher (and wins the tie by length)."""
    texts = [c.passage.text[e.start - c.passage.start : e.end - c.passage.start] for c, e in pairs]
    shared = list(scores)
    for i, (_, entity) in enumerate(pairs):
        if entity.label != "PERSON":
            continue
        for j, (_, other) in enumerate(pairs):
            if other.label == "PERSON" and texts[j].endswith(" " + texts[i]):
                shared[j] = max(shared[j], scores[i])
    return shared


TITLE_WORDS = 3  # most words of a title kept before a name ("Transportation Secretary")
_TITLE_WORD = re.compile(r"[A-Z][A-Za-z]*\.?(?:-[a-z]+)?")  # "Speaker", "Sen.", "President-elect"
_DATE_TIME_JOINS = (" at ", ", ", " ")


def _widen(candidate: Candidate, entity: EntitySpan, focus: str | None) -> tuple[int, int]:
    """The short answer's span: the entity with the focus noun after it ("85 targets"),
    a person with the title before the name ("House Speaker Kevin McCarthy") and a date
    with the time after it ("Sunday, Nov. 5 at 2 a.m."), all inside its sentence."""
    text, offset = candidate.passage.text, candidate.passage.start
    start, end = entity.start, _extend_to_focus(text, offset, entity.end, focus)
    if entity.label == "PERSON":
        start = _title_start(candidate, entity)
    elif entity.label == "DATE" and end == entity.end:
        for other in candidate.entities:
            joint = text[entity.end - offset : other.start - offset]
            if other.label == "TIME" and joint in _DATE_TIME_JOINS:
                end = other.end
    return start, end


@cache
def _stop_words() -> frozenset[str]:
    return frozenset(english_stopwords())


def _title_start(candidate: Candidate, entity: EntitySpan) -> int:
    """Where the capitalised title words just before a person's name start: up to
    `TITLE_WORDS` of them, none part of another entity, no stop word ("When Kim ...")."""
    offset = candidate.passage.start
    before = candidate.passage.text[candidate.start - offset : entity.start - offset]
    taken = {(e.start, e.end) for e in candidate.entities}
    start = entity.start
    for _ in range(TITLE_WORDS):
        head = before[: start - candidate.start]
        word = head.rstrip(" ").rsplit(" ", 1)[-1]
        if not head.endswith(" ") or not _TITLE_WORD.fullmatch(word):
            break
        word_start = candidate.start + len(head.rstrip(" ")) - len(word)
        inside = any(a <= word_start < b for a, b in taken)
        if inside or word.lower().rstrip(".") in _stop_words():
            break
        start = word_start
    return start


FOCUS_REACH_WORDS = 4  # how near a name its focus noun stands, either side


def _beside_focus(text: str, offset: int, entity: EntitySpan, focus: str | None) -> bool:
    """The focus noun among the `FOCUS_REACH_WORDS` words before or after the entity."""
    if not focus:
        return False
    stem = focus[: max(len(focus) - 1, 3)]
    start, end = entity.start - offset, entity.end - offset
    before = [w for w in map(bare_word, text[:start].lower().split()) if w][-FOCUS_REACH_WORDS:]
    after = [w for w in map(bare_word, text[end:].lower().split()) if w][:FOCUS_REACH_WORDS]
    return any(word.startswith(stem) for word in (*before, *after))


def _extend_to_focus(text: str, offset: int, end: int, focus: str | None) -> int:
    """'85' -> '85 targets' when the next word is the question's focus noun."""
    if not focus:
        return end
    rest = text[end - offset :]
    stripped = rest.lstrip(" ")
    word = stripped.split(" ", 1)[0].rstrip(".,;:")
    if word and word.lower().startswith(focus[: max(len(focus) - 1, 3)]):
        return end + (len(rest) - len(stripped)) + len(word)
    return end
