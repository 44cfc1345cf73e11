"""`rag eval`: run every question through each pipeline, score, and write the report.

>>> questions = Path("eval/questions/seeds.jsonl")
>>> results = evaluate(questions, Settings(), corpus=Path("seeds"))  # doctest: +SKIP
>>> write_outputs(results, Path("eval-out"))  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import math
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from eval.corpus import corpus_settings
from eval.jsonfile import read_json
from eval.pipelines import AssistantPipeline, Pipeline
from eval.questions import Question, load_questions
from eval.scoring import aggregate_by_type, score_run
from eval.semantic import SemanticScorer
from eval.thresholds import check_thresholds, load_thresholds
from rag import Assistant, InputError, Settings
from rag.settings import MAX_TOP_K, RetrievalSettings

logger = logging.getLogger(__name__)
EXIT_OK, EXIT_FAILURE = 0, 1


def run_from_cli(args: argparse.Namespace, settings: Settings) -> int:
    """The body of `rag eval`; returns the exit code (1 when a threshold is missed)."""
    if args.corpus is not None and getattr(args, "home", None) is not None:
        raise InputError(
            "give --corpus (index that corpus in the eval cache) or --home (use that index), "
            "not both"
        )
    if importlib.util.find_spec("sentence_transformers") is None:
        raise InputError(
            "rag eval scores answers with the torch MiniLM (semantic similarity), which the "
            "chat's install leaves out: pip install torch==2.13.0 'newsrag[eval]'"
        )
    thresholds = load_thresholds(args.thresholds) if args.thresholds else None
    earlier = load_results(args.compare) if args.compare else None
    results = evaluate(
        args.questions,
        settings,
        corpus=args.corpus,
        top_k=args.top_k,
        baselines=args.baselines,
        limit=args.limit,
    )
    problems = check_thresholds(results, thresholds) if thresholds else []
    results["meta"]["thresholds"] = (
        {"file": str(args.thresholds), "failed": problems} if thresholds else None
    )
    write_outputs(results, args.out, earlier=earlier)
    print(summary(results))
    print(f"wrote {args.out / 'report.md'}, {args.out / 'results.json'}")
    for problem in problems:
        print(f"THRESHOLD MISSED: {problem}", file=sys.stderr)
    return EXIT_FAILURE if problems else EXIT_OK


def evaluate(
    questions_path: Path,
    settings: Settings,
    *,
    corpus: Path | None = None,
    top_k: int = 5,
    baselines: bool = False,
    limit: int | None = None,
    cache: Path | None = None,
    semantic: bool = True,
    progress: bool = True,
) -> dict[str, Any]:
    """Run and score the question set; the returned dict is what results.json holds."""
    if not 1 <= top_k <= MAX_TOP_K:
        raise InputError(f"top_k must be between 1 and {MAX_TOP_K}, got {top_k}", field="top_k")
    if corpus is not None and not corpus.exists():
        raise InputError(f"corpus not found: {corpus}")
    if baselines and corpus is None:
        raise InputError("--baselines needs --corpus (the textbook baseline indexes it itself)")
    questions = load_questions(questions_path, limit)
    if corpus is not None:
        settings = corpus_settings(corpus, settings, cache)
    pipelines = build_pipelines(settings, corpus, baselines, cache)
    scorer = SemanticScorer() if semantic else None
    meta = _meta(questions_path, corpus, top_k, settings, questions)
    return run_all(pipelines, questions, top_k, scorer, meta, progress=progress)


def run_all(
    pipelines: list[Pipeline],
    questions: list[Question],
    top_k: int,
    scorer: SemanticScorer | None,
    meta: dict[str, Any],
    *,
    progress: bool = False,
) -> dict[str, Any]:
    """Every pipeline over every question: {"meta": ..., "pipelines": {name: ...}}."""
    results: dict[str, Any] = {"meta": meta, "pipelines": {}}
    for pipeline in pipelines:
        results["pipelines"][pipeline.name] = run_pipeline(
            pipeline, questions, top_k, scorer, progress
        )
    return results


def build_pipelines(
    settings: Settings, corpus: Path | None, baselines: bool, cache: Path | None
) -> list[Pipeline]:
    pipelines: list[Pipeline] = [AssistantPipeline("newsrag", Assistant(settings))]
    if not baselines:
        return pipelines
    from eval.textbook import TextbookPipeline

    for mode in ("bm25", "dense"):
        retrieval = RetrievalSettings(**{**settings.retrieval.model_dump(), "mode": mode})
        variant = settings.model_copy(update={"retrieval": retrieval})
        pipelines.append(AssistantPipeline(mode, Assistant(variant)))
    assert corpus is not None
    pipelines.append(TextbookPipeline(corpus, settings, cache))
    return pipelines


def run_pipeline(
    pipeline: Pipeline,
    questions: list[Question],
    top_k: int,
    scorer: SemanticScorer | None,
    progress: bool,
) -> dict[str, Any]:
    records, rows = [], []
    warm_up = getattr(pipeline, "warm_up", None)
    if warm_up is not None:
        warm_up()
    started = time.perf_counter()
    for question in tqdm(questions, desc=pipeline.name, disable=not progress, file=sys.stderr):
        run = pipeline.run(question, top_k)
        row = score_run(question, run, scorer)
        rows.append(row)
        records.append(
            {
                "question": question.question,
                "answers": list(question.answers),
                "date": question.date,
                "evidence": question.evidence,
                "history": list(question.history),
                "scores": row,
                "run": compact(run.detail),
            }
        )
    logger.info(
        "%s: %d questions in %.1fs", pipeline.name, len(questions), time.perf_counter() - started
    )
    return {"aggregate": aggregate_by_type(rows), "questions": records}


SNIPPET_CHARS = 160


def compact(detail: dict[str, Any]) -> dict[str, Any]:
    """The run record with passage texts cut to a snippet: results.json stays small, and
    a passage's full text is its article's `text[start:end]`."""
    passages = [
        {**p, "text": p["text"][:SNIPPET_CHARS]} if isinstance(p.get("text"), str) else p
        for p in detail.get("passages", [])
    ]
    return {**detail, "passages": passages}


def _meta(
    questions_path: Path,
    corpus: Path | None,
    top_k: int,
    settings: Settings,
    questions: list[Question],
) -> dict[str, Any]:
    return {
        "questions": str(questions_path),
        "n_questions": len(questions),
        "n_unanswerable": sum(not q.answerable for q in questions),
        "corpus": str(corpus) if corpus else None,
        "home": str(settings.home),
        "top_k": top_k,
        "retrieval": settings.retrieval.model_dump(),
        "answer": settings.answer.model_dump(),
        "chunking": settings.chunking.model_dump(),
        "embedding": settings.embedding.model_dump(mode="json", exclude={"onnx_cache"}),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
    }


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            # "-dirty" when the working tree has uncommitted changes: the run is not the commit
            ["git", "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def load_results(path: Path) -> dict[str, Any]:
    data = read_json(path, "--compare file")
    if not isinstance(data, dict) or "pipelines" not in data:
        raise InputError(f"{path} is not a results.json written by `rag eval`")
    return data


def write_outputs(
    results: dict[str, Any], out: Path, *, earlier: dict[str, Any] | None = None
) -> None:
    from eval.report import write_report

    out.mkdir(parents=True, exist_ok=True)
    # One line per question record keeps the file small and its diffs readable.
    text = _dump(_finite(results))
    (out / "results.json").write_text(text + "\n")
    try:
        from eval.plots import write_plots
    except ImportError as error:  # matplotlib is the `eval` extra, not needed to chat
        print(f"plots skipped ({error}): pip install 'newsrag[eval]' to draw them", file=sys.stderr)
        plots: list[Path] = []
    else:
        plots = write_plots(results, out)
    write_report(results, out / "report.md", plots=plots, earlier=earlier)


def _dump(results: dict[str, Any]) -> str:
    """results.json: indented down to each question record, each record on one line."""

    def line(value: Any) -> str:
        return json.dumps(value, default=_json_default, allow_nan=False, ensure_ascii=False)

    blocks = []
    for name, pipeline in results["pipelines"].items():
        records = ",\n    ".join(line(r) for r in pipeline["questions"])
        blocks.append(
            f'  {line(name)}: {{\n   "aggregate": {line(pipeline["aggregate"])},\n'
            f'   "questions": [\n    {records}\n   ]\n  }}'
        )
    rest = {k: v for k, v in results.items() if k != "pipelines"}
    head = ",\n".join(f" {line(k)}: {line(v)}" for k, v in rest.items())
    return "{\n" + head + ',\n "pipelines": {\n' + ",\n".join(blocks) + "\n }\n}"


def _finite(value: Any) -> Any:
    """NaN (a score with nothing to score) becomes null, so results.json is strict JSON;
    floats keep 4 decimals."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _json_default(value: object) -> object:
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def summary(results: dict[str, Any]) -> str:
    from eval.report import overall_table

    return overall_table(results, compact=True)
