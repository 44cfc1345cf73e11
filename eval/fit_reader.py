"""Fit the reader's sentence score and confidence on held-out training questions
(never on `../shared/benchmarks/`).

    python -m eval.reader_data --out SETS          # the calibration question sets
    rag eval SETS/news/questions.jsonl --corpus SETS/news/corpus.jsonl ...  # their indexes
    python -m eval.fit_reader SETS/news/questions.jsonl:HOME ... --out REPORT.json

1. The sentence score (`answer.sentence`): every scored sentence of an answerable
   question is one example (its features, the reader model's support logit and span
   margin among them), labelled by whether it holds a gold answer.
2. The confidence (`answer.answerability`): every question is one example,
   the features of the answer the reader gives (`answer_features`, its short
   answer's span score among them) and whether it is right: a quoted sentence holds a
   gold answer
   (never, for a question the corpus cannot answer). `answer.min_confidence`
   is read off the report's table (the lowest threshold that refuses 85 % of the
   held-out news questions the archive cannot answer).

The report also gives, per span score, the share of the answerable questions whose short
answer (the span of the best-scored quote) would be shown and be right
(`short_outcomes`: what `answer.min_span_score` trades).

Both are scikit-learn logistic regressions in which each set counts equally. The report
gives, per set and threshold, what `rag eval` will roughly measure (right, false
abstention, abstention recall), fitted on all sets and with each set held out, and the
reliability of the confidence (predicted against observed, in deciles).
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
from rag.settings import AnswerabilityWeights, AnswerSettings, SentenceWeights

SENTENCE_FEATURES = tuple(f for f in SentenceWeights.model_fields if f != "bias")
ANSWER_FEATURES = tuple(f for f in AnswerabilityWeights.model_fields if f != "bias")
THRESHOLDS = (0.1, 0.15, 0.2, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)
SPAN_THRESHOLDS = (-10.0, 0.0, 2.0, 4.0, 5.0, 6.0)


@dataclass(frozen=True)
class Judged:
    """One question's answer: its features (None: nothing to quote), whether it is right,
    and the best span of its quotes: its score and whether it holds a gold answer."""

    set_name: str
    answerable: bool
    features: dict[str, float] | None
    right: bool
    span_score: float | None = None
    span_right: bool = False


@dataclass(frozen=True)
class FitSet:
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


def collect(fit_set: FitSet, settings: Settings) -> list[Judged]:
    """The reader's answer to each question and its features."""
    assistant = Assistant(settings.model_copy(update={"home": fit_set.home}))
    reader = _reader(assistant)
    out = []
    for q in tqdm(fit_set.questions, desc=fit_set.name, file=sys.stderr):
        history = _history(q)
        passages = assistant.search(q.question, until=q.date, history=history)
        asked_on = date.fromisoformat(q.date) if q.date else None
        reading = reader.read(q.question, passages, history, asked_on=asked_on)
        if not reading.chosen:
            out.append(Judged(fit_set.name, q.answerable, None, False))
            continue
        quoted = " ".join(c.text for c in reading.chosen)
        right = q.answerable and contains_any(quoted, list(q.answers))
        pick = reading.short  # `min_span_score` is the default -10: always one when spans exist
        score, text = (pick.score, pick.short.text) if pick is not None else (None, "")
        span_right = q.answerable and bool(text) and contains_any(text, list(q.answers))
        out.append(Judged(fit_set.name, q.answerable, reading.features, right, score, span_right))
    return out


Group = tuple[str, np.ndarray, np.ndarray]  # (set name, feature rows, labels) of a question


@dataclass(frozen=True)
class Ranked:
    """One answerable question's candidate sentences: features and which hold a gold answer."""

    set_name: str
    features: np.ndarray  # rows of SENTENCE_FEATURES
    labels: np.ndarray


def collect_sentences(fit_set: FitSet, settings: Settings) -> list[Ranked]:
    """The scored sentences of each answerable question (the sentence score's examples)."""
    assistant = Assistant(settings.model_copy(update={"home": fit_set.home}))
    reader = _reader(assistant)
    out = []
    for q in tqdm(fit_set.questions, desc=f"{fit_set.name} sentences", file=sys.stderr):
        if not q.answerable:
            continue
        history = _history(q)
        passages = assistant.search(q.question, until=q.date, history=history)
        ranked = reader.rank_sentences(q.question, passages, history)
        rows = [[c.features[f] for f in SENTENCE_FEATURES] for c in ranked]
        labels = [float(contains_any(c.text, list(q.answers))) for c in ranked]
        out.append(
            Ranked(
                fit_set.name, np.array(rows).reshape(-1, len(SENTENCE_FEATURES)), np.array(labels)
            )
        )
    return out


