"""Core speed figures, written as JSON to bench/results/.

Ingest (a subset of a corpus, built fresh):
    python bench/bench_core.py ingest --corpus ../shared/benchmarks/realtimeqa-dev/corpus.jsonl \
        --articles 120 --questions ../shared/benchmarks/realtimeqa-dev/questions.jsonl
  - overhead: whole ingest time / pure SentenceTransformer.encode time of the same
    chunk texts, measured in the same run; and the spaCy NER time of those texts
    alone, as a share of the ingest;
  - re-ingest of the unchanged corpus as a share of the first ingest;
  - `rag --help` and a cold `rag ask` (new processes).
Latency (an index already built, e.g. by `rag eval --corpus`):
    python bench/bench_core.py latency --home DIR --questions QUESTIONS.jsonl
  - warm ask latency p50/p95.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from rag import Assistant, Settings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def load_records(path: Path, count: int) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()[:count]
    return [json.loads(line) for line in lines]


def timed_process(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def measure_ingest(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-core-"))
    corpus = work / "corpus.jsonl"
    lines = args.corpus.read_text(encoding="utf-8").splitlines()[: args.articles]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assistant = Assistant(Settings(home=work / "home"))
    embedder = assistant.index.embedder
    embedder.embed_query("warm up the model")
    recognizer = assistant.index.recognizer
    recognizer.entities(["Warm up the entity recognizer in Paris."])

    started = time.perf_counter()
    report = assistant.ingest([corpus])
    ingest_s = time.perf_counter() - started
    texts = [text for _, text, _ in assistant.index.catalog.all_chunks()]
    started = time.perf_counter()
    embedder.embed_documents(texts)
    encode_s = time.perf_counter() - started
    started = time.perf_counter()
    recognizer.entities(texts)
    ner_s = time.perf_counter() - started
    started = time.perf_counter()
    again = assistant.ingest([corpus])
    reingest_s = time.perf_counter() - started
    assert not again.added and not again.updated, "the second ingest must change nothing"

    env = {**os.environ, "RAG_HOME": str(work / "home")}
    rag = [sys.executable, "-m", "ui.cli"]
    question = load_records(args.questions, 1)[0]["question"]
    return {
        "corpus": f"{args.corpus} (first {args.articles} articles)",
        "chunks": len(texts),
        "chunks_embedded": report.chunks_embedded,
        "ingest_s": round(ingest_s, 2),
        "pure_encode_s": round(encode_s, 2),
        "ingest_overhead_ratio": round(ingest_s / encode_s, 3),
        "pure_ner_s": round(ner_s, 2),
        "ner_share_of_ingest": round(ner_s / ingest_s, 3),
        "reingest_s": round(reingest_s, 3),
        "reingest_share_of_first": round(reingest_s / ingest_s, 4),
        "rag_help_s_best_of_3": round(
            min(timed_process([*rag, "--help"], env) for _ in range(3)), 3
        ),
        "cold_rag_ask_s": round(timed_process([*rag, "ask", question], env), 2),
    }


def timed_asks(
    assistant: Assistant, records: list[dict[str, Any]]
) -> tuple[list[float], list[float]]:
    """Milliseconds of each warm ask, plain and (for dated records) with the date as
    `until`. Two passes, not a plain and a dated ask per question: the second ask of a
    question would find its vector in the embedder's cache of recent queries."""
    plain, dated = [], []
    for record in records:
        started = time.perf_counter()
        assistant.ask(record["question"])
        plain.append((time.perf_counter() - started) * 1000)
    for record in records:
        if record.get("date"):
            started = time.perf_counter()
            assistant.ask(record["question"], until=record["date"])
            dated.append((time.perf_counter() - started) * 1000)
    return plain, dated


def measure_latency(args: argparse.Namespace) -> dict[str, Any]:
    """Warm asks, plain and with the question's date as `until` (a date-ranged search)."""
    assistant = Assistant(Settings(home=args.home))
    records = load_records(args.questions, args.asks)
    for record in records[:3]:  # warm: model loaded, BM25 and Chroma opened
        assistant.ask(record["question"], until=record.get("date") or None)
    plain, dated = timed_asks(assistant, records)
    status = assistant.status()
    return {
        "index": str(args.home),
        "articles": status.articles,
        "chunks": status.chunks,
        "asks": len(plain),
        "warm_ask_p50_ms": round(statistics.median(plain), 1),
        "warm_ask_p95_ms": round(percentile(plain, 0.95), 1),
        "dated_asks": len(dated),
        "warm_dated_ask_p50_ms": round(statistics.median(dated), 1) if dated else None,
        "warm_dated_ask_p95_ms": round(percentile(dated, 0.95), 1) if dated else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="newsrag core benchmarks")
    modes = parser.add_subparsers(dest="mode", required=True)
    ingest = modes.add_parser("ingest")
    ingest.add_argument("--corpus", type=Path, required=True)
    ingest.add_argument("--articles", type=int, default=120)
    ingest.add_argument("--questions", type=Path, required=True)
    ingest.add_argument("--out", type=Path, default=Path("bench/results/core_ingest.json"))
    latency = modes.add_parser("latency")
    latency.add_argument("--home", type=Path, required=True)
    latency.add_argument("--questions", type=Path, required=True)
    latency.add_argument("--asks", type=int, default=200)
    latency.add_argument("--out", type=Path, default=Path("bench/results/core_latency.json"))
    args = parser.parse_args()

    results = measure_ingest(args) if args.mode == "ingest" else measure_latency(args)
    results["machine"] = f"{platform.machine()}, {os.cpu_count()} cores"
    results["command"] = "python " + " ".join(sys.argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
