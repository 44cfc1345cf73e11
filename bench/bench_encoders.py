"""The embedding backends side by side in one run: torch, ONNX fp32, ONNX int8.

    python bench/bench_encoders.py --corpus ../shared/benchmarks/realtimeqa-dev/corpus.jsonl \
        --questions ../shared/benchmarks/realtimeqa-dev/questions.jsonl

For each backend, on the same chunks (the first `--articles` articles cut by the
project's chunker) and the same questions:
  - documents: chunks per second of `embed_chunks` (the ingest encode: chunk and
    sentence vectors), best of `--repeats` passes;
  - queries: one uncached `embed_query` per question, p50 / p95 in ms;
  - agreement: the cosine of each chunk vector with torch's (min, mean).
Writes bench/results/encoders.json. Retrieval quality per backend is `rag eval`'s job
(eval/results/), since it needs an index built with each.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import numpy as np

from index.chunking import Chunker
from index.embedding import Embedder, build_embedder
from index.settings import ChunkingSettings, EmbeddingSettings

BACKENDS = ("torch", "onnx", "onnx-int8")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


Chunks = list[tuple[str, list[tuple[int, int]]]]


def chunk_texts(
    corpus: Path, articles: int, embedder: Embedder, max_chunks: int | None = None
) -> Chunks:
    """(text, sentence spans in it) of each chunk, as ingest cuts them, of the first
    `articles` articles; at most `max_chunks` chunks."""
    chunker = Chunker(ChunkingSettings(), embedder.token_offsets, embedder.max_tokens)
    chunks: Chunks = []
    with corpus.open(encoding="utf-8") as lines:
        for line in itertools.islice(lines, articles):
            for span in chunker.split(json.loads(line)["text"]):
                local = [(s - span.start, e - span.start) for s, e in span.sentences]
                chunks.append((span.text, local))
            if max_chunks is not None and len(chunks) >= max_chunks:
                break
    return chunks[:max_chunks]


def measure(
    backend: str, chunks: Chunks, questions: list[str], repeats: int, cache: Path
) -> tuple[dict[str, Any], np.ndarray]:
    embedder = build_embedder(EmbeddingSettings(backend=backend, onnx_cache=cache))
    started = time.perf_counter()
    embedder.embed_query("load the model")
    load_s = time.perf_counter() - started
    texts = [text for text, _ in chunks]
    spans = [local for _, local in chunks]
    passes = []
    vectors = np.empty(0)
    for _ in range(repeats):
        started = time.perf_counter()
        vectors, _sentences = embedder.embed_chunks(texts, spans)
        passes.append(time.perf_counter() - started)
    query_ms = []
    for question in questions:
        started = time.perf_counter()
        embedder.embed_query(question)
        query_ms.append((time.perf_counter() - started) * 1000)
    result = {
        "backend": backend,
        "load_s": round(load_s, 2),
        "chunks_per_s": round(len(texts) / min(passes), 1),
        "encode_s_best": round(min(passes), 2),
        "query_ms_p50": round(statistics.median(query_ms), 2),
        "query_ms_p95": round(percentile(query_ms, 0.95), 2),
    }
    return result, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/results/encoders.json"))
    args = parser.parse_args()

    lines = args.questions.read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    cache = Path(tempfile.mkdtemp(prefix="bench-onnx-"))  # the export is timed as load_s
    chunks = chunk_texts(args.corpus, args.articles, build_embedder(EmbeddingSettings()))
    results: list[dict[str, Any]] = []
    reference: np.ndarray | None = None
    for backend in BACKENDS:
        result, vectors = measure(backend, chunks, questions, args.repeats, cache)
        if reference is None:
            reference = vectors
        agreement = (vectors * reference).sum(axis=1)
        result["cosine_to_torch_min"] = round(float(agreement.min()), 4)
        result["cosine_to_torch_mean"] = round(float(agreement.mean()), 4)
        results.append(result)
        print(json.dumps(result))
    torch_rate = results[0]["chunks_per_s"]
    for result in results:
        result["throughput_vs_torch"] = round(result["chunks_per_s"] / torch_rate, 2)
    report = {
        "command": "python bench/bench_encoders.py --corpus "
        f"{args.corpus} --questions {args.questions} --articles {args.articles}",
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "chunks": len(chunks),
        "questions": len(questions),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
