"""The metric functions against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from eval import metrics as m
from eval.bootstrap import mean_ci, ratio_ci


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The  Biden administration.", "biden administration"),
        ("“Lose-lose” choice!", "lose lose choice"),
        ("the 2,500 American troops", "2500 american troops"),
        ("An Iraq expert", "iraq expert"),
    ],
)
def test_normalize_drops_case_punctuation_articles_and_extra_spaces(
    text: str, expected: str
) -> None:
    assert m.normalize(text) == expected


def test_contains_matches_whole_words_after_normalising() -> None:
    assert m.contains("It hit 85 targets in seven locations.", "85 Targets")
    assert m.contains("the 2,500 American troops based in Iraq", "2500 american troops")
    assert not m.contains("it hit 850 targets", "85")
    assert not m.contains("anything", "")


def test_first_hit_rank_and_hit_at_k_and_reciprocal_rank() -> None:
    passages = ["nothing here", "still nothing", "Kataib Hezbollah commander", "Kataib"]
    rank = m.first_hit_rank(passages, ["kataib hezbollah"])
    assert rank == 3
    assert [m.hit_at(rank, k) for k in (1, 3, 5)] == [0.0, 1.0, 1.0]
    assert m.reciprocal_rank(rank) == pytest.approx(1 / 3)
    assert m.first_hit_rank(passages, ["Hezbollah leader"]) is None
    assert m.hit_at(None, 10) == 0.0
    assert m.reciprocal_rank(11, k=10) == 0.0


def test_targets_prefer_the_evidence_over_the_answers() -> None:
    assert m.targets(["85"], "hit 85 targets") == ["hit 85 targets"]
    assert m.targets(["85", "85 targets"], None) == ["85", "85 targets"]


def test_hit_within_words_reads_only_the_budget() -> None:
    passages = ["one two three four", "five six seven answer"]
    assert m.hit_within_words(passages, ["answer"], 8) == 1.0
    assert m.hit_within_words(passages, ["answer"], 7) == 0.0
    assert m.hit_within_words(passages, ["four five"], 6) == 1.0  # across a passage boundary


def test_token_f1_known_values() -> None:
    assert m.token_f1("about 40 militiamen", "about 40") == pytest.approx(0.8)  # P 2/3, R 1
    assert m.token_f1("The New Lines Institute", "New Lines Institute") == 1.0
    assert m.token_f1("Musings on Iraq", "Hezbollah") == 0.0
    assert m.token_f1("", "") == 1.0
    assert m.best_token_f1("seven locations", ["85", "seven"]) == pytest.approx(2 / 3)
    assert m.best_token_f1("anything", []) == 0.0


def test_percentile() -> None:
    assert m.percentile([10.0, 20.0, 30.0, 40.0, 50.0], 50) == 30.0
    assert m.percentile(list(range(101)), 95) == pytest.approx(95.0)
    assert math.isnan(m.percentile([], 50))


def test_best_sentence_picks_the_sentence_sharing_most_question_words() -> None:
    passages = [
        "The strikes began at night. Officials gave no details.",
        "U.S. airstrikes on Feb. 2 hit 85 targets in seven locations. It was cold.",
    ]
    best = m.best_sentence("How many targets did the airstrikes hit?", passages)
    assert best == "U.S. airstrikes on Feb. 2 hit 85 targets in seven locations."


def test_ratio_ci_contains_the_value_and_is_reproducible() -> None:
    values = [1.0] * 30 + [0.0] * 10
    value, low, high = mean_ci(values)
    assert value == pytest.approx(0.75)
    assert low < value < high
    assert low > 0.55 and high < 0.9  # about ±1.96 * sqrt(.75 * .25 / 40) = ±0.13
    assert mean_ci(values) == (value, low, high)


def test_ratio_ci_ignores_undefined_values_and_handles_empty_sets() -> None:
    value, low, high = mean_ci([1.0, None, 1.0, None])
    assert (value, low, high) == (1.0, 1.0, 1.0)
    assert all(math.isnan(x) for x in mean_ci([None, None]))
    assert all(math.isnan(x) for x in ratio_ci([], []))


def test_short_answer_scores_follow_squad_and_count_a_missing_short_answer_as_zero() -> None:
    from eval.pipelines import Run
    from eval.questions import Question
    from eval.scoring import short_scores

    question = Question("q", "How many targets?", ("85 targets", "85"))
    given = Run("85 targets [1].", False, (), 0, short_answers=True, short_answer="The 85 targets")
    assert short_scores(question, given) == {
        "short_em": 1.0,
        "short_f1": 1.0,
        "short_containment": 1.0,
    }
    longer = Run("", False, (), 0, short_answers=True, short_answer="about 85 new targets")
    scores = short_scores(question, longer)
    assert scores["short_em"] == 0.0 and scores["short_containment"] == 1.0
    assert 0.5 < scores["short_f1"] < 1.0
    quote_only = Run("They struck.", False, (), 0, short_answers=True)
    assert set(short_scores(question, quote_only).values()) == {0.0}
    baseline = Run("They struck.", False, (), 0)  # a pipeline without short answers
    assert set(short_scores(question, baseline).values()) == {None}
    unanswerable = Question("u", "Who?", ())
    assert set(short_scores(unanswerable, given).values()) == {None}
