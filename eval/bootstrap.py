"""Percentile bootstrap confidence intervals over questions.

Every aggregate the evaluator reports is a ratio of two per-question sums (a mean
is sum(value) / sum(defined); abstention precision is sum(abstained and
unanswerable) / sum(abstained)), so one vectorised function covers them all.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RESAMPLES = 1000


def ratio_ci(
    numerators: Sequence[float],
    denominators: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(value, low, high) of sum(numerators) / sum(denominators), resampling questions.

    Resamples whose denominator is zero are left out; NaN when nothing is defined.
    """
    num = np.asarray(numerators, dtype=float)
    den = np.asarray(denominators, dtype=float)
    if not len(den) or den.sum() == 0:
        return float("nan"), float("nan"), float("nan")
    value = float(num.sum() / den.sum())
    draws = np.random.default_rng(seed).integers(0, len(den), size=(resamples, len(den)))
    num_sums, den_sums = num[draws].sum(axis=1), den[draws].sum(axis=1)
    defined = den_sums > 0
    stats = num_sums[defined] / den_sums[defined]
    tail = (1 - confidence) / 2 * 100
    return value, float(np.percentile(stats, tail)), float(np.percentile(stats, 100 - tail))


def mean_ci(values: Sequence[float | None], *, seed: int = 0) -> tuple[float, float, float]:
    """(value, low, high) of the mean of the defined (not None) values."""
    defined = [0.0 if v is None else 1.0 for v in values]
    return ratio_ci([v or 0.0 for v in values], defined, seed=seed)
