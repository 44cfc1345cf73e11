"""The CI gate: `rag eval` on the project's own questions, with the real model, meets
the thresholds committed in eval/thresholds.json (citation validity exactly 100%)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.corpus import CACHE_ENV
from eval.thresholds import check_thresholds, load_thresholds
from tests.conftest import ROOT
from ui.cli import main

SEED_QUESTIONS = ROOT / "eval" / "questions" / "seeds.jsonl"
THRESHOLDS = ROOT / "eval" / "thresholds.json"
# The seed article and synthetic distractors (eval/results/README.md).
GATE_CORPUS = ROOT / "eval" / "gate_corpus"


@pytest.mark.slow
def test_rag_eval_on_seed_questions_meets_the_committed_thresholds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    out = tmp_path / "out"
    argv = ["eval", str(SEED_QUESTIONS), "--corpus", str(GATE_CORPUS), "--out", str(out)]
    code = main([*argv, "--thresholds", str(THRESHOLDS)])

    results = json.loads((out / "results.json").read_text())
    problems = check_thresholds(results, load_thresholds(THRESHOLDS))
    assert problems == [], "\n".join(problems)
    assert code == 0
    overall = results["pipelines"]["newsrag"]["aggregate"]["overall"]
    assert overall["citation_validity"]["n"] > 0  # validity was measured, not vacuous
    assert (out / "report.md").exists()
