"""The CI gate: scores a run must reach, read from a committed JSON file.

{"pipeline": "newsrag",
 "min": {"citation_validity": 1.0, "hit@5": 0.8, ...},
 "max": {"false_abstention": 0.2}}
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from eval.jsonfile import read_json
from rag import InputError


def load_thresholds(path: Path) -> dict[str, Any]:
    data = read_json(path, "thresholds file")
    if not isinstance(data, dict) or not set(data) <= {"pipeline", "min", "max", "note"}:
        raise InputError(f"{path}: expected an object with 'pipeline', 'min' and 'max'")
    return data


def check_thresholds(results: dict[str, Any], thresholds: dict[str, Any]) -> list[str]:
    """One message per score that misses its threshold; [] when the run passes."""
    name = thresholds.get("pipeline", "newsrag")
    overall = results["pipelines"][name]["aggregate"]["overall"]
    problems = []
    for bound, floor in (("min", True), ("max", False)):
        for metric, limit in thresholds.get(bound, {}).items():
            if metric not in overall:
                problems.append(f"{metric}: no such score (known: {', '.join(sorted(overall))})")
                continue
            value = overall[metric]["value"]
            ok = not math.isnan(value) and (value >= limit if floor else value <= limit)
            if not ok:
                word = "below the minimum" if floor else "above the maximum"
                problems.append(f"{name} {metric} = {value:.3f}, {word} {limit}")
    return problems


GATED_MIN = (
    "hit@5",
    "containment",
    "citation_support",
    "abstention_precision",
    "abstention_recall",
)
GATED_MAX = ("false_abstention",)


def suggest_thresholds(results: dict[str, Any], pipeline: str = "newsrag") -> dict[str, Any]:
    """Thresholds from a measured run: each score less its noise, rounded outwards to 0.05.

    The noise of a score is the larger of one bootstrap standard error (half the 95%
    interval / 1.96) and one question's worth (1/n), so a single question flipping
    never fails CI but a real regression does. Citation validity must stay exactly 1.
    """
    overall = results["pipelines"][pipeline]["aggregate"]["overall"]

    def noise(entry: dict[str, Any]) -> float:
        spread = (entry["hi"] - entry["lo"]) / 2 / 1.96 if entry.get("lo") is not None else 0.0
        return max(spread, 1 / max(entry["n"], 1))

    minimum: dict[str, float] = {"citation_validity": 1.0}
    for metric in GATED_MIN:
        entry = overall[metric]
        if entry["value"] is not None and not math.isnan(entry["value"]):
            minimum[metric] = max(0.0, math.floor((entry["value"] - noise(entry)) * 20) / 20)
    maximum: dict[str, float] = {}
    for metric in GATED_MAX:
        entry = overall[metric]
        if entry["value"] is not None and not math.isnan(entry["value"]):
            maximum[metric] = min(1.0, math.ceil((entry["value"] + noise(entry)) * 20) / 20)
    return {"pipeline": pipeline, "min": minimum, "max": maximum}


if __name__ == "__main__":  # python -m eval.thresholds RESULTS.json > eval/thresholds.json
    import sys

    measured = read_json(Path(sys.argv[1]), "results file")
    suggested = suggest_thresholds(measured)
    suggested["note"] = (
        f"From {sys.argv[1]} (commit {measured['meta'].get('git_commit')}): measured score "
        "less max(1 bootstrap SE, 1/n), rounded outwards to 0.05; see suggest_thresholds."
    )
    print(json.dumps(suggested, indent=2))
