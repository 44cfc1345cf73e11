"""Ingest throughput on a local Ray cluster against one process, on the same corpus.

    python bench/bench_ray_ingest.py --corpus ../shared/benchmarks/realtimeqa-dev/corpus.jsonl \
        --articles 120 --workers 1 2

The first N articles are ingested into a fresh index by one process (its models loaded
first), then by `rag ingest --ray` with each number of workers, on a private Ray head
started here with every core of this machine (tests/ray_cluster.py), each into a fresh
index (embedded Chroma for all, so only the encode step differs). A Ray ingest's time
includes starting its actor pool and loading the models on every worker, as each
`rag ingest --ray` does; `first_batch_s` is when its first batch was written, and
`steady_chunks_per_s` the rate after it. Every index is checked against the single
process's: the same chunk ids and vectors. Also timed: chunking all articles on the
driver, the part a cluster ingest does not spread. Writes bench/results/ray_ingest.json.

A batch (whole articles, ~256 chunks) is the unit of work, and a pool has no more actors
than batches: 120 articles are ~5 batches, so two workers can at best share them 3:2.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.loaders import load_articles  # noqa: E402
from rag import Assistant, Settings  # noqa: E402
from tests.ray_cluster import local_ray_cluster  # noqa: E402

DEFAULT_OUT = ROOT / "bench" / "results" / "ray_ingest.json"


class Clock:
    """Times an ingest and when its first batch was written (the progress callback)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.first: tuple[float, int] | None = None  # (seconds, chunks) at the first batch

    def progress(self, done: int, total: int) -> None:
        if self.first is None:
            self.first = (time.perf_counter() - self.started, done)

    def figures(self, chunks: int) -> dict[str, Any]:
        seconds = time.perf_counter() - self.started
        figures: dict[str, Any] = {
            "ingest_s": round(seconds, 2),
            "chunks_per_s": round(chunks / seconds, 1),
        }
        if self.first is not None:
            first_s, first_chunks = self.first
            figures["first_batch_s"] = round(first_s, 2)
            if chunks > first_chunks:  # more than one batch
                rate = (chunks - first_chunks) / (seconds - first_s)
                figures["steady_chunks_per_s"] = round(rate, 1)
        return figures


def stored(assistant: Assistant) -> tuple[list[str], np.ndarray]:
    got = assistant.index.vectors.collection.get(include=["embeddings"])
    order = np.argsort(got["ids"])
    ids = [got["ids"][i] for i in order]
    return ids, np.asarray(got["embeddings"], dtype=np.float32)[order]


def ingest_once(assistant: Assistant, corpus: Path) -> dict[str, Any]:
    clock = Clock()
    report = assistant.ingest([corpus], progress=clock.progress)
    return {"chunks": report.chunks_embedded, **clock.figures(report.chunks_embedded)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    try:
        return measure(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    corpus = work / "corpus.jsonl"
    lines = args.corpus.read_text(encoding="utf-8").splitlines()[: args.articles]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")

    single = Assistant(Settings(home=work / "single"))
    single.index.embedder.embed_query("warm up the model")
    single.index.recognizer.entities(["Warm up the entity recognizer in Paris."])
    result: dict[str, Any] = {"single_process": ingest_once(single, corpus)}
    expected_ids, expected_vectors = stored(single)

    articles = load_articles([corpus]).articles
    started = time.perf_counter()
    for article in articles:
        single.index.chunker.split(article.text)
    result["driver_chunking_s"] = round(time.perf_counter() - started, 2)

    cpus = os.cpu_count() or 1
    runs: list[dict[str, Any]] = []
    with local_ray_cluster(cpus=cpus) as cluster:
        os.environ.update(cluster.env)
        for workers in args.workers:
            ingest = {"ray_address": cluster.address, "ray_workers": workers}
            assistant = Assistant(Settings(home=work / f"ray-{workers}", ingest=ingest))
            figures = ingest_once(assistant, corpus)
            ids, vectors = stored(assistant)
            same = ids == expected_ids and np.array_equal(vectors, expected_vectors)
            runs.append({"workers": workers, **figures, "identical_to_single": same})
    result["ray"] = runs
    return {
        "corpus": f"{args.corpus} (first {args.articles} articles)",
        **result,
        "store": "embedded Chroma in each fresh home",
        "ray_cluster": f"one local head, {cpus} CPUs (one per worker), tests/ray_cluster.py",
        "machine": f"{platform.machine()}, {cpus} cores",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "command": "python bench/bench_ray_ingest.py " + " ".join(sys.argv[1:]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="a .jsonl corpus")
    parser.add_argument("--articles", type=int, default=120, help="its first N articles")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="pool sizes")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    result = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
