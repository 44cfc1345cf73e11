"""The reader's fits: a feature that tells answers apart gets the weight."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from eval.fit_reader import (
    ANSWER_FEATURES,
    Judged,
    confidences,
    fit_confidence,
    outcomes,
    reliability,
    short_outcomes,
)
from eval.plots import reliability_plot
from rag.settings import AnswerabilityWeights, AnswerSettings, SentenceWeights
from tests.conftest import ROOT


def _answer(rng: np.random.Generator, set_name: str, answerable: bool) -> Judged:
    features = {f: float(rng.uniform(0, 1)) for f in ANSWER_FEATURES}
    features["names_in_sentence"] = rng.uniform(0.6, 1.0) if answerable else rng.uniform(0, 0.5)
    return Judged(set_name, answerable, features, answerable)


def test_the_confidence_learns_what_separates_right_answers_and_refuses_the_rest() -> None:
    rng = np.random.default_rng(1)
    judged = [_answer(rng, f"set{i % 2}", answerable=i % 3 != 0) for i in range(300)]
    judged.append(Judged("set0", True, None, False))  # nothing quoted
    theta = fit_confidence(judged)
    weights = dict(zip(ANSWER_FEATURES, theta[1:], strict=True))
    assert max(weights, key=lambda f: abs(weights[f])) == "names_in_sentence"
    conf = confidences(judged, theta)
    assert conf[-1] == 0.0  # nothing quoted: never answered
    table = outcomes(judged, conf)
    assert table["set1"]["0.5"]["abstention_recall"] > 0.9
    assert table["set1"]["0.5"]["right"] > 0.9
    assert table["set0"]["0.2"]["false_abstention"] > 0  # the question with nothing quoted
    assert table["set1"]["0.2"]["abstention_recall"] <= table["set1"]["0.5"]["abstention_recall"]
    bins = reliability(judged, conf)
    assert sum(b["n"] for b in bins) == len(judged)
    assert bins[-1]["observed"] > 0.9 and bins[0]["observed"] < 0.1  # it is calibrated


def test_the_short_answer_table_says_what_a_span_threshold_shows_and_gets_right() -> None:
    features = {f: 0.0 for f in ANSWER_FEATURES}
    judged = [
        Judged("news", True, features, True, 6.0, True),
        Judged("news", True, features, True, 1.0, False),
        Judged("news", True, features, False, -3.0, False),
        Judged("news", False, features, False, 8.0, False),  # unanswerable: not counted
        Judged("news", True, None, False),  # nothing quoted: no span
    ]
    always = short_outcomes(judged, -10.0)["news"]
    assert always == {
        "right_always": 0.333,
        "shown": 1.0,
        "right_when_shown": 0.333,
        "right_shown_of_all": 0.333,
    }
    sure = short_outcomes(judged, 2.0)["news"]
    assert sure["shown"] == 0.333 and sure["right_when_shown"] == 1.0


def test_the_shipped_weights_are_those_of_the_committed_fit() -> None:
    fit = json.loads((ROOT / "eval" / "results" / "reader-fit" / "fit.json").read_text())
    assert AnswerabilityWeights().model_dump() == fit["answerability"]
    assert SentenceWeights().model_dump() == fit["sentence"]
    assert str(AnswerSettings().min_span_score) in fit["short_outcomes"]
    assert set(fit["sets"]) == {"squad", "news"}  # held-out training questions only


def test_the_reliability_plot_is_written(tmp_path: Path) -> None:
    bins = [{"bin": "0.0-0.1", "n": 4, "predicted": 0.05, "observed": 0.0}]
    path = reliability_plot({"fitted": bins, "held out": bins}, tmp_path / "r.png")
    assert path.read_bytes().startswith(b"\x89PNG")
