"""Fit the extractive reader's two sets of weights on dev question sets.

1. The sentence ranker (`answer.weights`): every candidate sentence of an answerable
   question is one example, its features (`Candidate.features`) and whether it holds a
   gold answer. Only with `--fit-ranker`; otherwise the configured weights are kept.
2. The confidence (`answer.answerability`): every question is one example, the
   features of the answer the reader gives (`answer_features`) and whether that answer
   holds a gold answer (never, for a question the corpus cannot answer). Its
   `1/(1+e^-z)` is the probability that the answer is right, which `min_confidence`
   thresholds.

    python -m eval.fit_reader QUESTIONS.jsonl:HOME [QUESTIONS.jsonl:HOME ...] --out FILE

Both are scikit-learn logistic regressions in which each set counts equally (examples
weighted by 1 / the set's number of questions, candidates within a question by 1 /
their number). The report gives, per set and threshold, what `rag eval` will roughly
measure (right = answered with a gold answer in the quote, abstention recall, false
abstention), once for the weights fitted on all sets and once with each set held out
of the confidence fit: the second is what to expect on sets nobody fitted on.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from eval.metrics import contains_any
from eval.questions import Question, load_questions
from rag import Assistant, Settings, Turn
from rag.answer.extractive import ExtractiveAnswerer
from rag.settings import AnswerabilityWeights, ReaderWeights

FEATURES = tuple(f for f in ReaderWeights.model_fields if f != "bias")
ANSWER_FEATURES = tuple(f for f in AnswerabilityWeights.model_fields if f != "bias")
# Feature sets compared held out (`designs` in the report): the answer's own features, and
# those with the short answer's fit and the question term its passage lacks.
SHORT_FEATURES = ("short_missing", "focus_fit", "label_step")
DESIGNS = {
    "answer": tuple(f for f in ANSWER_FEATURES if f not in (*SHORT_FEATURES, "missing")),
    "answer+short": tuple(f for f in ANSWER_FEATURES if f != "missing"),
    "answer+short+missing": ANSWER_FEATURES,
}
THRESHOLDS = (0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)


@dataclass(frozen=True)
class Ranked:
    """One question's candidates as a feature matrix, and which contain a gold answer."""

    set_name: str
    answerable: bool
    features: np.ndarray
    labels: np.ndarray


@dataclass(frozen=True)
class Judged:
    """One question's answer: its features (None: the reader had nothing to quote) and
    whether it holds a gold answer."""

    set_name: str
    answerable: bool
    features: np.ndarray | None
    right: bool


@dataclass(frozen=True)
class DevSet:
    name: str
    questions: list[Question]
    home: Path


def _reader(assistant: Assistant) -> ExtractiveAnswerer:
    reader = assistant.answerer
    if not isinstance(reader, ExtractiveAnswerer):
        raise SystemExit("the reader fit needs answer.mode = extractive")
    return reader


def _history(question: Question) -> list[Turn]:
    return [Turn(t["role"], t["content"]) for t in question.history]


def collect_ranked(dev: DevSet, settings: Settings) -> list[Ranked]:
    """Candidate sentences of each question (stage 1)."""
    assistant = Assistant(settings.model_copy(update={"home": dev.home}))
    reader = _reader(assistant)
    out = []
    for q in tqdm(dev.questions, desc=f"{dev.name} sentences", file=sys.stderr):
        history = _history(q)
        passages = assistant.search(q.question, until=q.date, history=history)
        candidates = reader.rank_sentences(q.question, passages, history)
        matrix = np.array([[c.features[f] for f in FEATURES] for c in candidates], dtype=float)
        labels = np.array(
            [q.answerable and contains_any(c.text, list(q.answers)) for c in candidates],
            dtype=float,
        )
        out.append(Ranked(dev.name, q.answerable, matrix.reshape(-1, len(FEATURES)), labels))
    return out


def collect_judged(dev: DevSet, settings: Settings) -> list[Judged]:
    """The answer the reader gives to each question, and whether it is right (stage 2)."""
    assistant = Assistant(settings.model_copy(update={"home": dev.home}))
    reader = _reader(assistant)
    out = []
    for q in tqdm(dev.questions, desc=f"{dev.name} answers", file=sys.stderr):
        history = _history(q)
        passages = assistant.search(q.question, until=q.date, history=history)
        asked_on = date.fromisoformat(q.date) if q.date else None
        reading = reader.read(q.question, passages, history, asked_on=asked_on)
        if not reading.chosen:
            out.append(Judged(dev.name, q.answerable, None, False))
            continue
        quoted = " ".join(c.text for c in reading.chosen)
        right = q.answerable and contains_any(quoted, list(q.answers))
        vector = np.array([reading.features[f] for f in ANSWER_FEATURES], dtype=float)
        out.append(Judged(dev.name, q.answerable, vector, right))
    return out


def _set_weights(names: Sequence[str]) -> dict[str, float]:
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return {name: 1.0 / count for name, count in counts.items()}


