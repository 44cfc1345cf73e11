"""Fit the learned reader's sentence score, short-answer picker and confidence on
held-out training questions (never on `../shared/benchmarks/`).

    python -m eval.reader_data --out SETS          # the calibration question sets
    rag eval SETS/news/questions.jsonl --corpus SETS/news/corpus.jsonl ...  # their indexes
    python -m eval.fit_reader SETS/news/questions.jsonl:HOME ... --out REPORT.json

0. The sentence score (`answer.learned.sentence`): every scored sentence of an answerable
   question is one example (its features, the support model's logit among them),
   labelled by whether it holds a gold answer.
1. The short answer (`answer.learned.short_answer`): every candidate entity of the quoted
   sentences of an answerable question whose candidates hold a gold answer is one
   example (`short_features`), labelled by whether its text holds a gold answer or is
   part of one.
2. The confidence (`answer.learned.answerability`): every question is one example,
   the features of the answer the reader gives (`answer_features`, the short answer scored by the
   model of step 1) and whether it is right: a quoted sentence holds a gold answer
   (never, for a question the corpus cannot answer). `answer.learned.min_confidence`
   is read off the report's table (the lowest threshold that refuses 85 % of the
   held-out news questions the archive cannot answer).

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

from eval.metrics import contains_any, normalize
from eval.questions import Question, load_questions
from rag import Assistant, Settings, Turn
from rag.answer.learned import LearnedAnswerer
from rag.settings import (
    LearnedAnswerabilityWeights,
    LearnedReaderSettings,
    LearnedSentenceWeights,
    LearnedShortAnswerWeights,
)

SENTENCE_FEATURES = tuple(f for f in LearnedSentenceWeights.model_fields if f != "bias")
ANSWER_FEATURES = tuple(f for f in LearnedAnswerabilityWeights.model_fields if f != "bias")
SHORT_FEATURES = tuple(f for f in LearnedShortAnswerWeights.model_fields if f != "bias")
THRESHOLDS = (0.2, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)


@dataclass(frozen=True)
class Judged:
    """One question's answer: its features (None: nothing to quote), whether it is right,
    and its short-answer candidates (features, whether each holds a gold answer)."""

    set_name: str
    answerable: bool
    features: dict[str, float] | None
    right: bool
    candidates: np.ndarray  # rows of SHORT_FEATURES
    candidate_labels: np.ndarray


@dataclass(frozen=True)
class FitSet:
    name: str
    questions: list[Question]
    home: Path


def _reader(assistant: Assistant) -> LearnedAnswerer:
    reader = assistant.answerer
    if not isinstance(reader, LearnedAnswerer):
        raise SystemExit("the reader fit needs answer.mode = extractive, answer.reader = learned")
    return reader


def _history(question: Question) -> list[Turn]:
    return [Turn(t["role"], t["content"]) for t in question.history]


def _is_gold(text: str, answers: Sequence[str]) -> bool:
    """The candidate holds a gold answer, or is a part of one ("Biden" of "Joe Biden")."""
    norm = normalize(text)
    return contains_any(text, answers) or (
        len(norm) > 2 and any(norm in normalize(a).split() or norm == normalize(a) for a in answers)
    )


def collect(fit_set: FitSet, settings: Settings) -> list[Judged]:
    """The reader's answer to each question, its features and its short candidates."""
    assistant = Assistant(settings.model_copy(update={"home": fit_set.home}))
    reader = _reader(assistant)
    out = []
    for q in tqdm(fit_set.questions, desc=fit_set.name, file=sys.stderr):
        history = _history(q)
        passages = assistant.search(q.question, until=q.date, history=history)
        asked_on = date.fromisoformat(q.date) if q.date else None
        reading = reader.read(q.question, passages, history, asked_on=asked_on)
        empty = np.zeros((0, len(SHORT_FEATURES)))
        if not reading.chosen:
            out.append(Judged(fit_set.name, q.answerable, None, False, empty, np.zeros(0)))
            continue
        quoted = " ".join(c.text for c in reading.chosen)
        right = q.answerable and contains_any(quoted, list(q.answers))
        pairs, labels = reader.short_candidates(q.question, reading)
        rows = np.array([[f[n] for n in SHORT_FEATURES] for f in pairs]).reshape(
            -1, len(SHORT_FEATURES)
        )
        gold = np.array([q.answerable and _is_gold(t, q.answers) for t in labels], dtype=float)
        out.append(Judged(fit_set.name, q.answerable, reading.features, right, rows, gold))
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