def fit_sentences(ranked: Sequence[Ranked], l2: float = 1e-2) -> np.ndarray:
    """The sentence score from questions with a sentence holding the answer: [bias,
    *weights]; a question's sentences weigh 1 / their count, sets equally."""
    rows = [r for r in ranked if r.labels.any() and not r.labels.all()]
    return _fit_ranking([(r.set_name, r.features, r.labels) for r in rows], l2)


def top1(ranked: Sequence[Ranked], theta: np.ndarray) -> dict[str, float]:
    """Per set: share of questions with a gold sentence whose top-scored one holds it."""
    return _top1([(r.set_name, r.features, r.labels) for r in ranked], theta)


def _fit_ranking(groups: Sequence[Group], l2: float) -> np.ndarray:
    """Logistic regression over the rows of every group: a group's rows weigh 1 / their
    count, each set the same in all. [bias, *weights]."""
    per_set = _set_weights([name for name, _, _ in groups])
    x = np.vstack([features for _, features, _ in groups])
    y = np.concatenate([labels for _, _, labels in groups])
    weight = np.concatenate(
        [np.full(len(labels), per_set[name] / len(labels)) for name, _, labels in groups]
    )
    return _logistic(x, y, weight, l2)


def _top1(groups: Sequence[Group], theta: np.ndarray) -> dict[str, float]:
    """Per set: share of the groups holding a positive whose top-scored row is one."""
    out: dict[str, float] = {}
    for set_name in dict.fromkeys(name for name, _, _ in groups):
        hits = [
            labels[int(np.argmax(features @ theta[1:]))]
            for name, features, labels in groups
            if name == set_name and labels.any()
        ]
        out[set_name] = round(float(np.mean(hits)), 3) if hits else float("nan")
    return out


def _set_weights(names: Sequence[str]) -> dict[str, float]:
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return {name: 1.0 / count for name, count in counts.items()}


def _logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray, l2: float) -> np.ndarray:
    """Weighted logistic regression (scikit-learn): [bias, *weights]."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0 / l2, max_iter=5000)
    model.fit(x, y, sample_weight=weight / weight.mean())
    return np.r_[model.intercept_, model.coef_[0]]


def answer_rows(judged: Sequence[Judged]) -> np.ndarray:
    """The answer features of each answered question, as rows of ANSWER_FEATURES."""
    rows = [[j.features[f] for f in ANSWER_FEATURES] for j in judged if j.features is not None]
    return np.array(rows, dtype=float).reshape(-1, len(ANSWER_FEATURES))


def fit_confidence(judged: Sequence[Judged], l2: float = 1e-2) -> np.ndarray:
    rows = [j for j in judged if j.features is not None]
    per_set = _set_weights([j.set_name for j in rows])
    y = np.array([j.right for j in rows], dtype=float)
    weight = np.array([per_set[j.set_name] for j in rows])
    return _logistic(answer_rows(rows), y, weight, l2)


def confidences(judged: Sequence[Judged], theta: np.ndarray) -> np.ndarray:
    z = answer_rows(judged) @ theta[1:] + theta[0]
    values = iter(1 / (1 + np.exp(-z)))
    return np.array([next(values) if j.features is not None else 0.0 for j in judged])


def short_outcomes(judged: Sequence[Judged], threshold: float) -> dict[str, dict[str, float]]:
    """Per set, over the answerable questions with a quoted span: the share whose best
    span holds a gold answer, and with `threshold`, the share shown and right among them."""
    table = {}
    for name in dict.fromkeys(j.set_name for j in judged):
        rows = [
            j for j in judged if j.set_name == name and j.answerable and j.span_score is not None
        ]
        shown = [j for j in rows if j.span_score is not None and j.span_score >= threshold]
        table[name] = {
            "right_always": _share(sum(j.span_right for j in rows), rows),
            "shown": _share(len(shown), rows),
            "right_when_shown": _share(sum(j.span_right for j in shown), shown),
            "right_shown_of_all": _share(sum(j.span_right for j in shown), rows),
        }
    return table


def outcomes(judged: Sequence[Judged], conf: np.ndarray) -> dict[str, dict[str, dict[str, float]]]:
    """Per set and threshold: right (answerable, answered, a gold answer quoted), false
    abstention, abstention recall and precision of the answered."""
    table: dict[str, dict[str, dict[str, float]]] = {}
    for name in dict.fromkeys(j.set_name for j in judged):
        rows = [(c, j) for c, j in zip(conf, judged, strict=True) if j.set_name == name]
        answerable = [(c, j) for c, j in rows if j.answerable]
        unanswerable = [(c, j) for c, j in rows if not j.answerable]
        table[name] = {
            str(t): {
                "right": _share(sum(c >= t and j.right for c, j in answerable), answerable),
                "false_abstention": _share(sum(c < t for c, _ in answerable), answerable),
                "abstention_recall": _share(sum(c < t for c, _ in unanswerable), unanswerable),
                "precision": _share(
                    sum(c >= t and j.right for c, j in rows), [1 for c, _ in rows if c >= t]
                ),
            }
            for t in THRESHOLDS
        }
    return table


def reliability(judged: Sequence[Judged], conf: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Mean predicted confidence against the observed share right, per decile bin."""
    out = []
    right = np.array([j.right for j in judged], dtype=float)
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = (conf >= low) & ((conf < high) if b < bins - 1 else (conf <= high))
        if inside.any():
            out.append(
                {
                    "bin": f"{low:.1f}-{high:.1f}",
                    "n": int(inside.sum()),
                    "predicted": round(float(conf[inside].mean()), 3),
                    "observed": round(float(right[inside].mean()), 3),
                }
            )
    return out


