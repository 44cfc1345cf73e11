"""The default answerer: a reader that quotes the sentences answering the question, and
the fact itself as a short answer. No LLM. Every decision is made by models trained or
fitted on `../shared/training/` only, never on the benchmarks.

1. **Reading** (`rag/answer/support.py`): a MiniLM model trained for newsrag reads the
   `support_candidates` sentences nearest the question (MiniLM cosine of the sentence
   vector stored at ingest, plus the share of the question's idf-weighted terms), each
   shown with its article's title, and gives each a support logit and its best answer
   span (a span head, as extractive QA models have).
2. **Sentence score** (`SentenceWeights`): a logistic model over the support logit, the
   span head's score and the retrieval's features ranks them. The answer quotes the best
   sentence (after the one before it when it opens by pointing back: "This is why…") and
   the others the support model gives at least `min_support`, up to `max_sentences`.
3. **Short answer**: the span head's answer in the best-scored quoted sentence (when its
   score reaches `min_span_score`, by default always); a span whose words the question
   already gives never is. Every quote and short answer is an exact slice of its article.
4. **Confidence** (`AnswerabilityWeights`): the fitted probability that the answer is
   right; below `min_confidence` it abstains ("The corpus does not say…") and still
   lists the closest passages.

`python -m eval.train_reader` trains the model, `python -m eval.fit_reader` the two
logistic models (`make train-reader`); their scores are in eval/results/README.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import numpy as np

from index.catalog import ChunkReading
from index.keyword import Analyzer
from index.sentences import sentence_spans
from rag.answer.base import abstention_text
from rag.answer.changes import Change, find_change, long_date
from rag.answer.question import QuestionAnalysis, QuestionAnalyzer
from rag.answer.support import Reading as SentenceReading
from rag.answer.support import Span, SupportScorer
from rag.settings import AnswerSettings
from rag.timewindow import resolve_window
from rag.types import Answer, Citation, Passage, ReportedValue, ShortAnswer, Turn

MAX_SCORE = 10.0  # span scores and support logits are clipped to ±this
MAX_MARGIN = 5.0  # a lead over the runner-up beyond this says nothing more
_NUMBER = re.compile(r"\d[\d,.]*(?:st|nd|rd|th)?", re.IGNORECASE)
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
# (question, [(title, sentence)], keep) -> one reading per sentence
ReadSentences = Callable[
    [str, Sequence[tuple[str, str]], Callable[[str], bool]], list[SentenceReading]
]


class _Sentence(NamedTuple):
    rank: int  # of its passage
    start: int  # in the article
    end: int
    text: str
    vector: np.ndarray | None  # None: no reading stored for its passage


@dataclass(frozen=True)
class Candidate:
    """One sentence of a passage, its features, its score `z` and the span head's answer
    in it (sentence offsets)."""

    passage: Passage
    start: int  # in the article
    end: int
    text: str
    features: dict[str, float]
    z: float
    span: Span | None = None

    @property
    def confidence(self) -> float:
        return _sigmoid(self.z)


class Pick(NamedTuple):
    """The short answer, the quoted sentence it is in, and its span's score."""

    short: ShortAnswer
    source: Candidate
    score: float


class Reading(NamedTuple):
    """What the reader made of one question: the ranked candidates, the quoted ones, the
    answer's features (`answer_features`), its confidence and the short answer."""

    analysis: QuestionAnalysis
    ranked: list[Candidate]
    chosen: list[Candidate]
    features: dict[str, float]
    confidence: float
    short: Pick | None = None
    change: Change | None = None  # the reports give different values (`changes`)


