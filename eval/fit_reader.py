"""Fit the extractive reader's scoring weights (`answer.weights`) on dev question sets.

Every candidate sentence the reader ranks for a question becomes one example: its
features (`Candidate.features`) and whether it contains a gold answer (never, for an
unanswerable question). A logistic regression over all of them gives weights whose
`1/(1+e^-z)` is the probability that a sentence answers the question: the same
function then ranks sentences and is the answer's confidence.

    python -m eval.fit_reader QUESTIONS.jsonl:HOME [QUESTIONS.jsonl:HOME ...] --out FILE

Each set counts equally (examples are weighted by 1 / the set's number of
questions), so a large set does not drown a small one. The fit also reports, per set
and abstention threshold, what `rag eval` will measure: answered-and-right,
abstention recall, false abstention.
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


def fit(ranked: list[Ranked], l2: float = 1e-3, steps: int = 3000) -> np.ndarray:
    """Weighted logistic regression by gradient descent: [bias, *weights]."""
    per_set: dict[str, int] = {}
    for r in ranked:
        per_set[r.set_name] = per_set.get(r.set_name, 0) + 1
    rows = [r for r in ranked if len(r.labels)]
    x = np.vstack([r.features for r in rows])
    y = np.concatenate([r.labels for r in rows])
    w = np.concatenate(
        [np.full(len(r.labels), 1.0 / (per_set[r.set_name] * len(r.labels))) for r in rows]
    )
    w /= w.sum()
    x1 = np.hstack([np.ones((len(x), 1)), x])
    theta = np.zeros(x1.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x1 @ theta)))
        grad = x1.T @ (w * (p - y)) + l2 * np.r_[0.0, theta[1:]]
        theta -= 2.0 * grad / max(float(np.abs(grad).max()), 1e-3) * 0.05
    return theta


def outcomes(ranked: list[Ranked], theta: np.ndarray) -> dict[str, dict[str, dict[str, float]]]:
    """Per set and threshold: right (answerable, answered, top sentence holds a gold
    answer), abstention recall and false abstention."""
    table: dict[str, dict[str, dict[str, float]]] = {}
    for name in dict.fromkeys(r.set_name for r in ranked):
        rows = [r for r in ranked if r.set_name == name]
        answerable = [r for r in rows if r.answerable]
        unanswerable = [r for r in rows if not r.answerable]
        table[name] = {}
        for threshold in THRESHOLDS:

            def top(r: Ranked) -> tuple[float, float]:
                if not len(r.labels):
                    return 0.0, 0.0
                z = theta[0] + r.features @ theta[1:]
                best = int(np.argmax(z))
                return 1.0 / (1.0 + np.exp(-z[best])), r.labels[best]

            right = sum(1 for r in answerable if top(r)[0] >= threshold and top(r)[1])
            false_abstain = sum(1 for r in answerable if top(r)[0] < threshold)
            refused = sum(1 for r in unanswerable if top(r)[0] < threshold)
            table[name][str(threshold)] = {
                "right": right / len(answerable) if answerable else float("nan"),
                "false_abstention": false_abstain / len(answerable) if answerable else float("nan"),
                "abstention_recall": refused / len(unanswerable) if unanswerable else float("nan"),
            }
    return table


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
