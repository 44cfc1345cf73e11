"""PNG plots: scores per question type with their intervals, pipelines side by side, latency."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; never open a window
import matplotlib.pyplot as plt
import numpy as np

TYPE_METRICS = ("hit@5", "containment", "citation_support", "abstention_recall")
PIPELINE_METRICS = ("hit@1", "hit@5", "hit@10", "mrr@10", "containment", "token_f1")


def write_plots(results: dict[str, Any], out: Path) -> list[Path]:
    paths = [
        _bars(
            results["pipelines"]["newsrag"]["aggregate"]["by_type"],
            TYPE_METRICS,
            "newsrag scores per question type (95% CI)",
            out / "scores_by_type.png",
        ),
        _bars(
            {n: p["aggregate"]["overall"] for n, p in results["pipelines"].items()},
            PIPELINE_METRICS,
            f"pipelines at k={results['meta']['top_k']} (95% CI)",
            out / "pipelines.png",
        ),
        _latency(results, out / "latency.png"),
    ]
    return paths


def _bars(
    groups: dict[str, dict[str, Any]], metrics: tuple[str, ...], title: str, path: Path
) -> Path:
    fig, ax = plt.subplots(figsize=(max(6.0, 1.4 * len(groups) * len(metrics) / 3), 4))
    width = 0.8 / len(metrics)
    x = np.arange(len(groups))
    for i, metric in enumerate(metrics):
        values, low, high = [], [], []
        for scores in groups.values():
            entry = scores.get(metric) or {}
            value = _num(entry.get("value"))
            values.append(value)
            low.append(max(0.0, value - _num(entry.get("lo"), value)))
            high.append(max(0.0, _num(entry.get("hi"), value) - value))
        ax.bar(x + i * width, values, width, yerr=[low, high], capsize=2, label=metric)
    ax.set_xticks(x + width * (len(metrics) - 1) / 2, list(groups), rotation=20, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _latency(results: dict[str, Any], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, pipeline in results["pipelines"].items():
        latencies = [q["scores"]["latency_ms"] for q in pipeline["questions"]]
        ax.hist(latencies, bins=30, alpha=0.5, label=name)
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    ax.set_title("latency")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _num(value: Any, default: float = 0.0) -> float:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return default
    return float(value)


def reliability_plot(series: dict[str, list[dict[str, Any]]], path: Path) -> Path:
    """Predicted confidence against the observed share right, one point per bin (its
    area the number of answers in it), per series, beside the diagonal of a calibrated
    model."""
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="calibrated")
    for name, bins in series.items():
        ax.plot(
            [b["predicted"] for b in bins], [b["observed"] for b in bins], marker="o", label=name
        )
        for b in bins:
            ax.annotate(
                str(b["n"]),
                (b["predicted"], b["observed"]),
                fontsize=6,
                xytext=(3, -8),
                textcoords="offset points",
            )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (predicted share right)")
    ax.set_ylabel("observed share right")
    ax.set_title("reader confidence, held-out training questions")
    ax.legend(fontsize="small", loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
