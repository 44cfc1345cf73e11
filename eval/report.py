"""report.md: the aggregate tables, the worst questions and the deltas against an earlier run."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

from eval.scoring import FAILURES, WORD_BUDGETS

HEADLINE = (
    "hit@1",
    "hit@3",
    "hit@5",
    "hit@10",
    "mrr@10",
    "containment",
    "token_f1",
    "semantic",
    "short_em",
    "short_f1",
    "short_containment",
    "newest_value",
    "earlier_value",
    "conflict_found",
    "false_conflict",
    "false_update",
    "citation_validity",
    "citation_support",
    "abstention_precision",
    "abstention_recall",
    "false_abstention",
    "latency_p50_ms",
    "latency_p95_ms",
    "words_at_k",
)
BY_TYPE = ("hit@5", "containment", "token_f1", "citation_support", "abstention_recall")
WORST = 15


def write_report(
    results: dict[str, Any],
    path: Path,
    *,
    plots: list[Path] | None = None,
    earlier: dict[str, Any] | None = None,
) -> None:
    meta = results["meta"]
    parts = [
        f"# Evaluation of `{meta['questions']}`",
        "",
        f"{meta['n_questions']} questions ({meta['n_unanswerable']} unanswerable), "
        f"top_k={meta['top_k']}, corpus `{meta['corpus'] or meta['home']}`, retrieval "
        f"mode `{meta['retrieval']['mode']}`, {_answer_settings(meta)}"
        f"commit `{meta['git_commit']}`, {meta['created']}. "
        "Values are shares of questions (latency in ms) with 95% bootstrap intervals; "
        "a score is computed over the questions it applies to (n).",
        "",
        "## Scores",
        "",
        *_pipeline_notes(results),
        overall_table(results),
        "",
        "## Retrieval at the same number of words",
        "",
        "Share of answerable questions whose first N retrieved words contain the evidence "
        "(or a gold answer): pipelines with different chunk sizes compared at equal reading.",
        "",
        words_table(results),
        "",
        "## By question type (newsrag)",
        "",
        type_table(results, "newsrag"),
        "",
        "## What went wrong (newsrag)",
        "",
        worst_questions(results, "newsrag"),
    ]
    if earlier is not None:
        parts += ["", "## Compared with the earlier run", "", compare_table(results, earlier)]
    if plots:
        parts += ["", "## Plots", ""] + [f"![{p.stem}]({p.name})" for p in plots]
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


PIPELINE_NOTES = {
    "newsrag": "the assistant as configured (question `date` passed as `until`, `history` passed)",
    "bm25": "the same assistant with `retrieval.mode=bm25` (same chunks, answerer, date filter)",
    "dense": "the same assistant with `retrieval.mode=dense` (same chunks, answerer, date filter)",
    "textbook": "llama-index VectorStoreIndex, default SentenceSplitter (1,024 tokens), MiniLM "
    "via HuggingFaceEmbedding, ChromaVectorStore, retriever only: no date filter, no history, "
    "never abstains; its answer is the top-k sentence sharing most words with the question",
}


def _pipeline_notes(results: dict[str, Any]) -> list[str]:
    notes = [f"- **{n}**: {PIPELINE_NOTES[n]}" for n in results["pipelines"] if n in PIPELINE_NOTES]
    return [*notes, ""] if len(notes) > 1 else []


def _answer_settings(meta: dict[str, Any]) -> str:
    """The settings abstention depends on, so its precision/recall come with their threshold."""
    answer = meta.get("answer")
    if not answer:
        return ""
    if answer.get("reader") == "learned":  # results.json of the two-reader days (learned)
        threshold = answer["learned"]["min_confidence"]
        return f"answerer `{answer.get('mode')}` (learned reader) abstaining below {threshold}, "
    # min_coverage: the threshold's name in results.json files written before the reader.
    name = next((k for k in ("min_confidence", "min_coverage") if k in answer), "min_confidence")
    return f"answerer `{answer.get('mode')}` abstaining below {name}={answer.get(name)}, "


def fmt(entry: dict[str, Any] | None, *, interval: bool = True) -> str:
    if not entry or entry.get("value") is None or _nan(entry["value"]):
        return "–"
    value = entry["value"]
    if "lo" not in entry or not interval:
        return f"{value:.0f}" if value >= 10 else f"{value:.3f}"
    if entry["lo"] is None or _nan(entry["lo"]):
        return f"{value:.3f}"
    return f"{value:.3f} [{entry['lo']:.2f}, {entry['hi']:.2f}]"


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def overall_table(results: dict[str, Any], *, compact: bool = False) -> str:
    names = list(results["pipelines"])
    rows = ["| metric | n | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for metric in HEADLINE:
        entries = [results["pipelines"][n]["aggregate"]["overall"].get(metric) for n in names]
        n = entries[0].get("n", "") if entries[0] else ""
        cells = [fmt(e, interval=not compact) for e in entries]
        rows.append(f"| {metric} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def words_table(results: dict[str, Any]) -> str:
    names = list(results["pipelines"])
    rows = ["| pipeline | words at k | " + " | ".join(f"{b} words" for b in WORD_BUDGETS) + " |"]
    rows.append("|---|---|" + "---|" * len(WORD_BUDGETS))
    for name in names:
        overall = results["pipelines"][name]["aggregate"]["overall"]
        cells = [fmt(overall.get(f"hit@{b}w")) for b in WORD_BUDGETS]
        rows.append(f"| {name} | {fmt(overall['words_at_k'])} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def type_table(results: dict[str, Any], name: str) -> str:
    by_type = results["pipelines"][name]["aggregate"]["by_type"]
    rows = [
        "| type | questions | " + " | ".join(BY_TYPE) + " |",
        "|---|---|" + "---|" * len(BY_TYPE),
    ]
    for kind, scores in by_type.items():
        n = scores["latency_p50_ms"]["n"]
        rows.append(f"| {kind} | {n} | " + " | ".join(fmt(scores.get(m)) for m in BY_TYPE) + " |")
    return "\n".join(rows)


def worst_questions(results: dict[str, Any], name: str) -> str:
    records = results["pipelines"][name]["questions"]
    failed = [r for r in records if r["scores"]["failure"]]
    counts = Counter(r["scores"]["failure"] for r in failed)
    lines = [
        f"{len(failed)} of {len(records)} questions went wrong: "
        + (", ".join(f"{counts[f]} {f}" for f in FAILURES if counts[f]) or "none")
        + ".",
        "",
    ]
    failed.sort(key=lambda r: (FAILURES.index(r["scores"]["failure"]), r["scores"]["rank"] or 99))
    if failed:
        lines += ["| id | what went wrong | question | gold | answer |", "|---|---|---|---|---|"]
    for record in failed[:WORST]:
        scores = record["scores"]
        gold = " / ".join(record["answers"]) or "(abstain)"
        answer = record["run"].get("answer", "")
        rank = f" (gold at rank {scores['rank']})" if scores["rank"] else ""
        lines.append(
            f"| {scores['id']} | {scores['failure']}{rank} | {_cell(record['question'])} | "
            f"{_cell(gold)} | {_cell(answer, 160)} |"
        )
    if len(failed) > WORST:
        lines.append(f"\n… and {len(failed) - WORST} more in results.json.")
    return "\n".join(lines)


def _cell(text: str, limit: int = 100) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compare_table(results: dict[str, Any], earlier: dict[str, Any]) -> str:
    rows = ["| pipeline | metric | earlier | now | delta |", "|---|---|---|---|---|"]
    for name, now in results["pipelines"].items():
        before = earlier["pipelines"].get(name)
        if before is None:
            continue
        for metric in HEADLINE:
            a = before["aggregate"]["overall"].get(metric, {}).get("value")
            b = now["aggregate"]["overall"].get(metric, {}).get("value")
            if a is None or b is None or _nan(a) or _nan(b):
                continue
            rows.append(f"| {name} | {metric} | {a:.3f} | {b:.3f} | {b - a:+.3f} |")
    return "\n".join(rows) if len(rows) > 2 else "No pipeline in common with the earlier run."
