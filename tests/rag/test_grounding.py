"""The check of a generated answer, on a small hand-written article (no index, no model)."""

from __future__ import annotations

import pytest

from index.keyword import Analyzer
from rag.answer.grounding import Claim, Grounder, split_claims
from rag.types import Passage

ARTICLE = (
    "Header line.\n\n"
    "The bakery on Elm Street opened in 1998. Its owner, Maria Lopez, bakes 400 loaves a day.\n\n"
    "The city council voted on Tuesday to close Elm Street to cars. "
    "Lopez said the closure would hurt her business."
)


def passage(text: str, n: int) -> Passage:
    start = ARTICLE.index(text)
    return Passage(
        f"c{n}", "a1", "Elm Street", "2024-05-02", "a1.txt", text, start, start + len(text), 1.0
    )


BAKERY = passage(
    "The bakery on Elm Street opened in 1998. Its owner, Maria Lopez, bakes 400 loaves a day.", 1
)
COUNCIL = passage(
    "The city council voted on Tuesday to close Elm Street to cars. "
    "Lopez said the closure would hurt her business.",
    2,
)
PASSAGES = [BAKERY, COUNCIL]


@pytest.fixture(scope="module")
def grounder() -> Grounder:
    return Grounder(Analyzer(), idf=lambda term: 1.0)


@pytest.mark.parametrize(
    ("reply", "claims"),
    [
        ("It opened in 1998 [1].", [Claim("It opened in 1998.", (1,))]),
        (
            "It opened in 1998. [1] Lopez owns it [1, 2].",
            [
                Claim("It opened in 1998.", (1,)),
                Claim("Lopez owns it.", (1, 2)),
            ],
        ),
        ("- **Opened:** in 1998 [Passage 1][2]", [Claim("Opened: in 1998", (1, 2))]),
        ("[1] [2]", []),
        ("", []),
    ],
)
def test_split_claims_reads_markers_wherever_the_model_puts_them(
    reply: str, claims: list[Claim]
) -> None:
    assert split_claims(reply) == claims


def test_a_supported_sentence_cites_its_exact_span(grounder: Grounder) -> None:
    [checked] = grounder.check("Maria Lopez bakes 400 loaves every day [1].", PASSAGES)

    assert checked.support is not None
    support = checked.support
    assert ARTICLE[support.start : support.end] == support.quote
    assert support.quote == "Its owner, Maria Lopez, bakes 400 loaves a day."


def test_a_number_the_passage_does_not_state_is_unsupported(grounder: Grounder) -> None:
    [checked] = grounder.check("Maria Lopez bakes 4,000 loaves a day [1].", PASSAGES)

    assert checked.support is None


def test_a_wrong_marker_is_moved_to_the_supporting_passage(grounder: Grounder) -> None:
    [checked] = grounder.check("The council voted to close Elm Street to cars [1].", PASSAGES)

    assert checked.support is not None
    assert checked.support.passage == COUNCIL
    assert checked.moved


def test_framing_words_neither_help_nor_hurt(grounder: Grounder) -> None:
    [checked] = grounder.check(
        "According to the passages, Lopez argued the closure would hurt her business.", PASSAGES
    )

    assert checked.support is not None
    assert checked.support.quote == "Lopez said the closure would hurt her business."


def test_a_claim_spread_over_two_sentences_quotes_both(grounder: Grounder) -> None:
    [checked] = grounder.check(
        "The council voted to close Elm Street, which Lopez said would hurt her business.",
        PASSAGES,
    )

    assert checked.support is not None
    assert checked.support.quote == COUNCIL.text


def test_an_invented_sentence_is_unsupported(grounder: Grounder) -> None:
    [checked] = grounder.check("The mayor resigned after protests downtown [2].", PASSAGES)

    assert checked.support is None