def fit_short(judged: Sequence[Judged], l2: float = 1e-2) -> np.ndarray:
    """The short-answer picker from the questions with a gold candidate: [bias, *weights];
    candidates weigh 1 / their question's count, sets equally."""
    rows = [j for j in judged if j.candidate_labels.any() and len(j.candidate_labels) > 1]
    return _fit_ranking([(j.set_name, j.candidates, j.candidate_labels) for j in rows], l2)


def short_accuracy(judged: Sequence[Judged], theta: np.ndarray) -> dict[str, float]:
    """Per set: share of questions with a gold candidate whose top candidate is gold."""
    return _top1([(j.set_name, j.candidates, j.candidate_labels) for j in judged], theta)


def with_short_score(judged: Sequence[Judged], theta: np.ndarray) -> np.ndarray:
    """The answer features of each answered question, its short answer scored by `theta`."""
    rows = []
    for j in judged:
        assert j.features is not None
        scores = j.candidates @ theta[1:] + theta[0]
        features = dict(j.features)
        features["short_score"] = float(1 / (1 + np.exp(-scores.max()))) if len(scores) else 0.0
        rows.append([features[f] for f in ANSWER_FEATURES])
    return np.array(rows, dtype=float).reshape(-1, len(ANSWER_FEATURES))


def fit_confidence(judged: Sequence[Judged], short: np.ndarray, l2: float = 1e-2) -> np.ndarray:
    rows = [j for j in judged if j.features is not None]
    per_set = _set_weights([j.set_name for j in rows])
    x = with_short_score(rows, short)
    y = np.array([j.right for j in rows], dtype=float)
    weight = np.array([per_set[j.set_name] for j in rows])
    return _logistic(x, y, weight, l2)


def confidences(judged: Sequence[Judged], short: np.ndarray, theta: np.ndarray) -> np.ndarray:
    answered = [j for j in judged if j.features is not None]
    z = with_short_score(answered, short) @ theta[1:] + theta[0]
    values = iter(1 / (1 + np.exp(-z)))
    return np.array([next(values) if j.features is not None else 0.0 for j in judged])


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


def _learned_settings(learned: LearnedReaderSettings) -> Settings:
    """Default settings with the learned reader, configured by `learned`."""
    settings = Settings()
    answer = settings.answer.model_copy(update={"reader": "learned", "learned": learned})
    return settings.model_copy(update={"answer": answer})


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
    settings = _learned_settings(LearnedReaderSettings())
    ranked = [r for s in fit_sets for r in collect_sentences(s, settings)]
    sentence = fit_sentences(ranked)
    support_only = np.r_[0.0, [1.0 if f == "support" else 0.0 for f in SENTENCE_FEATURES]]
    weights = LearnedSentenceWeights(**_named(SENTENCE_FEATURES, sentence))
    settings = _learned_settings(LearnedReaderSettings(sentence=weights))
    judged = [j for s in fit_sets for j in collect(s, settings)]
    short = fit_short(judged)
    theta = fit_confidence(judged, short)
    conf = confidences(judged, short, theta)
    held = {s.name: (fit_short([j for j in judged if j.set_name != s.name])) for s in fit_sets}
    held_conf = np.zeros(len(judged))
    for s in fit_sets:
        others = [j for j in judged if j.set_name != s.name]
        theta_s = fit_confidence(others, held[s.name])
        mask = np.array([j.set_name == s.name for j in judged])
        held_conf[mask] = confidences(
            [j for j in judged if j.set_name == s.name], held[s.name], theta_s
        )
    report: dict[str, Any] = {
        "sets": {s.name: len(s.questions) for s in fit_sets},
        "sentence": _named(SENTENCE_FEATURES, sentence),
        "sentence_top1": top1(ranked, sentence),
        "support_only_top1": top1(ranked, support_only),
        "short_answer": _named(SHORT_FEATURES, short),
        "short_top1": short_accuracy(judged, short),
        "answerability": _named(ANSWER_FEATURES, theta),
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
