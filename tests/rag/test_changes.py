"""News that changes: when the reports the reader quotes give different values, the
answer leads with the newest and names the earlier ones (an update), or says the
sources differ (a conflict); reports that agree claim nothing. Run with a scripted
reader model (tests/rag/test_reader.py), so the rules are what is tested."""

from __future__ import annotations

import pytest

from rag import Answer, Passage
from rag.answer.changes import Value, unit_of
from tests.rag.test_reader import ANALYZER, knobs, reader, scripted


def report(article: str, published: str, text: str, title: str = "") -> Passage:
    return Passage(
        article, article, title or article, published, f"{article}.txt", text, 0, len(text), 1.0
    )


FIRST = report("a", "2024-03-03", "At least 12 people were killed in the Varnholt floods.")
LATER = report("b", "2024-03-05", "The death toll in the Varnholt floods rose to 31 on Tuesday.")
SPANS = {"12": 2.0, "31": 2.0, "twelve": 2.0, "2,000": 2.0, "10,000": 2.0, "2000": 2.0}
QUESTION = "How many people died in the Varnholt floods?"


def answer_of(question: str, *passages: Passage, logits: dict[str, float] | None = None) -> Answer:
    support = scripted(logits or {"Varnholt": 10.0, "Elmsby": 10.0}, SPANS)
    return reader(knobs(min_confidence=0.0), support).answer(question, list(passages))


def test_a_value_that_changed_leads_with_the_newest_and_names_the_earlier_one() -> None:
    answer = answer_of(QUESTION, FIRST, LATER)
    assert [v.value for v in answer.updates] == ["31", "12"]
    assert [v.date for v in answer.updates] == ["2024-03-05", "2024-03-03"]
    assert answer.short_answer is not None and answer.short_answer.text == "31"
    newest, earlier = answer.updates
    assert answer.text.startswith(
        f"31, as of 5 March 2024 [{newest.n}]; earlier 12, on 3 March 2024 [{earlier.n}]."
    )
    cited = {c.n: c for c in answer.citations}
    for value, passage in ((newest, LATER), (earlier, FIRST)):  # each cited, span-exact
        assert cited[value.n].article_id == passage.article_id == value.article_id
        assert passage.text[value.start : value.end] == value.value
    assert answer.conflict == ()
    assert answer.to_dict()["updates"][0]["value"] == "31"


def test_the_order_the_reports_are_retrieved_in_does_not_decide_the_newest() -> None:
    answer = answer_of(QUESTION, LATER, FIRST)
    assert [v.value for v in answer.updates] == ["31", "12"]


def test_same_day_reports_that_differ_are_a_conflict_citing_each() -> None:
    police = report("p", "2024-05-12", "Police said 2,000 people marched in Elmsby.", "Post")
    organisers = report(
        "o", "2024-05-12", "Organisers said 10,000 people marched in Elmsby.", "Herald"
    )
    answer = answer_of("How many people marched in Elmsby?", police, organisers)
    assert sorted(v.value for v in answer.conflict) == ["10,000", "2,000"]
    assert answer.text.startswith("Sources differ: ")
    assert "(Post, 12 May 2024)" in answer.text and "(Herald, 12 May 2024)" in answer.text
    assert answer.updates == ()
    assert {v.n for v in answer.conflict} <= {c.n for c in answer.citations}


@pytest.mark.parametrize(
    "later",
    [
        "Twelve people were killed in the Varnholt floods, officials said.",  # a number word
        "Officials in Varnholt confirmed that 12 residents died.",  # the same number
    ],
)
def test_reports_that_agree_claim_no_change(later: str) -> None:
    answer = answer_of(QUESTION, FIRST, report("b", "2024-03-05", later))
    assert answer.updates == () and answer.conflict == ()
    assert answer.text.startswith("12 [")


def test_a_report_the_model_does_not_score_as_answering_is_not_compared() -> None:
    weak = {"At least": 10.0, "death toll": -3.0}  # below min_support (0.5 -> logit 0)
    answer = answer_of(QUESTION, FIRST, LATER, logits=weak)
    assert answer.updates == () and answer.conflict == ()


def test_another_place_s_report_is_no_report_of_this_story() -> None:
    elsewhere = report("c", "2024-03-05", "The death toll in the Dunholt floods rose to 31.")
    answer = answer_of(QUESTION, FIRST, elsewhere, logits={"floods": 10.0})
    assert answer.updates == () and answer.conflict == ()


def test_names_and_places_are_not_compared_only_quantities() -> None:
    # Other stories' answers to a like question differ in name: on realtimeqa-dev,
    # comparing names claimed a change on 22% of the questions, nearly all false.
    first = report("a", "2024-05-02", "Dorian Pask leads Varnholt Water, the board said.")
    later = report("b", "2024-05-21", "Rafael Okonjo leads Varnholt Water, the board said.")
    support = scripted({"Varnholt": 10.0}, {"Dorian Pask": 2.0, "Rafael Okonjo": 2.0})
    answer = reader(knobs(min_confidence=0.0), support).answer(
        "Who leads Varnholt Water?", [first, later]
    )
    assert answer.short_answer is not None
    assert answer.updates == () and answer.conflict == ()


def test_undated_reports_claim_no_change() -> None:
    answer = answer_of(QUESTION, report("a", "", FIRST.text), report("b", "", LATER.text))
    assert answer.updates == () and answer.conflict == ()


@pytest.mark.parametrize(
    ("one", "other", "agree"),
    [
        ("12", "at least 12 people", True),
        ("12,500", "12500", True),
        ("twelve", "12", True),
        ("12", "31", False),
        ("31, up from 19", "19", False),  # the first number is the value
        ("Harriet Oduya", "Oduya", True),
        ("the Elmsby Arena", "Dunholt Town Hall", False),
    ],
)
def test_values_agree_when_they_share_a_number_or_a_content_word(
    one: str, other: str, agree: bool
) -> None:
    assert Value.of(one).comparable(Value.of(other))
    assert Value.of(one).agrees(Value.of(other)) is agree


def test_a_number_and_a_name_are_not_two_values_of_one_thing() -> None:
    assert not Value.of("31").comparable(Value.of("Harriet Oduya"))


@pytest.mark.parametrize(
    ("sentence", "number", "unit"),
    [
        ("The wildfire came within 3 kilometres of the village.", "3", "kilometre"),
        ("The company puts the damage at 8.5 million pounds.", "8.5", "pound"),
        ("Nine employees were injured in the explosion.", "Nine", "employee"),
        ("The death toll rose to 31 on Tuesday.", "31", None),
    ],
)
def test_the_unit_is_the_noun_the_number_counts(
    sentence: str, number: str, unit: str | None
) -> None:
    start = sentence.index(number)
    assert unit_of(ANALYZER.parse(sentence), start, start + len(number)) == unit


def test_numbers_of_different_units_are_different_quantities() -> None:
    assert not Value.of("3", "kilometre").comparable(Value.of("3,450", "hectare"))
    assert not Value.of("14", "people").comparable(Value.of("38", "passenger"))
    assert Value.of("31").comparable(Value.of("12", "people"))  # one names no unit
    assert not Value.of("2007").comparable(Value.of("two decades"))  # a year is no count
    assert not Value.of("102nd").comparable(Value.of("21"))  # nor an ordinal


def test_a_question_that_names_its_time_gets_that_time_s_value_not_an_update() -> None:
    answer = answer_of("How many people died in the Varnholt floods in early March?", FIRST, LATER)
    assert answer.updates == ()
