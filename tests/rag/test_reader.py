"""The reader: which sentences it quotes, which short answer it picks, and when it
refuses. Mechanics run with a scripted support model; the shipped model and fitted
weights are used where the behaviour is the model's."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from index.catalog import ChunkReading
from index.keyword import Analyzer
from index.nlp import EntitySpan
from index.sentences import sentence_spans
from rag import Assistant, Passage, Settings
from rag.answer.extractive import ExtractiveAnswerer, ReadSentences, answer_features
from rag.answer.question import QuestionAnalyzer
from rag.answer.support import Reading, Span
from rag.settings import AnswerSettings
from tests.fakes import HashingEmbedder

TEXT = (
    "The council met on Monday. Bus fares rose twice last year. "
    "This is why the riders of Elmsby boycotted the trams. The weather was mild."
)
ANALYZER = QuestionAnalyzer()


def scripted(logits: dict[str, float], spans: dict[str, float] | None = None) -> ReadSentences:
    """A reader model that gives each sentence the logit of the first key it contains
    (-5 for none), and as its span the first key of `spans` it holds that `keep`
    accepts, with that key's score."""

    def read(
        question: str, sentences: Sequence[tuple[str, str]], keep: Callable[[str], bool]
    ) -> list[Reading]:
        out = []
        for _, sentence in sentences:
            logit = next((v for k, v in logits.items() if k in sentence), -5.0)
            span = next(
                (
                    Span(sentence.index(k), sentence.index(k) + len(k), score)
                    for k, score in (spans or {}).items()
                    if k in sentence and keep(k)
                ),
                None,
            )
            out.append(Reading(logit, span))
        return out

    return read


def knobs(**changed: float) -> AnswerSettings:
    """Answer settings with the reader's `knobs` changed."""
    return AnswerSettings.model_validate(changed)


def reader(
    settings: AnswerSettings | None = None,
    support: ReadSentences | None = None,
) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(
        Analyzer(),
        lambda term: 1.0,
        ANALYZER,
        readings=lambda ids: {},
        embed_query=lambda text: np.zeros(8, dtype=np.float32),
        settings=settings,
        support=support,
    )


def passage(published: str = "2024-02-10") -> Passage:
    return Passage("c", "a", "", published, "a.txt", TEXT, 0, len(TEXT), 1.0)


def test_the_support_model_ranks_the_sentence_that_answers_first() -> None:
    ranked = reader().rank_sentences("Why did the riders of Elmsby boycott the trams?", [passage()])
    assert ranked[0].text == "This is why the riders of Elmsby boycotted the trams."
    assert [c.z for c in ranked] == sorted((c.z for c in ranked), reverse=True)
    supports = {c.text: c.features["support"] for c in ranked}
    assert max(supports, key=supports.__getitem__) == ranked[0].text  # the model's pick


def test_a_sentence_that_points_back_is_quoted_with_the_one_before() -> None:
    answerer = reader(knobs(min_confidence=0.0))
    answer = answerer.answer("Why did the riders of Elmsby boycott the trams?", [passage()])
    quotes = [c.quote for c in answer.citations]
    assert quotes[:2] == [
        "Bus fares rose twice last year.",
        "This is why the riders of Elmsby boycotted the trams.",
    ]
    for c in answer.citations:
        assert TEXT[c.start : c.end] == c.quote


def test_only_sentences_the_model_scores_as_support_are_quoted_after_the_best() -> None:
    logits = {"council met": 4.0, "weather": 0.5, "Bus fares": -0.5}
    support = scripted(logits, spans=logits)  # the span head agrees, as it mostly does
    answerer = reader(knobs(min_confidence=0.0), support)
    answer = answerer.answer("When did the council meet?", [passage()])
    assert [c.quote for c in answer.citations] == [
        "The council met on Monday.",
        "The weather was mild.",  # p = 0.62 >= 0.5; the bus fares (p = 0.38) are not quoted
    ]
    strict = reader(knobs(min_confidence=0.0, min_support=0.7), support)
    assert len(strict.answer("When did the council meet?", [passage()]).citations) == 1


def test_a_sentence_two_articles_share_is_quoted_once() -> None:
    logits = {"council met": 4.0, "weather": 0.5}
    answerer = reader(knobs(min_confidence=0.0), scripted(logits, spans=logits))
    copy = Passage("c2", "b", "", "2024-02-11", "b.txt", TEXT, 0, len(TEXT), 0.9)
    answer = answerer.answer("When did the council meet?", [passage(), copy])
    assert [c.quote for c in answer.citations] == [
        "The council met on Monday.",
        "The weather was mild.",
    ]  # each once, from the first article: the copy's equal sentences are not repeated
    assert {c.article_id for c in answer.citations} == {"a"}


