"""Score one `Run` against its `Question`, and aggregate scores with bootstrap intervals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eval import metrics as m
from eval.bootstrap import mean_ci, ratio_ci
from eval.pipelines import Run
from eval.questions import Question
from eval.semantic import SemanticScorer

WORD_BUDGETS = (250, 500, 1000, 1500)
MEAN_METRICS = (
    *(f"hit@{k}" for k in m.HIT_KS),
    "mrr@10",
    *(f"hit@{b}w" for b in WORD_BUDGETS),
    "containment",
    "token_f1",
    "semantic",
    "citation_support",
    "short_em",
    "short_f1",
    "short_containment",
    "newest_value",
    "earlier_value",
    "conflict_found",
    "false_conflict",
    "false_update",
)
CHANGE_TYPES = ("update", "conflict")  # the question types that expect reports to differ
FAILURES = (
    "invalid citation",
    "missed abstention",
    "false abstention",
    "retrieval miss",
    "wrong sentence",
)

Row = dict[str, Any]


def score_run(question: Question, run: Run, semantic: SemanticScorer | None) -> Row:
    """Per-question scores; a score that does not apply (hit@k of an unanswerable) is None."""
    row: Row = {"id": question.id, "type": question.type, "answerable": question.answerable}
    row["abstained"] = run.abstained
    row["latency_ms"] = run.latency_ms
    row["words_at_k"] = sum(len(t.split()) for t in run.ranked[: run.passages_at_k])
    row["citations"] = len(run.citations_valid)
    row["citations_valid"] = sum(run.citations_valid)
    needles = m.targets(question.answers, question.evidence)
    answered = question.answerable and not run.abstained
    rank = m.first_hit_rank(run.ranked, needles) if question.answerable else None
    row["rank"] = rank
    for k in m.HIT_KS:
        row[f"hit@{k}"] = m.hit_at(rank, k) if question.answerable else None
    row["mrr@10"] = m.reciprocal_rank(rank) if question.answerable else None
    for budget in WORD_BUDGETS:
        hit = m.hit_within_words(run.ranked, needles, budget) if question.answerable else None
        row[f"hit@{budget}w"] = hit
    golds = list(question.answers)
    row["containment"] = float(m.contains_any(run.answer, golds)) if answered else None
    row["token_f1"] = m.best_token_f1(run.answer, golds) if answered else None
    row["semantic"] = semantic.best(run.answer, golds) if answered and semantic else None
    if question.answerable and run.abstained:  # a false abstention scores 0, not "undefined"
        row["containment"] = row["token_f1"] = 0.0
        row["semantic"] = 0.0 if semantic else None
    support = [*needles, *golds] if question.evidence else golds
    row["citation_support"] = (
        float(any(m.contains_any(q, support) for q in run.quotes))
        if answered and run.quotes
        else None
    )
    row.update(short_scores(question, run))
    row.update(change_scores(question, run))
    row["failure"] = failure(question, run, row)
    return row


def short_scores(question: Question, run: Run) -> Row:
    """SQuAD's exact match and token F1 of the short answer, and whether it contains a
    gold answer: over answerable questions, 0 when none was given (an abstention or a
    quote-only answer); None for pipelines that never give one."""
    if not (question.answerable and run.short_answers):
        return {"short_em": None, "short_f1": None, "short_containment": None}
    short = run.short_answer or ""
    golds = list(question.answers)
    return {
        "short_em": float(bool(short) and any(m.normalize(short) == m.normalize(g) for g in golds)),
        "short_f1": m.best_token_f1(short, golds) if short else 0.0,
        "short_containment": float(bool(short) and m.contains_any(short, golds)),
    }


def change_scores(question: Question, run: Run) -> Row:
    """News that changes, from the answer's `updates` and `conflict` (rag.types.Answer):
    - newest_value (update questions): the value the answer leads with (the newest of its
      updates, else its short answer) is the question's answer;
    - earlier_value (update questions with `earlier`): an earlier update names it;
    - conflict_found (conflict questions): a conflict is claimed and names every value;
    - false_conflict / false_update (answered questions of any other type): the answer
      claims reports differ although the question has one answer."""
    row: Row = dict.fromkeys(
        ("newest_value", "earlier_value", "conflict_found", "false_conflict", "false_update")
    )
    if not question.answerable or run.abstained:
        if question.type in CHANGE_TYPES and question.answerable:
            row["newest_value" if question.type == "update" else "conflict_found"] = 0.0
            if question.type == "update" and question.earlier:
                row["earlier_value"] = 0.0
        return row
    updates = [v.get("value", "") for v in run.detail.get("updates", [])]
    conflict = [v.get("value", "") for v in run.detail.get("conflict", [])]
    if question.type == "update":
        lead = updates[0] if updates else run.short_answer or ""
        row["newest_value"] = float(m.contains_any(lead, question.answers))
        if question.earlier:
            row["earlier_value"] = float(
                any(m.contains_any(v, question.earlier) for v in updates[1:])
            )
    elif question.type == "conflict":
        found = all(
            any(m.contains_any(v, aliases) for v in conflict) for aliases in question.values
        )
        row["conflict_found"] = float(bool(conflict) and found)
    else:
        row["false_conflict"] = float(bool(conflict))
        row["false_update"] = float(bool(updates))
    return row


def failure(question: Question, run: Run, row: Row) -> str | None:
    """What went wrong, the most serious first; None when nothing did."""
    if row["citations_valid"] < row["citations"]:
        return "invalid citation"
    if not question.answerable:
        return None if run.abstained else "missed abstention"
    if run.abstained:
        return "false abstention"
    if row["rank"] is None or row["rank"] > run.passages_at_k:
        return "retrieval miss"
    if not row["containment"]:
        return "wrong sentence"
    return None


def aggregate(rows: Sequence[Row]) -> dict[str, dict[str, float | int]]:
    """Every metric as {value, lo, hi, n} (95% bootstrap interval over questions)."""
    out: dict[str, dict[str, float | int]] = {}
    for name in MEAN_METRICS:
        values = [r[name] for r in rows]
        out[name] = _entry(mean_ci(values), sum(v is not None for v in values))
    out["citation_validity"] = _entry(
        ratio_ci([r["citations_valid"] for r in rows], [r["citations"] for r in rows]),
        sum(r["citations"] for r in rows),
    )
    abstained = [float(r["abstained"]) for r in rows]
    unanswerable = [float(not r["answerable"]) for r in rows]
    answerable = [float(r["answerable"]) for r in rows]
    right = [a * u for a, u in zip(abstained, unanswerable, strict=True)]
    wrong = [a * c for a, c in zip(abstained, answerable, strict=True)]
    out["abstention_precision"] = _entry(ratio_ci(right, abstained), int(sum(abstained)))
    out["abstention_recall"] = _entry(ratio_ci(right, unanswerable), int(sum(unanswerable)))
    out["false_abstention"] = _entry(ratio_ci(wrong, answerable), int(sum(answerable)))
    latencies = [r["latency_ms"] for r in rows]
    out["latency_p50_ms"] = {"value": m.percentile(latencies, 50), "n": len(rows)}
    out["latency_p95_ms"] = {"value": m.percentile(latencies, 95), "n": len(rows)}
    words = [float(r["words_at_k"]) for r in rows]
    out["words_at_k"] = {
        "value": sum(words) / len(words) if words else float("nan"),
        "n": len(rows),
    }
    return out


def _entry(ci: tuple[float, float, float], n: int) -> dict[str, float | int]:
    value, lo, hi = ci
    return {"value": value, "lo": lo, "hi": hi, "n": n}


def aggregate_by_type(rows: Sequence[Row]) -> dict[str, Any]:
    """{"overall": aggregate(rows), "by_type": {type: aggregate(rows of that type)}}."""
    types = sorted({r["type"] for r in rows})
    return {
        "overall": aggregate(rows),
        "by_type": {t: aggregate([r for r in rows if r["type"] == t]) for t in types},
    }
