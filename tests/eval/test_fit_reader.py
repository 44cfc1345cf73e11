"""The reader's weight fit: a feature that tells answers apart gets the weight."""

from __future__ import annotations

import numpy as np

from eval.fit_reader import FEATURES, Ranked, fit, outcomes


def _question(rng: np.random.Generator, answerable: bool) -> Ranked:
    features = rng.uniform(0, 1, size=(20, len(FEATURES)))
    labels = np.zeros(20)
    if answerable:  # the answer sentence is the one most similar to the question
        best = int(rng.integers(20))
        features[best, 0] = 1.5
        labels[best] = 1.0
    return Ranked("set", answerable, features, labels)


def test_the_telling_feature_gets_the_largest_weight_and_ranks_the_answer_first() -> None:
    rng = np.random.default_rng(0)
    ranked = [_question(rng, answerable=i % 4 != 0) for i in range(200)]
    theta = fit(ranked)
    weights = dict(zip(FEATURES, theta[1:], strict=True))
    assert max(weights, key=lambda f: abs(weights[f])) == "semantic"
    assert weights["semantic"] > 0
    table = outcomes(ranked, theta)["set"]
    # A threshold of 0.1: answerable questions are answered with the answer sentence...
    assert table["0.1"]["right"] > 0.9
    # ...and the higher the threshold, the more unanswerable ones are refused.
    assert table["0.5"]["abstention_recall"] >= table["0.1"]["abstention_recall"]
