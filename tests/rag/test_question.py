"""Answer typing with the real spaCy model: what a question asks for."""

from __future__ import annotations

import pytest

from rag.answer.question import QuestionAnalyzer

ANALYZER = QuestionAnalyzer()


@pytest.mark.parametrize(
    ("question", "answer_type"),
    [
        ("How many targets did U.S. airstrikes hit on Feb. 2?", "number"),
        ("On what date were three Americans killed?", "date"),
        ("Which embattled celebrity was found liable in a battery case?", "person"),
        ("Which major US retailer is slashing prices?", "organization"),
        ("Who is Aron Lund?", None),  # names its subject: asks for a description
        ("Who is the prime minister of Iraq?", "person"),  # the role it links to asks for one
        ("What did the mayor of Springfield promise every resident?", None),
        ("Why is the goal of the U.S. strategy a limited one?", None),
        ("What was the inflation rate in the euro area in January?", "percent"),
    ],
)
def test_the_expected_answer_type_comes_from_the_parse(question: str, answer_type: str) -> None:
    assert ANALYZER.analyze(question).answer_type == answer_type


def test_the_question_names_and_numbers_are_its_constraints() -> None:
    analysis = ANALYZER.analyze("Which team did Serena Williams beat in the 22nd round?")
    assert "Serena Williams" in analysis.names
    assert "22nd" in analysis.numbers


def test_a_name_is_its_words_without_the_article() -> None:
    assert ANALYZER.analyze("Who won the Boston Marathon?").names == ("Boston Marathon",)
