"""Run the web app on a free loopback port in a background thread, for browser tests and bench."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from rag import Assistant
from tests.processes import free_port
from ui.app import create_app
from ui.serve import server_config


@contextmanager
def running_app(assistant: Assistant, timeout_s: float = 30.0) -> Iterator[str]:
    """Serve `assistant` at the yielded base URL until the block ends."""
    port = free_port()
    app = create_app(assistant, assistant.settings)
    # Open streams (the page's event stream, gradio_client's heartbeat) would hold up a
    # graceful shutdown; a second is plenty for a test server.
    config = server_config(app, "127.0.0.1", port, timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the test server did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