def _logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray, l2: float) -> np.ndarray:
    """Weighted logistic regression (scikit-learn): [bias, *weights]."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0 / l2, max_iter=2000)
    model.fit(x, y, sample_weight=weight / weight.mean())
    return np.r_[model.intercept_, model.coef_[0]]


def fit(ranked: list[Ranked], l2: float = 1e-3) -> np.ndarray:
    """The sentence ranker from answerable questions' candidates: [bias, *weights]."""
    rows = [r for r in ranked if r.answerable and len(r.labels)]
    per_set = _set_weights([r.set_name for r in rows])
    x = np.vstack([r.features for r in rows])
    y = np.concatenate([r.labels for r in rows])
    weight = np.concatenate(
        [np.full(len(r.labels), per_set[r.set_name] / len(r.labels)) for r in rows]
    )
    return _logistic(x, y, weight, l2)


def fit_confidence(
    judged: list[Judged], l2: float = 1e-2, features: Sequence[str] = ANSWER_FEATURES
) -> np.ndarray:
    """The answer confidence from every question the reader quoted for: [bias, *weights]
    over all of `ANSWER_FEATURES`, those not in `features` weighing 0."""
    rows = [j for j in judged if j.features is not None]
    per_set = _set_weights([j.set_name for j in rows])
    used = [ANSWER_FEATURES.index(f) for f in features]
    x = np.vstack([j.features for j in rows if j.features is not None])[:, used]
    y = np.array([j.right for j in rows], dtype=float)
    weight = np.array([per_set[j.set_name] for j in rows])
    fitted = _logistic(x, y, weight, l2)
    theta = np.zeros(len(ANSWER_FEATURES) + 1)
    theta[0] = fitted[0]
    theta[[i + 1 for i in used]] = fitted[1:]
    return theta


def confidence(j: Judged, theta: np.ndarray) -> float:
    if j.features is None:
        return 0.0
    z = float(theta[0] + j.features @ theta[1:])
    return 1.0 / (1.0 + np.exp(-z))


def outcomes(
    judged: list[Judged], theta_for: dict[str, np.ndarray]
) -> dict[str, dict[str, dict[str, float]]]:
    """Per set and threshold: right (answerable, answered, a gold answer quoted), false
    abstention and abstention recall; each set scored with `theta_for[set]`."""
    table: dict[str, dict[str, dict[str, float]]] = {}
    for name in dict.fromkeys(j.set_name for j in judged):
        rows = [(confidence(j, theta_for[name]), j) for j in judged if j.set_name == name]
        answerable = [(c, j) for c, j in rows if j.answerable]
        unanswerable = [(c, j) for c, j in rows if not j.answerable]
        table[name] = {
            str(t): {
                "right": _share(sum(c >= t and j.right for c, j in answerable), answerable),
                "false_abstention": _share(sum(c < t for c, _ in answerable), answerable),
                "abstention_recall": _share(sum(c < t for c, _ in unanswerable), unanswerable),
            }
            for t in THRESHOLDS
        }
    return table


def _share(count: int, of: Sequence[object]) -> float:
    return round(count / len(of), 3) if of else float("nan")


def _named(names: Sequence[str], theta: np.ndarray) -> dict[str, float]:
    return {"bias": round(float(theta[0]), 3)} | {
        f: round(float(t), 3) for f, t in zip(names, theta[1:], strict=True)
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", help="QUESTIONS.jsonl:HOME (an index built by ingest)")
    parser.add_argument("--out", type=Path, required=True, help="write weights and outcomes here")
    parser.add_argument("--fit-ranker", action="store_true", help="refit the sentence ranker first")
    args = parser.parse_args(argv)
    devs = []
    for spec in args.sets:
        questions_path, home = spec.rsplit(":", 1)
        devs.append(DevSet(questions_path, load_questions(Path(questions_path), None), Path(home)))
    settings = Settings()
    report: dict[str, Any] = {}
    if args.fit_ranker:
        ranked = [r for dev in devs for r in collect_ranked(dev, settings)]
        weights = ReaderWeights(**_named(FEATURES, fit(ranked)))
        settings = settings.model_copy(
            update={"answer": settings.answer.model_copy(update={"weights": weights})}
        )
    report["weights"] = settings.answer.weights.model_dump()
    judged = [j for dev in devs for j in collect_judged(dev, settings)]
    theta = fit_confidence(judged)
    report["answerability"] = _named(ANSWER_FEATURES, theta)
    report["outcomes"] = outcomes(judged, {dev.name: theta for dev in devs})
    held_out = {
        dev.name: fit_confidence([j for j in judged if j.set_name != dev.name]) for dev in devs
    }
    report["held_out_outcomes"] = outcomes(judged, held_out)
    report["designs"] = {
        name: outcomes(
            judged,
            {
                dev.name: fit_confidence(
                    [j for j in judged if j.set_name != dev.name], features=features
                )
                for dev in devs
            },
        )
        for name, features in DESIGNS.items()
    }
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
