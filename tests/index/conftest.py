"""Fixtures of the index tests: a real `chroma run` server for the session, and a client.

The session starts the `chroma` command that the chromadb package installs beside
this Python, on a free loopback port with its data in a temp folder, and stops it
by its PID at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.processes import free_port, stop_process

STARTUP_TIMEOUT_S = 60.0


def chroma_command() -> str:
    """The `chroma` CLI of the chromadb package installed in this environment."""
    beside_python = Path(sys.executable).parent / "chroma"
    found = str(beside_python) if beside_python.exists() else shutil.which("chroma")
    if not found:
        pytest.fail("the `chroma` command (installed with the chromadb package) is missing")
    return found


def wait_for_heartbeat(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"chroma exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"chroma did not answer within {STARTUP_TIMEOUT_S:g} s:\n{log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a running `chroma run` server, private to this test session."""
    data = tmp_path_factory.mktemp("chroma-server")
    log = data.parent / "chroma-server.log"
    port = free_port()
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    command = [chroma_command(), "run", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--path", str(data)], stdout=out, stderr=subprocess.STDOUT, env=env
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_heartbeat(url, process, log)
        yield url
    finally:
        stop_process(process, timeout_s=10)


@pytest.fixture
def server(chroma_server: str) -> Iterator[Any]:
    """A client of the server; every collection is deleted after the test."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    port = int(chroma_server.rsplit(":", 1)[1])
    client = chromadb.HttpClient(
        host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False)
    )
    yield client
    for collection in client.list_collections():
        client.delete_collection(collection.name)
