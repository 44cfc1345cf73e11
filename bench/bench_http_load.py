"""HTTP load on `/v1/ask`, written to bench/results/http_load.json.

    .venv/bin/python bench/bench_http_load.py            # 16 clients x 25 questions

Starts `rag serve` (the real MiniLM model over seeds/, in a fresh index) on a free
loopback port, fires 16 clients x 25 questions the moment `/healthz` first answers (the
first questions of a new server, sent together), asks the 25 questions four times with a
single client, then with 16
concurrent clients (each with its own connection, each asking all 25, starting at a
different one), and stops the server by its PID. Any non-200 answer is an error; the
script exits 1 if there was one. Latencies are per request, as the client sees them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.processes import free_port, stop_process  # noqa: E402

QUESTIONS = [
    "How many targets did U.S. airstrikes hit on Feb. 2?",
    "Who was killed on January 28?",
    "How many militiamen were killed in the February 2 strikes?",
    "Who is Aron Lund?",
    "Who is Michael Knights?",
    "Who writes the blog Musings on Iraq?",
    "How many American troops are based in Iraq?",
    "Which aircraft took part in the strikes on February 2?",
    "Where is the 28th Bomb Wing based?",
    "Who is Nicholas Heras?",
    "Which militia commander was killed on Wednesday?",
    "How many U.S. troops were injured in the drone attack?",
    "What does Iran want the United States to choose between?",
    "Who trains the militias?",
    "Why does the Biden administration avoid striking Iran directly?",
    "What is the U.S. strategy against the militants?",
    "How many locations did the airstrikes hit?",
    "What did Joel Wing say about the militias?",
    "What happens in Iraq after each U.S. retaliatory strike?",
    "What do Republican presidential candidates say about the attack?",
    "Since when have the militias confronted the United States?",
    "Which group is responsible for attacks on U.S. forces in Iraq?",
    "What is the only way out that Iran keeps open?",
    "Did attacks on U.S. forces decline after the strikes?",
    "Who is Kataib Hezbollah?",
]


def start_server(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RAG_HOME": str(home),
        "RAG_SEEDS": str(ROOT / "seeds"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    env.pop("RAG_API_KEY", None)
    command = [sys.executable, "-m", "ui.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(server: subprocess.Popen[bytes], base: str, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server was not ready after {timeout_s} s")


async def client_run(
    base: str, offset: int, rounds: int, latencies: list[float], errors: list[str]
) -> None:
    """Ask every question `rounds` times, starting at `offset`, over one keep-alive connection."""
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        for i in range(rounds * len(QUESTIONS)):
            question = QUESTIONS[(offset + i) % len(QUESTIONS)]
            started = time.perf_counter()
            try:
                response = await client.post("/v1/ask", json={"question": question})
                ok = response.status_code == 200 and response.json()["question"] == question
                if not ok:
                    errors.append(f"{response.status_code}: {response.text[:200]}")
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            latencies.append((time.perf_counter() - started) * 1000)


async def load(base: str, clients: int, rounds: int = 1) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    await asyncio.gather(*(client_run(base, c, rounds, latencies, errors) for c in range(clients)))
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "wall_s": round(wall, 2),
        "throughput_rps": round(len(latencies) / wall, 2),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50), 1),
            "p95": round(percentile(latencies, 0.95), 1),
            "max": round(max(latencies), 1),
            "mean": round(statistics.fmean(latencies), 1),
        },
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/http_load.json")
    args = parser.parse_args()

    load_before = round(os.getloadavg()[0], 2)
    work = Path(tempfile.mkdtemp(prefix="bench-http-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(work / "home", port, work / "server.log")
    try:
        wait_ready(server, base)
        # The moment the server answers: every client's first question at once (issue 13).
        first_burst = asyncio.run(load(base, args.clients))
        status = httpx.get(f"{base}/v1/status", timeout=30).json()
        asyncio.run(load(base, 1))  # warm-up: the model and the index load on first use
        # Four rounds, so the single-client figure rests on 100 requests too.
        single = asyncio.run(load(base, 1, rounds=4))
        concurrent = asyncio.run(load(base, args.clients))
    finally:
        stop_process(server)

    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "endpoint": "POST /v1/ask (rag serve, loopback)",
        "questions_per_client": len(QUESTIONS),
        "first_burst_after_ready": first_burst,
        "concurrent": concurrent,
        "single_client": single,
        "speedup_vs_single_client": round(
            concurrent["throughput_rps"] / single["throughput_rps"], 2
        ),
        "index": {k: status[k] for k in ("articles", "chunks", "model")},
        # Other work on the machine skews the figures: the load average says how much.
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_1m": {"before": load_before, "after": round(os.getloadavg()[0], 2)},
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 1 if first_burst["errors"] or concurrent["errors"] or single["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