def test_only_the_shortlist_nearest_the_question_is_scored() -> None:
    seen: list[int] = []

    def counting(
        question: str, sentences: Sequence[tuple[str, str]], keep: Callable[[str], bool]
    ) -> list[Reading]:
        seen.append(len(sentences))
        return [Reading(0.0, None) for _ in sentences]

    ranked = reader(knobs(support_candidates=2), counting).rank_sentences(
        "Why did the riders of Elmsby boycott the trams?", [passage()]
    )
    assert seen == [2] and len(ranked) == 2
    assert "This is why the riders of Elmsby boycotted the trams." in [c.text for c in ranked]


def test_the_confidence_falls_with_the_age_of_the_story_on_the_day_asked() -> None:
    question = "Why did the riders of Elmsby boycott the trams?"
    fresh = reader().read(question, [passage()], asked_on=date(2024, 2, 12))
    old = reader().read(question, [passage()], asked_on=date(2026, 2, 12))
    assert 0 < fresh.features["age"] < 0.25 < 0.9 < old.features["age"]
    assert old.confidence < fresh.confidence


def test_the_words_of_a_name_the_passage_lacks_count_against_it() -> None:
    analysis = ANALYZER.analyze("Who won the Boston Marathon?")
    ranked = reader().rank_sentences("Who won the Boston Marathon?", [passage()], (), analysis)
    features = answer_features(ranked, ranked[:1], analysis, None, 1.0)
    assert analysis.names and features["names"] == 0.0  # "the" is in TEXT, Boston is not


def test_numbers_of_the_question_match_whole_numbers_only() -> None:
    question = "How many targets did the strikes hit on February 5?"
    analysis = ANALYZER.analyze(question)
    text = "The strikes on Feb. 2 hit 85 targets in 2,500 square miles."
    other = Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)
    (best, *_) = reader().rank_sentences(question, [other], (), analysis)
    assert analysis.numbers == ("5",) and best.features["numbers"] == 0.0
    same = Passage("c", "a", "", "", "a.txt", text.replace("Feb. 2", "Feb. 5"), 0, len(text), 1.0)
    (best, *_) = reader().rank_sentences(question, [same], (), analysis)
    assert best.features["numbers"] == 1.0


@pytest.mark.parametrize(
    "question",
    ["What is the recipe for banana bread?", "Who won the Boston Marathon?"],
)
def test_a_question_the_passage_does_not_answer_is_refused(question: str) -> None:
    answer = reader().answer(question, [passage()])
    assert answer.abstained and not answer.citations
    assert reader().read(question, [passage()]).confidence < AnswerSettings().min_confidence


def test_the_term_a_passage_lacks_is_weighed_by_its_share_of_the_question() -> None:
    idf = {"boston": 3.0, "marathon": 1.0}
    answerer = ExtractiveAnswerer(
        Analyzer(),
        lambda term: idf.get(term, 1.0),
        ANALYZER,
        readings=lambda ids: {},
        embed_query=lambda text: np.zeros(8, dtype=np.float32),
    )
    text = "Mara Quint won the Elmsby Half Marathon on Sunday."
    p = Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)
    reading = answerer.read("Who won the Boston Marathon?", [p])
    assert reading.features["missing"] > 0.5  # "boston": most of the question's weight
    held = answerer.read("Who won the Elmsby Half Marathon?", [p])
    assert held.features["missing"] == 0.0


def reader_with(
    text: str,
    entities: tuple[EntitySpan, ...],
    support: ReadSentences | None = None,
    min_span_score: float = 0.0,
) -> ExtractiveAnswerer:
    """A reader whose one passage `text` has `entities` stored, as ingest would."""
    spans = tuple(sentence_spans(text))
    reading = ChunkReading(spans, entities, np.zeros((len(spans), 8), dtype=np.float32))
    return ExtractiveAnswerer(
        Analyzer(),
        lambda term: 1.0,
        ANALYZER,
        readings=lambda ids: {"c": reading},
        embed_query=lambda q: np.zeros(8, dtype=np.float32),
        settings=knobs(min_confidence=0.0, min_span_score=min_span_score),
        support=support,
    )


def find(text: str, entity: str, label: str) -> EntitySpan:
    start = text.index(entity)
    return EntitySpan(start, start + len(entity), label)


def whole(text: str) -> Passage:
    return Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)


