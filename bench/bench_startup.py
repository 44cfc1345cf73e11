"""Start-up as a user meets it: each command a whole new process, best and median of N.

    python bench/bench_startup.py [--runs 5] [--backend onnx-int8]

On an index of seeds/ built first (not timed):
  - `rag status`;
  - `rag ask QUESTION` (a cold ask: imports, model and store loading, one answer);
  - `rag serve --no-ingest` until its first answer: start to a 200 from POST /v1/ask.
Writes bench/results/startup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAG = str(Path(sys.executable).parent / "rag")
QUESTION = "How many targets did U.S. airstrikes hit?"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env=env, cwd=ROOT)
    return time.perf_counter() - started


def serve_until_answered(env: dict[str, str], timeout_s: float = 120.0) -> float:
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [RAG, "serve", "--no-ingest", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    body = json.dumps({"question": QUESTION}).encode()
    try:
        while time.perf_counter() - started < timeout_s:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/v1/ask",
                data=body,
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"rag serve did not answer within {timeout_s} s")
    finally:
        server.terminate()
        server.wait(timeout=30)


def summary(times: list[float]) -> dict[str, float]:
    return {"best_s": round(min(times), 2), "median_s": round(statistics.median(times), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", default=None, help="embedding.backend (default: the default)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/startup.json"))
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    env = {**os.environ, "RAG_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    env.setdefault("ANONYMIZED_TELEMETRY", "False")
    env.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    if args.backend:
        env["RAG_EMBEDDING__BACKEND"] = args.backend
    subprocess.run([RAG, "ingest", "seeds"], check=True, capture_output=True, env=env, cwd=ROOT)
    runs: dict[str, list[float]] = {"help": [], "status": [], "ask": [], "serve_first_answer": []}
    for _ in range(args.runs):
        runs["help"].append(timed([RAG, "--help"], env))
        runs["status"].append(timed([RAG, "status"], env))
        runs["ask"].append(timed([RAG, "ask", QUESTION], env))
        runs["serve_first_answer"].append(serve_until_answered(env))
    report = {
        "command": "python bench/bench_startup.py"
        + (f" --backend {args.backend}" if args.backend else ""),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "runs": args.runs,
        "backend": args.backend or "default",
        "results": {name: summary(times) for name, times in runs.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report["results"]))


if __name__ == "__main__":
    main()
