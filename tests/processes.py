"""Processes that tests and benchmarks start themselves: a free loopback port, a stop by
PID, a Python script in a fresh interpreter."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    """SIGTERM by PID, then SIGKILL if it has not exited within `timeout_s`."""
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout_s)


def run_python(script: str, timeout_s: float = 300.0) -> Any:
    """Run `script` in a fresh interpreter at the project root (offline) and return the
    JSON its last line of output prints; a failing script fails the caller."""
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout_s,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])
