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

from rag import InputError


def load_thresholds(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"thresholds file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: malformed JSON: {exc.msg}") from None
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
