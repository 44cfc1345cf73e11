"""The harness end to end with the fake embedder: scores, results.json, report.md, plots, gate."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from eval.pipelines import AssistantPipeline
from eval.questions import Question
from eval.report import write_report
from eval.runner import load_results, run_all, run_from_cli, write_outputs
from eval.thresholds import check_thresholds, load_thresholds
from rag import Assistant, InputError, Settings

QUESTIONS = [
    Question("targets", "How many targets did U.S. airstrikes hit on Feb. 2?", ("85",), "number"),
    Question(
        "troops",
        "How many American troops are based in Iraq?",
        ("2,500",),
        "number",
        evidence="the 2,500 American troops based in Iraq",
    ),
    Question("cup", "Who won the 2022 FIFA World Cup?", (), "unanswerable"),
]
META = {
    "questions": "test.jsonl",
    "n_questions": 3,
    "n_unanswerable": 1,
    "corpus": None,
    "home": "home",
    "top_k": 5,
    "retrieval": {"mode": "hybrid"},
    "git_commit": None,
    "created": "now",
}


@pytest.fixture
def results(seeded_fake_assistant: Assistant) -> dict[str, Any]:
    pipeline = AssistantPipeline("newsrag", seeded_fake_assistant)
    return run_all([pipeline], QUESTIONS, 5, None, dict(META))


def test_every_question_is_scored_and_its_citations_checked(results: dict[str, Any]) -> None:
    records = results["pipelines"]["newsrag"]["questions"]
    assert [r["scores"]["id"] for r in records] == ["targets", "troops", "cup"]
    targets = records[0]["scores"]
    assert targets["hit@10"] == 1.0 and targets["rank"] is not None
    assert targets["citations"] >= 1 and targets["citations_valid"] == targets["citations"]
    assert records[2]["scores"]["hit@5"] is None  # no retrieval score for an unanswerable
    overall = results["pipelines"]["newsrag"]["aggregate"]["overall"]
    assert overall["citation_validity"]["value"] == 1.0
    assert overall["hit@10"]["n"] == 2
    assert set(results["pipelines"]["newsrag"]["aggregate"]["by_type"]) == {
        "number",
        "unanswerable",
    }


def test_outputs_are_written_and_compare_reads_them_back(
    results: dict[str, Any], tmp_path: Path
) -> None:
    write_outputs(results, tmp_path)
    for name in ("results.json", "report.md", "scores_by_type.png", "latency.png"):
        assert (tmp_path / name).stat().st_size > 0
    earlier = load_results(tmp_path / "results.json")  # strict JSON: NaN written as null
    write_report(results, tmp_path / "again.md", earlier=earlier)
    report = (tmp_path / "again.md").read_text()
    assert "## Compared with the earlier run" in report
    assert "| newsrag | hit@5 |" in report


def test_without_matplotlib_the_report_is_written_and_the_plots_skipped(
    results: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setitem(sys.modules, "eval.plots", None)  # as without the `eval` extra
    write_outputs(results, tmp_path)
    assert (tmp_path / "results.json").stat().st_size > 0
    report = (tmp_path / "report.md").read_text()
    assert "## Scores" in report and "## Plots" not in report
    assert not list(tmp_path.glob("*.png"))
    assert "pip install 'newsrag[eval]'" in capsys.readouterr().err


def test_rag_eval_without_the_eval_extra_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # the chat's install
    args = argparse.Namespace(corpus=None, home=None, questions=tmp_path / "q.jsonl")
    with pytest.raises(InputError, match=r"'newsrag\[eval\]'"):
        run_from_cli(args, Settings(home=tmp_path / "home"))
    assert not (tmp_path / "home").exists()


def test_thresholds_pass_and_fail(results: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"min": {"citation_validity": 1.0}, "max": {"latency_p50_ms": 1e9}}))
    assert check_thresholds(results, load_thresholds(path)) == []
    strict = {"pipeline": "newsrag", "min": {"hit@1": 1.01}, "max": {"latency_p95_ms": -1}}
    problems = check_thresholds(results, strict)
    assert len(problems) == 2 and "hit@1" in problems[0]
    assert "no such score" in check_thresholds(results, {"min": {"hit@99": 0.5}})[0]


def test_bad_threshold_and_results_files_are_input_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(InputError, match="malformed JSON"):
        load_thresholds(bad)
    with pytest.raises(InputError, match="not found"):
        load_results(tmp_path / "missing.json")
    bad.write_text("{}")
    with pytest.raises(InputError, match=r"not a results\.json"):
        load_results(bad)


def test_the_assistant_is_warmed_up_before_the_first_timed_question(
    seeded_fake_assistant: Assistant,
) -> None:
    asked: list[str] = []
    ask = seeded_fake_assistant.ask

    def spy(question: str, **kwargs: Any) -> Any:
        asked.append(question)
        return ask(question, **kwargs)

    seeded_fake_assistant.ask = spy  # type: ignore[method-assign]
    results = run_all(
        [AssistantPipeline("newsrag", seeded_fake_assistant)], QUESTIONS[:1], 5, None, dict(META)
    )
    assert asked[0] == "warm up" and asked[1] == QUESTIONS[0].question
    assert len(results["pipelines"]["newsrag"]["questions"]) == 1


def test_the_eval_cache_key_follows_the_index_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eval import corpus

    articles = tmp_path / "corpus.jsonl"
    articles.write_text('{"id": "a", "title": "", "date": "", "text": "Some text."}\n')
    settings = Settings(home=tmp_path / "home")
    before = corpus.index_key(articles, settings)
    textbook = corpus.index_key(articles, settings, kind="textbook")
    monkeypatch.setattr(corpus, "index_code_digest", lambda: "changed")
    assert corpus.index_key(articles, settings) != before
    assert corpus.index_key(articles, settings, kind="textbook") == textbook
