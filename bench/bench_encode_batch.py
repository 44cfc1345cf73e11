"""The ingest encode at several `embedding.batch_size` values: time and peak memory.

    python bench/bench_encode_batch.py --corpus ../shared/training/realtimeqa-train/corpus.jsonl

Each batch size runs in a fresh process (ONNX Runtime's arena keeps the largest call's
work memory for the process's life, so one process per size): the first `--chunks`
chunks of the corpus, cut by the project's chunker, go through `embed_chunks` 256 at a
time, as an ingest batch does. Recorded: the encode's wall time, and the process's peak
RSS (`wait4`) against its RSS with the model loaded. Sizes run in alternation,
`--repeats` times each. Writes bench/results/encode_batch.json. Run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.memory import rss_mb

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SLICE = 256  # chunks per embed_chunks call, as index.ingest.BATCH_CHUNKS


def child(corpus: Path, chunks: int, batch_size: int, backend: str) -> None:
    """Encode in this process and print its figures as one JSON line."""
    from bench.bench_encoders import chunk_texts
    from index.embedding import build_embedder
    from index.settings import EmbeddingSettings

    embedder = build_embedder(EmbeddingSettings(backend=backend, batch_size=batch_size))
    cut = chunk_texts(corpus, sys.maxsize, embedder, max_chunks=chunks)
    texts = [text for text, _ in cut]
    sentences = [spans for _, spans in cut]
    embedder.embed_chunks(texts[:2], sentences[:2])  # loads the model
    loaded = rss_mb()["rss_mb"]
    started = time.perf_counter()
    for first in range(0, len(texts), SLICE):
        embedder.embed_chunks(texts[first : first + SLICE], sentences[first : first + SLICE])
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "loaded_rss_mb": loaded, "chunks": len(texts)}))


def run_one(corpus: Path, chunks: int, batch_size: int, backend: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", "--corpus", str(corpus)]
    command += ["--chunks", str(chunks), "--sizes", str(batch_size), "--backend", backend]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        # Files, not pipes: a child that writes more than a pipe holds would block.
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"batch size {batch_size} failed: {err.read().decode()[-2000:]}")
        lines = out.read().decode().strip().splitlines()
    figures = json.loads(lines[-1])
    figures["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux: kilobytes
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="JSONL with a text field")
    parser.add_argument("--chunks", type=int, default=2560)
    parser.add_argument("--sizes", default="32,16,8,4", help="batch sizes, comma-separated")
    parser.add_argument("--backend", default="onnx-int8", choices=("torch", "onnx", "onnx-int8"))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=Path("bench/results/encode_batch.json"))
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if args.child:
        child(args.corpus, args.chunks, sizes[0], args.backend)
        return
    runs: dict[int, list[dict[str, Any]]] = {size: [] for size in sizes}
    for _ in range(args.repeats):
        for size in sizes:
            runs[size].append(run_one(args.corpus, args.chunks, size, args.backend))
            print(size, runs[size][-1], flush=True)
    results = [
        {
            "batch_size": size,
            "chunks": measured[0]["chunks"],
            "encode_s": [round(m["seconds"], 1) for m in measured],
            "chunks_per_s_best": round(
                measured[0]["chunks"] / min(m["seconds"] for m in measured), 1
            ),
            "loaded_rss_mb": round(min(m["loaded_rss_mb"] for m in measured), 1),
            "peak_rss_mb": round(max(m["peak_rss_mb"] for m in measured), 1),
        }
        for size, measured in runs.items()
    ]
    report = {
        "command": "python bench/bench_encode_batch.py " + " ".join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "backend": args.backend,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
