"""The reader's own rules: context for a sentence that points back, and a confidence
that falls for a story much older than the day asked."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import numpy as np

from index.catalog import ChunkReading
from index.keyword import Analyzer
from index.nlp import EntitySpan
from index.sentences import sentence_spans
from rag import Passage
from rag.answer import ExtractiveAnswerer
from rag.answer.extractive import answer_features
from rag.answer.question import QuestionAnalyzer
from rag.settings import AnswerSettings

TEXT = (
    "The council met on Monday. Bus fares rose twice last year. "
    "This is why the riders of Elmsby boycotted the trams. The weather was mild."
)


def reader(settings: AnswerSettings | None = None) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(
        Analyzer(),
        lambda term: 1.0,
        QuestionAnalyzer(),
        readings=lambda ids: {},
        embed_query=lambda text: np.zeros(8, dtype=np.float32),
        settings=settings,
    )


def passage(published: str = "2024-02-10") -> Passage:
    return Passage("c", "a", "", published, "a.txt", TEXT, 0, len(TEXT), 1.0)


def test_a_sentence_that_points_back_is_quoted_with_the_one_before() -> None:
    answer = reader().answer("Why did the riders of Elmsby boycott the trams?", [passage()])
    quotes = [c.quote for c in answer.citations]
    assert quotes[:2] == [
        "Bus fares rose twice last year.",
        "This is why the riders of Elmsby boycotted the trams.",
    ]
    for c in answer.citations:
        assert TEXT[c.start : c.end] == c.quote


def test_the_confidence_falls_with_the_age_of_the_story_on_the_day_asked() -> None:
    question = "Why did the riders of Elmsby boycott the trams?"
    fresh = reader().read(question, [passage()], asked_on=date(2024, 2, 12))
    old = reader().read(question, [passage()], asked_on=date(2026, 2, 12))
    undated = reader().read(question, [passage()])
    assert undated.features["age"] == 0.0
    assert 0 < fresh.features["age"] < 0.25 < 0.9 < old.features["age"]
    assert old.confidence < fresh.confidence < undated.confidence


def test_the_words_of_a_name_the_passage_lacks_count_against_it() -> None:
    analysis = QuestionAnalyzer().analyze("Who won the Boston Marathon?")
    ranked = reader().rank_sentences("Who won the Boston Marathon?", [passage()], (), analysis)
    features = answer_features(ranked, analysis, None, 1.0)
    assert analysis.names and features["names"] < 1.0


def test_numbers_of_the_question_match_whole_numbers_only() -> None:
    question = "How many targets did the strikes hit on February 5?"
    analysis = QuestionAnalyzer().analyze(question)
    text = "The strikes on Feb. 2 hit 85 targets in 2,500 square miles."
    other = Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)
    (best, *_) = reader().rank_sentences(question, [other], (), analysis)
    assert analysis.numbers == ("5",) and best.features["numbers"] == 0.0
    same = Passage("c", "a", "", "", "a.txt", text.replace("Feb. 2", "Feb. 5"), 0, len(text), 1.0)
    (best, *_) = reader().rank_sentences(question, [same], (), analysis)
    assert best.features["numbers"] == 1.0


def test_an_article_inside_a_name_is_no_evidence_that_the_passage_holds_it() -> None:
    # TEXT holds "the" (and every passage does) but neither "Boston" nor "Marathon".
    analysis = QuestionAnalyzer().analyze("Who won the Boston Marathon?")
    ranked = reader().rank_sentences("Who won the Boston Marathon?", [passage()], (), analysis)
    assert answer_features(ranked, analysis, None, 1.0)["names"] == 0.0


def test_the_answer_quotes_the_next_best_sentence_as_well_when_there_is_room() -> None:
    answer = reader().answer("How did the council meet on Monday?", [passage()])
    assert len(answer.citations) == 2  # sure_sentences, although the runner-up scores far lower
    assert answer.citations[0].quote == "The council met on Monday."


def test_a_third_sentence_is_quoted_only_within_the_runner_up_margin_of_the_best() -> None:
    question = "How did the council meet on Monday?"

    def quoted(margin: float) -> int:
        answerer = reader(AnswerSettings(runner_up_margin=margin))
        return len(answerer.answer(question, [passage()]).citations)

    assert quoted(0.0) == 2 and quoted(100.0) == 3


def test_the_short_answer_comes_from_the_best_quoted_sentence_that_holds_the_fact() -> None:
    text = "The council opened the new bridge over the river on Monday. It reaches Elmsby."
    first, second = (0, 59), (60, len(text))
    reading = ChunkReading(
        sentences=(first, second),
        entities=(EntitySpan(50, 56, "DATE"), EntitySpan(71, 77, "GPE")),
        vectors=np.zeros((2, 8), dtype=np.float32),
    )
    elmsby = ExtractiveAnswerer(
        Analyzer(),
        lambda term: 1.0,
        QuestionAnalyzer(),
        readings=lambda ids: {"c": reading},
        embed_query=lambda q: np.zeros(8, dtype=np.float32),
    )
    bridge = Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)
    answer = elmsby.answer(
        "To which town did the council open the new bridge over the river?", [bridge]
    )
    best, _ = elmsby.rank_sentences(answer.question, [bridge])
    assert best.text == text[slice(*first)] and not best.answers  # the best names no place...
    assert answer.short_answer is not None and answer.short_answer.text == "Elmsby"
    assert text[answer.short_answer.start : answer.short_answer.end] == "Elmsby"
    assert answer.text.startswith("Elmsby [2].")  # ...the second quoted one does


def test_a_best_sentence_sharing_neither_words_nor_sense_with_the_question_is_no_answer() -> None:
    off_topic = reader().read("What is the recipe for banana bread?", [passage()])
    assert off_topic.chosen and off_topic.features["lexical"] == 0.0
    assert off_topic.confidence == 0.0
    assert reader().answer("What is the recipe for banana bread?", [passage()]).abstained
    on_topic = reader().read("Why did the riders of Elmsby boycott the trams?", [passage()])
    assert on_topic.confidence > 0.0


def test_a_passage_holding_no_word_of_the_question_gives_no_answer_whatever_its_vectors() -> None:
    spans = tuple(sentence_spans(TEXT))
    unit = np.full(8, 8**-0.5, dtype=np.float32)  # every sentence "means" the question
    reading = ChunkReading(spans, (), np.tile(unit, (len(spans), 1)))
    similar = ExtractiveAnswerer(
        Analyzer(),
        lambda term: 1.0,
        QuestionAnalyzer(),
        readings=lambda ids: {"c": reading},
        embed_query=lambda text: unit,
    )
    off_topic = similar.read("What is the recipe for banana bread?", [passage()])
    assert off_topic.features["semantic"] > 0.99 and off_topic.features["passage_coverage"] == 0
    assert off_topic.confidence == 0.0
    on_topic = similar.read("Why did the riders of Elmsby boycott the trams?", [passage()])
    assert on_topic.confidence > 0.0


def reader_with(
    text: str,
    entities: tuple[EntitySpan, ...],
    embed_texts: Callable[[Sequence[str]], np.ndarray] | None = None,
) -> ExtractiveAnswerer:
    """A reader whose one passage `text` has `entities` stored, as ingest would."""
    spans = tuple(sentence_spans(text))
    reading = ChunkReading(spans, entities, np.zeros((len(spans), 8), dtype=np.float32))
    return ExtractiveAnswerer(
        Analyzer(),
        lambda term: 1.0,
        QuestionAnalyzer(),
        readings=lambda ids: {"c": reading},
        embed_query=lambda q: np.zeros(8, dtype=np.float32),
        embed_texts=embed_texts,
    )


def find(text: str, entity: str, label: str) -> EntitySpan:
    start = text.index(entity)
    return EntitySpan(start, start + len(entity), label)


def test_the_number_the_focus_noun_follows_is_the_short_answer() -> None:
    text = "More than 40,000 staff from Network Rail and 13 train operators will strike."
    entities = (find(text, "More than 40,000", "CARDINAL"), find(text, "13", "CARDINAL"))
    question = "How many staff from the train operators will strike?"  # "13" is nearer "train"
    p = Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)
    answer = reader_with(text, entities).answer(question, [p])
    assert answer.short_answer is not None
    assert answer.short_answer.text == "More than 40,000 staff"


def test_the_name_in_a_dateline_is_no_answer() -> None:
    text = "(CNN) The Seattle Storm lost to the Aces on Tuesday in Sue Bird's final game."
    cnn, storm = find(text, "CNN", "ORG"), find(text, "Seattle Storm", "ORG")
    question = "Which team did Sue Bird play her final game for?"
    p = Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)
    answer = reader_with(text, (cnn, storm)).answer(question, [p])
    assert answer.short_answer is not None and answer.short_answer.text == "Seattle Storm"
    only_byline = reader_with(text, (cnn,)).answer(question, [p])
    assert only_byline.short_answer is None


def test_a_which_question_of_no_known_type_gets_a_name_the_question_does_not_give() -> None:
    text = "Fawlty Towers, the classic BBC comedy, is to be revived with John Cleese."
    entities = (
        find(text, "Fawlty Towers", "WORK_OF_ART"),
        find(text, "BBC", "ORG"),
        find(text, "John Cleese", "PERSON"),
    )
    question = "Which classic BBC comedy is to be revived?"
    analysis = QuestionAnalyzer().analyze(question)
    assert analysis.answer_type is None and analysis.focus == "comedy"  # no known type
    p = Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)
    answer = reader_with(text, entities).answer(question, [p])
    assert answer.short_answer is not None
    assert answer.short_answer.text == "Fawlty Towers"  # nearest "comedy"; BBC is asked
    assert text[answer.short_answer.start : answer.short_answer.end] == "Fawlty Towers"
    why = reader_with(text, entities).answer("Why is the comedy being revived?", [p])
    assert why.short_answer is None  # no focus noun: sentences only


def test_the_name_that_fits_the_focus_noun_is_the_short_answer() -> None:
    # NHTSA stands nearer the question's words; "automaker" means Volkswagen.
    text = "Volkswagen is calling back 114,000 cars, NHTSA said of the airbag recall on Monday."
    entities = (find(text, "Volkswagen", "ORG"), find(text, "NHTSA", "ORG"))
    kinds = {"automaker": 0, "Volkswagen": 0, "NHTSA": 1}

    def embed_texts(texts: Sequence[str]) -> np.ndarray:
        return np.eye(8, dtype=np.float32)[[kinds[t] for t in texts]]

    def short(embed: Callable[[Sequence[str]], np.ndarray] | None) -> str | None:
        answerer = reader_with(text, entities, embed)
        p = Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)
        answer = answerer.answer("Which automaker announced an airbag recall?", [p])
        return answer.short_answer.text if answer.short_answer else None

    assert short(None) == "NHTSA"  # nearest the question's words
    assert short(embed_texts) == "Volkswagen"


def test_the_short_answer_may_come_from_a_quoted_sentence_below_the_best() -> None:
    text = "The agency CalRecycle will enforce the ban on plastic bags. California passed the ban."
    entities = (find(text, "CalRecycle", "ORG"), find(text, "California", "GPE"))
    kinds = {"state": 0, "California": 0, "CalRecycle": 1}
    answerer = reader_with(
        text, entities, lambda texts: np.eye(8, dtype=np.float32)[[kinds[t] for t in texts]]
    )
    p = Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)
    answer = answerer.answer("Which state will ban plastic bags?", [p])
    best, _ = answerer.rank_sentences(answer.question, [p])
    assert best.text.startswith("The agency CalRecycle")
    assert answer.short_answer is not None and answer.short_answer.text == "California"
    assert answer.text.startswith("California [2].")


def test_a_full_name_in_the_quotes_is_the_short_answer_over_its_surname() -> None:
    text = "Chris Pratt starred in the film. The role of the pilot went to Pratt in May."
    entities = (find(text, "Chris Pratt", "PERSON"), find(text, "Pratt in", "PERSON"))
    entities = (entities[0], EntitySpan(entities[1].start, entities[1].start + 5, "PERSON"))
    p = Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)
    answer = reader_with(text, entities).answer("Who got the role of the pilot?", [p])
    assert answer.short_answer is not None and answer.short_answer.text == "Chris Pratt"
    alone = reader_with(text, entities[1:]).answer("Who got the role of the pilot?", [p])
    assert alone.short_answer is not None and alone.short_answer.text == "Pratt"


def test_a_name_the_question_gives_in_the_plural_is_no_short_answer() -> None:
    text = "Three American soldiers died in an attack that Dunholt was blamed for."
    entities = (find(text, "American", "NORP"), find(text, "Dunholt", "GPE"))
    p = Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)
    answer = reader_with(text, entities).answer("Who attacked the Americans?", [p])
    assert answer.short_answer is not None and answer.short_answer.text == "Dunholt"


def test_the_answer_features_say_whether_and_how_well_a_short_answer_fits() -> None:
    text = "The Elmsby Courier named Ada Lowe editor. The paper is sold in Dunholt."
    entities = (find(text, "Ada Lowe", "PERSON"), find(text, "Dunholt", "GPE"))
    kinds = {"newspaper": 0, "Elmsby Courier": 1, "Ada Lowe": 2, "Dunholt": 3}

    def embed_texts(texts: Sequence[str]) -> np.ndarray:
        return np.eye(8, dtype=np.float32)[[kinds[t] for t in texts]]

    p = Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)
    person = reader_with(text, entities, embed_texts).read("Who did the paper name editor?", [p])
    assert person.short is not None and person.short.short.text == "Ada Lowe"
    assert person.features["short_missing"] == 0.0 and person.features["label_step"] == 0.0
    paper = reader_with(text, entities, embed_texts).read("Which newspaper named an editor?", [p])
    assert paper.short is None and paper.features["short_missing"] == 1.0  # no ORG stored
    two = "The Elmsby Courier and the Dunholt Star named Ada Lowe editor."
    papers = (find(two, "Elmsby Courier", "ORG"), find(two, "Dunholt Star", "ORG"))
    fits = reader_with(two, papers, lambda t: np.ones((len(t), 8), dtype=np.float32) / 8**0.5)
    both = Passage("c", "a", "", "", "a.txt", two, 0, len(two), 1.0)
    found = fits.read("Which newspaper named an editor?", [both])
    assert found.short is not None and found.features["focus_fit"] > 0.99


def test_the_term_a_passage_lacks_is_weighed_by_its_share_of_the_question() -> None:
    idf = {"boston": 3.0, "marathon": 1.0}
    answerer = ExtractiveAnswerer(
        Analyzer(),
        lambda term: idf.get(term, 1.0),
        QuestionAnalyzer(),
        readings=lambda ids: {},
        embed_query=lambda text: np.zeros(8, dtype=np.float32),
    )
    text = "Mara Quint won the Elmsby Half Marathon on Sunday."
    p = Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)
    reading = answerer.read("Who won the Boston Marathon?", [p])
    assert reading.features["missing"] > 0.5  # "boston": most of the question's weight
    held = answerer.read("Who won the Elmsby Half Marathon?", [p])
    assert held.features["missing"] == 0.0


def test_a_person_short_answer_keeps_the_title_before_the_name() -> None:
    text = "On Tuesday House Speaker Kevin McCarthy called for an impeachment inquiry."
    entities = (find(text, "Tuesday", "DATE"), find(text, "Kevin McCarthy", "PERSON"))
    p = Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)
    answer = reader_with(text, entities).answer("Who called for an impeachment inquiry?", [p])
    assert answer.short_answer is not None
    assert answer.short_answer.text == "House Speaker Kevin McCarthy"  # not "On Tuesday ..."
    assert text[answer.short_answer.start : answer.short_answer.end] == answer.short_answer.text
    plain = "When Kevin McCarthy called for an inquiry, the House voted."
    p = Passage("c", "a", "", "", "a.txt", plain, 0, len(plain), 1.0)
    answer = reader_with(plain, (find(plain, "Kevin McCarthy", "PERSON"),)).answer(
        "Who called for an inquiry?", [p]
    )
    assert answer.short_answer is not None and answer.short_answer.text == "Kevin McCarthy"


def test_a_date_short_answer_takes_the_time_after_it() -> None:
    text = "Daylight saving time ends on Sunday, Nov. 5 at 2 a.m. this year."
    entities = (find(text, "Sunday, Nov. 5", "DATE"), find(text, "2 a.m.", "TIME"))
    p = Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)
    answer = reader_with(text, entities).answer("When does daylight saving time end?", [p])
    assert answer.short_answer is not None
    assert answer.short_answer.text == "Sunday, Nov. 5 at 2 a.m."


def test_how_long_is_answered_by_a_span_of_time_not_a_month() -> None:
    text = "Rates hit their highest level since December, the first such peak in 27 years."
    entities = (find(text, "December", "DATE"), find(text, "27 years", "DATE"))
    p = Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)
    question = "For how long were rates not at their highest level?"
    assert QuestionAnalyzer().analyze(question).answer_type == "duration"
    answer = reader_with(text, entities).answer(question, [p])
    assert answer.short_answer is not None and answer.short_answer.text == "27 years"
    assert QuestionAnalyzer().analyze("Rates peaked in how many years?").answer_type == "duration"


def test_a_thing_the_focus_noun_asks_for_may_be_a_noun_phrase_but_a_name_asked_is_a_name() -> None:
    text = "Cucumbers sold in 14 states were recalled over salmonella."
    kinds = {"vegetable": 0, "Cucumbers": 0}

    def embed_texts(texts: Sequence[str]) -> np.ndarray:
        return np.eye(8, dtype=np.float32)[[kinds.get(t, 1 + len(t) % 7) for t in texts]]

    answerer = reader_with(text, (find(text, "14", "CARDINAL"),), embed_texts)
    p = Passage("c", "a", "", "", "a.txt", text, 0, len(text), 1.0)
    answer = answerer.answer("Which vegetable was recalled over salmonella?", [p])
    assert answer.short_answer is not None and answer.short_answer.text == "Cucumbers"
    named = answerer.answer("What is the name of the vegetable recalled over salmonella?", [p])
    assert named.short_answer is None  # no name in the quote


def test_a_noun_phrase_headed_by_a_word_of_the_question_keeps_only_its_compounds() -> None:
    analyzer = QuestionAnalyzer()
    text = "A listeria outbreak was linked to the most powerful rocket."
    (spans,) = analyzer.noun_phrases([text], frozenset({"outbreak", "rocket"}))
    assert [text[a:b] for a, b in spans] == ["listeria"]
    (spans,) = analyzer.noun_phrases([text])
    assert [text[a:b] for a, b in spans] == ["listeria outbreak", "most powerful rocket"]
    broken = "The recalled meals were linked to a listeria outbreak\n\nReady-to-eat pasta was sold."
    (spans,) = analyzer.noun_phrases([broken])
    assert "listeria outbreak" in [broken[a:b] for a, b in spans]  # the parse runs on...
    assert all("\n" not in broken[a:b] for a, b in spans)  # ...but a phrase ends at a line
