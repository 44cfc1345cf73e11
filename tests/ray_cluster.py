"""A private local Ray cluster for tests and benchmarks, stopped by its PID.

`ray start --head --block` on free ports, with usage stats and the dashboard off and a
fresh token of its own (`RAY_AUTH_MODE=token`): without one, Ray turns token auth on by
itself whenever a `~/.ray/auth_token` exists, and a driver that does not know the token
is refused. Ray binds its head to the node's address however it is asked (it maps
127.0.0.1 to the routable one), so the token is what keeps other hosts out.
`--block` keeps the head in the foreground: SIGTERM to that one PID drains and stops
every process it started (no drain wait), where `ray stop` would stop every Ray on the machine.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.processes import free_port, stop_process

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 90.0
STARTED = "Ray runtime started"
OBJECT_STORE_BYTES = 200_000_000  # small: /dev/shm of a CI container may be 64 MB-2 GB
STOP_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class RayCluster:
    address: str  # host:port of the head's GCS, what `rag ingest --ray` takes
    env: dict[str, str]  # what a driver needs in its environment to be let in


def ray_command() -> str:
    found = Path(sys.executable).parent / "ray"
    if not found.exists():
        raise RuntimeError(f"the `ray` command is not beside {sys.executable}: install .[cluster]")
    return str(found)


@contextmanager
def local_ray_cluster(cpus: int) -> Iterator[RayCluster]:
    """A head node with `cpus` CPUs on this machine; its workers import this checkout."""
    # Short: Ray's socket paths under the temp dir must stay within 107 characters.
    folder = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    port, client_port = free_port(), free_port()
    access = {
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
    }
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {
        **os.environ,
        **access,
        "PYTHONPATH": path,
        "HF_HUB_OFFLINE": "1",
        # On SIGTERM the head would wait up to 30 s for its idle workers to drain.
        "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0",
    }
    command = [
        ray_command(),
        "start",
        "--head",
        "--block",
        "--node-ip-address=127.0.0.1",
        f"--port={port}",
        f"--ray-client-server-port={client_port}",
        "--include-dashboard=false",
        "--disable-usage-stats",
        f"--num-cpus={cpus}",
        f"--object-store-memory={OBJECT_STORE_BYTES}",
        f"--temp-dir={folder}",
    ]
    log = folder / "head.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_for_start(process, log)
        yield RayCluster(f"127.0.0.1:{port}", access)
    finally:
        _disconnect()
        stop_process(process, timeout_s=STOP_TIMEOUT_S)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_start(process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if STARTED in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"the Ray head did not start:\n{log.read_text(errors='replace')[-3000:]}")


def _disconnect() -> None:
    """This process's driver goes before its cluster does."""
    if "ray" in sys.modules:
        import ray

        if ray.is_initialized():
            ray.shutdown()
