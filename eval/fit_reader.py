"""Fit the extractive reader's scoring weights (`answer.weights`) on dev question sets.

Every candidate sentence the reader ranks for a question becomes one example: its
features (`Candidate.features`) and whether it contains a gold answer (never, for an
unanswerable question). A logistic regression over all of them gives weights whose
`1/(1+e^-z)` is the probability that a sentence answers the question: the same
function then ranks sentences and is the answer's confidence.

    python -m eval.fit_reader QUESTIONS.jsonl:HOME [QUESTIONS.jsonl:HOME ...] --out FILE

Each set counts equally (examples are weighted by 1 / the set's number of
questions, and within a question by 1 / its number of candidates), so a large set does
not drown a small one. The fit also reports, per set and abstention threshold, roughly
what `rag eval` will measure (from the top sentence alone, without the reader's rule
that a person, date or number question needs a sentence holding one): answered and
right, abstention recall, false abstention.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from eval.metrics import contains_any
from eval.questions import Question, load_questions
from rag import Assistant, Settings
from rag.answer.extractive import Candidate, ExtractiveAnswerer

FEATURES = ("semantic", "lexical", "has_answer", "names", "numbers", "rank")
THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


@dataclass(frozen=True)
class Ranked:
    """One question's candidates as a feature matrix, and which contain a gold answer."""

    set_name: str
    answerable: bool
    features: np.ndarray
    labels: np.ndarray


def collect(questions: list[Question], assistant: Assistant, set_name: str) -> list[Ranked]:
    reader = assistant.answerer
    if not isinstance(reader, ExtractiveAnswerer):
        raise SystemExit("the reader fit needs answer.mode = extractive")
    out = []
    for q in tqdm(questions, desc=set_name, file=sys.stderr):
        passages = assistant.search(q.question, until=q.date, history=list(q.history))
        candidates: list[Candidate] = reader.rank_sentences(q.question, passages)
        matrix = np.array([[c.features[f] for f in FEATURES] for c in candidates], dtype=float)
        labels = np.array(
            [q.answerable and contains_any(c.text, list(q.answers)) for c in candidates],
            dtype=float,
        )
        out.append(Ranked(set_name, q.answerable, matrix.reshape(-1, len(FEATURES)), labels))
    return out


def fit(ranked: list[Ranked], l2: float = 1e-3) -> np.ndarray:
    """Weighted logistic regression (scikit-learn): [bias, *weights]."""
    from sklearn.linear_model import LogisticRegression

    per_set: dict[str, int] = {}
    for r in ranked:
        per_set[r.set_name] = per_set.get(r.set_name, 0) + 1
    rows = [r for r in ranked if len(r.labels)]
    x = np.vstack([r.features for r in rows])
    y = np.concatenate([r.labels for r in rows])
    # Each set weighs the same, and so does each question within its set.
    weight = np.concatenate(
        [np.full(len(r.labels), 1.0 / (per_set[r.set_name] * len(r.labels))) for r in rows]
    )
    model = LogisticRegression(C=1.0 / l2, max_iter=1000)
    model.fit(x, y, sample_weight=weight / weight.mean())
    return np.r_[model.intercept_, model.coef_[0]]


def outcomes(ranked: list[Ranked], theta: np.ndarray) -> dict[str, dict[str, dict[str, float]]]:
    """Per set and threshold: right (answerable, answered, top sentence holds a gold
    answer), abstention recall and false abstention."""
    table: dict[str, dict[str, dict[str, float]]] = {}
    for name in dict.fromkeys(r.set_name for r in ranked):
        rows = [r for r in ranked if r.set_name == name]
        tops = [(_top(r, theta), r.answerable) for r in rows]
        answerable = [top for top, can in tops if can]
        unanswerable = [top for top, can in tops if not can]
        table[name] = {
            str(threshold): {
                "right": _share(
                    sum(c >= threshold and right for c, right in answerable), answerable
                ),
                "false_abstention": _share(sum(c < threshold for c, _ in answerable), answerable),
                "abstention_recall": _share(
                    sum(c < threshold for c, _ in unanswerable), unanswerable
                ),
            }
            for threshold in THRESHOLDS
        }
    return table


def _top(r: Ranked, theta: np.ndarray) -> tuple[float, bool]:
    """The best candidate's confidence, and whether it holds a gold answer."""
    if not len(r.labels):
        return 0.0, False
    z = theta[0] + r.features @ theta[1:]
    best = int(np.argmax(z))
    return float(1.0 / (1.0 + np.exp(-z[best]))), bool(r.labels[best])


def _share(count: int, of: list[tuple[float, bool]]) -> float:
    return count / len(of) if of else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", help="QUESTIONS.jsonl:HOME (an index built by ingest)")
    parser.add_argument("--out", type=Path, required=True, help="write weights and outcomes here")
    args = parser.parse_args(argv)
    ranked: list[Ranked] = []
    for spec in args.sets:
        questions_path, home = spec.rsplit(":", 1)
        assistant = Assistant(Settings(home=Path(home)))
        ranked += collect(load_questions(Path(questions_path), None), assistant, questions_path)
    theta = fit(ranked)
    weights = {"bias": float(theta[0])} | {
        f: float(t) for f, t in zip(FEATURES, theta[1:], strict=True)
    }
    report: dict[str, Any] = {"weights": weights, "outcomes": outcomes(ranked, theta)}
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
