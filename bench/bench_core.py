"""Core speed figures, written to bench/results/core.json.

    python bench/bench_core.py --corpus ../shared/benchmarks/realtimeqa-dev/corpus.jsonl \
        --articles 150 --questions ../shared/benchmarks/realtimeqa-dev/questions.jsonl

- ingest overhead: whole ingest time / pure SentenceTransformer.encode time of the
  same chunk texts (measured in the same run);
- re-ingest of the unchanged corpus as a share of the first ingest;
- warm ask latency p50/p95 over the questions;
- `rag --help` and a cold `rag ask` (new processes).
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

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from rag import Assistant, Settings


def subset(corpus: Path, articles: int, folder: Path) -> Path:
    lines = corpus.read_text(encoding="utf-8").splitlines()[:articles]
    out = folder / "corpus.jsonl"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed_process(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--articles", type=int, default=150)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--asks", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("bench/results/core.json"))
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-core-"))
    corpus = subset(args.corpus, args.articles, work)
    assistant = Assistant(Settings(home=work / "home"))
    embedder = assistant.index.embedder
    embedder.embed_query("warm up the model")

    started = time.perf_counter()
    report = assistant.ingest([corpus])
    ingest_s = time.perf_counter() - started
    texts = [text for _, text, _ in assistant.index.catalog.all_chunks()]
    started = time.perf_counter()
    embedder.embed_documents(texts)
    encode_s = time.perf_counter() - started

    started = time.perf_counter()
    again = assistant.ingest([corpus])
    reingest_s = time.perf_counter() - started
    assert not again.added and not again.updated

    questions = [
        json.loads(line)["question"]
        for line in args.questions.read_text(encoding="utf-8").splitlines()[: args.asks]
    ]
    assistant.ask(questions[0])
    latencies = []
    for question in questions:
        started = time.perf_counter()
        assistant.ask(question)
        latencies.append((time.perf_counter() - started) * 1000)

    env = {**os.environ, "RAG_HOME": str(work / "home")}
    rag = [sys.executable, "-m", "ui.cli"]
    help_s = min(timed_process([*rag, "--help"], env) for _ in range(3))
    cold_ask_s = timed_process([*rag, "ask", questions[0]], env)

    results = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "corpus": f"{args.corpus} (first {args.articles} articles)",
        "chunks": len(texts),
        "chunks_embedded": report.chunks_embedded,
        "ingest_s": round(ingest_s, 2),
        "pure_encode_s": round(encode_s, 2),
        "ingest_overhead_ratio": round(ingest_s / encode_s, 3),
        "reingest_s": round(reingest_s, 3),
        "reingest_share_of_first": round(reingest_s / ingest_s, 4),
        "asks": len(latencies),
        "warm_ask_p50_ms": round(statistics.median(latencies), 1),
        "warm_ask_p95_ms": round(percentile(latencies, 0.95), 1),
        "rag_help_s": round(help_s, 3),
        "cold_rag_ask_s": round(cold_ask_s, 2),
        "command": " ".join(sys.argv),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
