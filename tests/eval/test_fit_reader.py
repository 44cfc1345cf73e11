"""The reader's fits: a feature that tells answers apart gets the weight."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from eval.fit_reader import (
    ANSWER_FEATURES,
    SHORT_FEATURES,
    Judged,
    confidences,
    fit_confidence,
    fit_short,
    outcomes,
    reliability,
    short_accuracy,
)
from eval.plots import reliability_plot
from rag.settings import (
    LearnedAnswerabilityWeights,
    LearnedSentenceWeights,
    LearnedShortAnswerWeights,
)
from tests.conftest import ROOT

NO_CANDIDATES = np.zeros((0, len(SHORT_FEATURES)))


def _candidates(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Eight candidates; the gold one stands nearest the question's words."""
    features = rng.uniform(0, 1, size=(8, len(SHORT_FEATURES)))
    labels = np.zeros(8)
    gold = int(rng.integers(8))
    features[:, SHORT_FEATURES.index("distance")] = rng.uniform(0.8, 2.0, size=8)
    features[gold, SHORT_FEATURES.index("distance")] = rng.uniform(0.0, 0.3)
    labels[gold] = 1.0
    return features, labels


def _answer(rng: np.random.Generator, set_name: str, answerable: bool) -> Judged:
    features = {f: float(rng.uniform(0, 1)) for f in ANSWER_FEATURES}
    features["names_in_sentence"] = rng.uniform(0.6, 1.0) if answerable else rng.uniform(0, 0.5)
    candidates, labels = _candidates(rng)
    return Judged(set_name, answerable, features, answerable, candidates, labels * answerable)


def test_the_short_answer_picker_learns_the_telling_feature() -> None:
    rng = np.random.default_rng(0)
    judged = [_answer(rng, f"set{i % 2}", answerable=True) for i in range(200)]
    theta = fit_short(judged)
    weights = dict(zip(SHORT_FEATURES, theta[1:], strict=True))
    assert max(weights, key=lambda f: abs(weights[f])) == "distance"
    assert weights["distance"] < 0
    assert short_accuracy(judged, theta) == {"set0": 1.0, "set1": 1.0}


def test_the_confidence_learns_what_separates_right_answers_and_refuses_the_rest() -> None:
    rng = np.random.default_rng(1)
    judged = [_answer(rng, f"set{i % 2}", answerable=i % 3 != 0) for i in range(300)]
    judged.append(Judged("set0", True, None, False, NO_CANDIDATES, np.zeros(0)))  # no quote
    short = fit_short(judged)
    theta = fit_confidence(judged, short)
    weights = dict(zip(ANSWER_FEATURES, theta[1:], strict=True))
    assert max(weights, key=lambda f: abs(weights[f])) == "names_in_sentence"
    conf = confidences(judged, short, theta)
    assert conf[-1] == 0.0  # nothing quoted: never answered
    table = outcomes(judged, conf)
    assert table["set1"]["0.5"]["abstention_recall"] > 0.9
    assert table["set1"]["0.5"]["right"] > 0.9
    assert table["set0"]["0.2"]["false_abstention"] > 0  # the question with nothing quoted
    assert table["set1"]["0.2"]["abstention_recall"] <= table["set1"]["0.5"]["abstention_recall"]
    bins = reliability(judged, conf)
    assert sum(b["n"] for b in bins) == len(judged)
    assert bins[-1]["observed"] > 0.9 and bins[0]["observed"] < 0.1  # it is calibrated


def test_the_shipped_weights_are_those_of_the_committed_fit() -> None:
    fit = json.loads((ROOT / "eval" / "results" / "reader-fit" / "fit.json").read_text())
    assert LearnedAnswerabilityWeights().model_dump() == fit["answerability"]
    assert LearnedShortAnswerWeights().model_dump() == fit["short_answer"]
    assert LearnedSentenceWeights().model_dump() == fit["sentence"]
    assert set(fit["sets"]) == {"squad", "news"}  # held-out training questions only


def test_the_reliability_plot_is_written(tmp_path: Path) -> None:
    bins = [{"bin": "0.0-0.1", "n": 4, "predicted": 0.05, "observed": 0.0}]
    path = reliability_plot({"fitted": bins, "held out": bins}, tmp_path / "r.png")
    assert path.read_bytes().startswith(b"\x89PNG")
