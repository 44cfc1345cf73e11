"""The reader's fits: a feature that tells answers apart gets the weight."""

from __future__ import annotations

import numpy as np

from eval.fit_reader import (
    ANSWER_FEATURES,
    FEATURES,
    Judged,
    Ranked,
    fit,
    fit_confidence,
    outcomes,
)


def _question(rng: np.random.Generator, answerable: bool) -> Ranked:
    features = rng.uniform(0, 1, size=(20, len(FEATURES)))
    labels = np.zeros(20)
    if answerable:  # the answer sentence is the one most similar to the question
        best = int(rng.integers(20))
        features[best, FEATURES.index("semantic")] = 1.5
        labels[best] = 1.0
    return Ranked("set", answerable, features, labels)


def test_the_ranker_gives_the_telling_feature_the_largest_weight() -> None:
    rng = np.random.default_rng(0)
    theta = fit([_question(rng, answerable=i % 4 != 0) for i in range(200)])
    weights = dict(zip(FEATURES, theta[1:], strict=True))
    assert max(weights, key=lambda f: abs(weights[f])) == "semantic"
    assert weights["semantic"] > 0


def _answer(rng: np.random.Generator, set_name: str, answerable: bool) -> Judged:
    features = rng.uniform(0, 1, size=len(ANSWER_FEATURES))
    telling = ANSWER_FEATURES.index("names_in_sentence")
    features[telling] = rng.uniform(0.6, 1.0) if answerable else rng.uniform(0.0, 0.5)
    return Judged(set_name, answerable, features, right=answerable)


def test_the_confidence_learns_what_separates_right_answers_and_refuses_the_rest() -> None:
    rng = np.random.default_rng(1)
    judged = [_answer(rng, f"set{i % 2}", answerable=i % 3 != 0) for i in range(300)]
    judged.append(Judged("set0", True, None, False))  # nothing to quote: always refused
    theta = fit_confidence(judged)
    weights = dict(zip(ANSWER_FEATURES, theta[1:], strict=True))
    assert max(weights, key=lambda f: abs(weights[f])) == "names_in_sentence"
    table = outcomes(judged, {"set0": theta, "set1": theta})
    assert table["set1"]["0.5"]["abstention_recall"] > 0.9
    assert table["set1"]["0.5"]["right"] > 0.9
    assert table["set0"]["0.1"]["false_abstention"] > 0  # the question with nothing quoted
    assert table["set1"]["0.1"]["abstention_recall"] <= table["set1"]["0.5"]["abstention_recall"]