class ExtractiveAnswerer:
    """Answer with a short fact and 1-3 quoted sentences (see the module doc).

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
        support: ReadSentences | None = None,
    ) -> None:
        self._analyzer = analyzer
        self._idf = idf
        self._questions = questions
        self._readings = readings
        self._embed_query = embed_query
        self._settings = settings or AnswerSettings()
        self._support = support or SupportScorer.shared().read
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
        chosen = list(reading.chosen)
        change = reading.change
        if change is not None:  # every report of the value is cited
            chosen += [c for c in change.reports if c not in chosen]
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
            for n, c in enumerate(chosen, start=1)
        )
        number = {(c.article_id, c.start): c.n for c in citations}
        pick = reading.short
        if change is not None and change.kind == "update":
            pick = _pick_of(change.reports[0])  # the newest value is the answer
        values = (
            tuple(_reported(c, number[(c.passage.article_id, c.start)]) for c in change.reports)
            if change is not None
            else ()
        )
        quoted = " ".join(f"{c.quote} [{c.n}]" for c in citations)
        if values:
            text = f"{_change_text(change, values)} {quoted}"
        elif pick is not None:
            n = number[(pick.source.passage.article_id, pick.source.start)]
            text = f"{pick.short.text} [{n}]. {quoted}"
        else:
            text = quoted
        kind = change.kind if change is not None else None
        return Answer(
            question,
            text,
            False,
            citations,
            tuple(passages),
            short_answer=pick.short if pick is not None else None,
            answer_type=answer_type,
            confidence=confidence,
            updates=values if kind == "update" else (),
            conflict=values if kind == "conflict" else (),
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
        pick = _pick_span(chosen, self._settings.min_span_score)
        coverage, missing = self._passage_coverage(question, ranked[0].passage)
        features = answer_features(ranked, chosen, analysis, asked_on, coverage) | {
            "missing": missing
        }
        w = self._settings.answerability
        z = w.bias + sum(getattr(w, name) * value for name, value in features.items())
        change = None
        if pick is not None:
            # A question that names its time ("last month") asks for that time's value.
            timed = resolve_window(self._questions.parse(question), asked_on or date.today())
            min_logit = _logit(self._settings.min_support)
            change = find_change(
                pick.source,
                ranked,
                min_logit,
                self._questions.parse_sentence,
                updates=timed is None,
            )
        return Reading(analysis, ranked, chosen, features, _sigmoid(z), pick, change)

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
        readings = self._support(
            question,
            [(passages[s.rank].title, s.text) for s, _ in rows],
            lambda text: not self._repeats_question(text, question_terms),
        )
        w = self._settings.sentence
        candidates = []
        for (s, features), (logit, span) in zip(rows, readings, strict=True):
            features["support"] = float(logit)
            features["span"] = clip_score(span.score if span is not None else -MAX_SCORE)
            z = w.bias + sum(getattr(w, name) * value for name, value in features.items())
            candidates.append(
                Candidate(passages[s.rank], s.start, s.end, s.text, features, z, span)
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
        threshold = _logit(self._settings.min_support)
        quoted = {_wording(c.text) for c in chosen}
        for other in ranked[1:]:
            if len(chosen) >= limit:
                break
            # The same sentence in another article (a wire paragraph reused, a copy
            # too short for the near-duplicate sketch) is quoted once, at its best rank.
            if other in chosen or _wording(other.text) in quoted:
                continue
            if other.features["support"] >= threshold:
                chosen.append(other)
                quoted.add(_wording(other.text))
        return chosen

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
            else:  # a passage from a retriever of the caller's own: no stored reading
                spans = [
                    (passage.start + s, passage.start + e) for s, e in sentence_spans(passage.text)
                ]
                vectors = None
            for i, (start, end) in enumerate(spans):
                if (passage.article_id, start) in seen:
                    continue
                seen.add((passage.article_id, start))
                text = passage.text[start - passage.start : end - passage.start]
                vector = vectors[i] if vectors is not None and len(vectors) > i else None
                out.append(_Sentence(rank, start, end, text, vector))
        return out

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


def _pick_span(chosen: Sequence[Candidate], min_score: float) -> Pick | None:
    """The short answer: the span the span head reads in the best-scored quoted sentence
    that has one of at least `min_score`. The head scores a span as if its sentence held
    the answer, so its scores do not compare across sentences: the sentence score does."""
    spans = [(c, c.span) for c in chosen if c.span is not None and c.span.score >= min_score]
    if not spans:
        return None
    return _pick_of(max(spans, key=lambda pair: pair[0].z)[0])


def _pick_of(candidate: Candidate) -> Pick:
    """The short answer `candidate`'s span makes."""
    span = candidate.span
    assert span is not None
    short = ShortAnswer(
        text=candidate.text[span.start : span.end],
        article_id=candidate.passage.article_id,
        start=candidate.start + span.start,
        end=candidate.start + span.end,
    )
    return Pick(short, candidate, span.score)


def _reported(candidate: Candidate, n: int) -> ReportedValue:
    pick = _pick_of(candidate).short
    passage = candidate.passage
    return ReportedValue(
        pick.text, passage.date, passage.title, n, pick.article_id, pick.start, pick.end
    )


def _change_text(change: Change | None, values: Sequence[ReportedValue]) -> str:
    """ "31, as of 5 March 2024 [2]; earlier 12, on 3 March 2024 [1]." or "Sources
    differ: 2,000 (Elmsby Post, 12 May 2024) [1]; 10,000 (…) [2]." """
    if change is not None and change.kind == "conflict":
        each = "; ".join(f"{v.value} ({v.title}, {long_date(v.date)}) [{v.n}]" for v in values)
        return f"Sources differ: {each}."
    newest, *earlier = values
    before = "; ".join(f"{v.value}, on {long_date(v.date)} [{v.n}]" for v in earlier)
    return f"{newest.value}, as of {long_date(newest.date)} [{newest.n}]; earlier {before}."


def _wording(sentence: str) -> str:
    """A sentence's words, case and spacing aside: equal for two copies of it."""
    return " ".join(sentence.casefold().split())


def clip_score(value: float) -> float:
    """A support logit or span score clipped to ±`MAX_SCORE` (as the fits saw them)."""
    return max(min(value, MAX_SCORE), -MAX_SCORE)


def answer_features(
    ranked: Sequence[Candidate],
    chosen: Sequence[Candidate],
    analysis: QuestionAnalysis,
    asked_on: date | None,
    passage_coverage: float,
) -> dict[str, float]:
    """Features of the answer the best candidate makes, and the span head's score for
    the best span of its quotes (`AnswerabilityWeights`)."""
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