def test_the_short_answer_is_the_span_of_the_best_scored_quoted_sentence() -> None:
    # The head scores "Monday" higher, but in a sentence the model ranks second: span
    # scores say where the answer would be in a sentence, not which sentence holds it.
    text = "The new bridge reaches Elmsby. The council opened the new bridge on Monday."
    support = scripted({"reaches": 3.0, "opened": 1.0}, {"Elmsby": 1.0, "Monday": 4.0})
    answerer = reader_with(text, (), support=support)
    answer = answerer.answer("To which town does the new bridge lead?", [whole(text)])
    assert [c.quote for c in answer.citations] == [
        "The new bridge reaches Elmsby.",
        "The council opened the new bridge on Monday.",
    ]
    assert answer.short_answer is not None and answer.short_answer.text == "Elmsby"
    assert text[answer.short_answer.start : answer.short_answer.end] == "Elmsby"
    assert answer.text.startswith("Elmsby [1].")


def test_no_short_answer_when_no_quoted_span_reaches_the_threshold() -> None:
    text = "The council opened the new bridge over the river on Monday. It reaches Elmsby."
    unsure = scripted({"bridge": 3.0, "reaches": 1.0}, {"Elmsby": 0.5, "Monday": -2.0})
    reading = reader_with(text, (), support=unsure, min_span_score=1.0).read(
        "Where to?", [whole(text)]
    )
    assert reading.short is None
    assert reading.features["span"] == 0.5  # the confidence reads the best span all the same
    sure = scripted({"bridge": 3.0, "reaches": 1.0}, {"Elmsby": 2.5, "Monday": -2.0})
    reading = reader_with(text, (), support=sure, min_span_score=1.0).read(
        "Where to?", [whole(text)]
    )
    assert reading.short is not None and reading.short.short.text == "Elmsby"
    assert reading.features["span"] == 2.5


@pytest.mark.parametrize(
    ("question", "given"),
    [
        ("Who attacked the americans?", "Americans"),
        ("Which comedy did the BBC revive?", "BBC"),
        ("Which blog does Joel Wing write?", "Joel Wing"),
    ],
)
def test_a_short_answer_never_repeats_a_name_the_question_gives(question: str, given: str) -> None:
    text = f"{given} was named in the report that Dunholt published on Musings."
    support = scripted({"report": 3.0}, {given: 5.0, "Musings": 1.0})
    answer = reader_with(text, (), support=support).answer(question, [whole(text)])
    assert answer.short_answer is not None and answer.short_answer.text == "Musings"


def test_the_shipped_model_points_at_the_fact_asked_for() -> None:
    text = "The Elmsby Courier named Ada Lowe editor on Monday. The paper is sold in Dunholt."
    answerer = reader_with(text, (), min_span_score=AnswerSettings().min_span_score)
    person = answerer.read("Who did the Elmsby Courier name editor?", [whole(text)])
    assert person.short is not None and person.short.short.text == "Ada Lowe"
    place = answerer.read("Where is the paper sold?", [whole(text)])
    assert place.short is not None and place.short.short.text == "Dunholt"


@pytest.fixture
def seeded(tmp_path: Path, corpus: Path) -> Assistant:
    """An assistant over the seeds (hashing embedder)."""
    assistant = Assistant(Settings(home=tmp_path / "home"), embedder=HashingEmbedder())
    assistant.ingest([corpus])
    return assistant


def test_the_assistant_answers_with_the_shipped_model_and_exact_spans(seeded: Assistant) -> None:
    assert isinstance(seeded.reader, ExtractiveAnswerer)
    answer = seeded.ask("How many targets did U.S. airstrikes hit on Feb. 2?")
    assert not answer.abstained and "85 targets" in answer.text
    for c in answer.citations:
        assert seeded.article(c.article_id).text[c.start : c.end] == c.quote
    short = answer.short_answer
    assert short is not None  # the span head's, an exact span of the article
    assert seeded.article(short.article_id).text[short.start : short.end] == short.text


def test_an_article_inside_a_name_is_no_evidence_that_the_passage_holds_it() -> None:
    # TEXT holds "the" (and every passage does) but neither "Boston" nor "Marathon".
    question = "Who won the Boston Marathon?"
    analysis = ANALYZER.analyze(question)
    answerer = reader(support=scripted({"boycotted": 1.0}))
    ranked = answerer.rank_sentences(question, [passage()], (), analysis)
    assert answer_features(ranked, ranked[:1], analysis, None, 1.0)["names"] == 0.0
