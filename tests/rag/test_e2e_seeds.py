"""End to end with the real all-MiniLM-L6-v2 over seeds/: right facts, exact citations."""

from __future__ import annotations

import pytest

from rag import Answer, Assistant, Turn

pytestmark = pytest.mark.slow

FACTUAL = [
    ("How many targets did the US airstrikes hit on February 2?", "85 targets"),
    ("How many militiamen were killed in the Feb. 2 strikes?", "about 40 militiamen"),
    ("When were three Americans killed?", "January 28"),
    ("How many U.S. troops were injured in the deadly drone attack?", "more than 40"),
    ("Who is the author of the blog Musings on Iraq?", "Joel Wing"),
    ("Where does Michael Knights work?", "Washington Institute"),
    ("Which aircraft took part in the US airstrikes on February 2?", "B-1 Lancer"),
    ("How many American troops are based in Iraq?", "2,500"),
    ("Who is Nicholas Heras?", "New Lines Institute"),
    ("What is the name of the blog Joel Wing writes?", "Musings on Iraq"),
    ("How many locations were hit in Iraq and Syria?", "seven locations"),
    ("Since when have the militias been confronting the United States?", "early 2000s"),
    ("What is the U.S. strategy against the militants?", "inflict enough damage"),
]

OFF_TOPIC = [
    "What is the recipe for banana bread?",
    "Who won the 2022 football World Cup?",
    "What is the capital of Australia?",
]


def assert_citations_exact(assistant: Assistant, answer: Answer) -> None:
    for citation in answer.citations:
        text = assistant.article(citation.article_id).text
        assert text[citation.start : citation.end] == citation.quote
        assert f"[{citation.n}]" in answer.text


@pytest.mark.parametrize(("question", "fact"), FACTUAL)
def test_factual_question_gets_the_fact_with_an_exact_citation(
    real_assistant: Assistant, question: str, fact: str
) -> None:
    answer = real_assistant.ask(question)
    assert not answer.abstained, answer.text
    assert fact in answer.text
    assert any(fact in c.quote for c in answer.citations)
    assert_citations_exact(real_assistant, answer)


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_question_the_corpus_cannot_answer_abstains(
    real_assistant: Assistant, question: str
) -> None:
    answer = real_assistant.ask(question)
    assert answer.abstained, answer.text
    assert answer.text.startswith("The corpus does not say")
    assert answer.citations == ()
    assert answer.passages, "an abstention still lists the closest passages"


def test_follow_up_question_uses_the_conversation(real_assistant: Assistant) -> None:
    first = real_assistant.ask("Who is Aron Lund?")
    assert "Lund" in first.text
    follow_up = real_assistant.ask(
        "What did he say about the air attack threat?",
        history=[Turn("user", "Who is Aron Lund?"), Turn("assistant", first.text)],
    )
    assert not follow_up.abstained
    assert "Lund" in follow_up.passages[0].text
    assert "paralyze" in follow_up.text
    assert_citations_exact(real_assistant, follow_up)