def _share(count: int, of: Sequence[object]) -> float:
    return round(count / len(of), 3) if of else float("nan")


def _named(names: Sequence[str], theta: np.ndarray) -> dict[str, float]:
    return {"bias": round(float(theta[0]), 3)} | {
        f: round(float(t), 3) for f, t in zip(names, theta[1:], strict=True)
    }


def _reader_settings(answer: AnswerSettings) -> Settings:
    """Default settings with the reader configured by `answer`."""
    return Settings().model_copy(update={"answer": answer})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", help="QUESTIONS.jsonl:HOME (an index built by ingest)")
    parser.add_argument("--out", type=Path, required=True, help="write weights and outcomes here")
    parser.add_argument("--plot", type=Path, help="write the reliability plot (PNG) here")
    args = parser.parse_args(argv)
    fit_sets = []
    for spec in args.sets:
        questions_path, home = spec.rsplit(":", 1)
        name = Path(questions_path).parent.name
        fit_sets.append(FitSet(name, load_questions(Path(questions_path), None), Path(home)))
    settings = _reader_settings(AnswerSettings())
    ranked = [r for s in fit_sets for r in collect_sentences(s, settings)]
    sentence = fit_sentences(ranked)
    support_only = np.r_[0.0, [1.0 if f == "support" else 0.0 for f in SENTENCE_FEATURES]]
    weights = SentenceWeights(**_named(SENTENCE_FEATURES, sentence))
    settings = _reader_settings(AnswerSettings(sentence=weights))
    judged = [j for s in fit_sets for j in collect(s, settings)]
    theta = fit_confidence(judged)
    conf = confidences(judged, theta)
    held_conf = np.zeros(len(judged))
    for s in fit_sets:
        theta_s = fit_confidence([j for j in judged if j.set_name != s.name])
        mask = np.array([j.set_name == s.name for j in judged])
        held_conf[mask] = confidences([j for j in judged if j.set_name == s.name], theta_s)
    report: dict[str, Any] = {
        "sets": {s.name: len(s.questions) for s in fit_sets},
        "sentence": _named(SENTENCE_FEATURES, sentence),
        "sentence_top1": top1(ranked, sentence),
        "support_only_top1": top1(ranked, support_only),
        "answerability": _named(ANSWER_FEATURES, theta),
        "short_outcomes": {str(t): short_outcomes(judged, t) for t in SPAN_THRESHOLDS},
        "outcomes": outcomes(judged, conf),
        "held_out_outcomes": outcomes(judged, held_conf),
        "reliability": reliability(judged, conf),
        "held_out_reliability": reliability(judged, held_conf),
    }
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    if args.plot is not None:
        from eval.plots import reliability_plot

        reliability_plot(
            {
                "fitted on both sets": report["reliability"],
                "each set held out of the fit": report["held_out_reliability"],
            },
            args.plot,
        )
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
