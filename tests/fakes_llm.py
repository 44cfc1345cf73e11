"""A fake OpenAI-compatible chat server on loopback, scripted reply by reply.

Real HTTP, so the tests exercise the same client stack (llama-index -> openai ->
httpx) a deployment does; only the model is fake.

>>> with FakeLLMServer() as llm:  # doctest: +SKIP
...     llm.push(Reply("Lund said it [1]."), HTTPFailure(503), Slow(5.0, "too late"))
...     llm.base_url  # 'http://127.0.0.1:<port>/v1'
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from llama_index.core.llms import (
    CompletionResponse,
    CompletionResponseGen,
    CustomLLM,
    LLMMetadata,
)
from llama_index.core.llms.callbacks import llm_completion_callback
from pydantic import Field


@dataclass(frozen=True)
class Reply:
    """A well-formed chat completion whose message is `content`."""

    content: str


@dataclass(frozen=True)
class Slow:
    """A well-formed reply sent only after `delay_s` seconds."""

    delay_s: float
    content: str = "Too late."


@dataclass(frozen=True)
class HTTPFailure:
    """An HTTP error status with an OpenAI-style error body."""

    status: int
    message: str = "the model is overloaded"


@dataclass(frozen=True)
class RawBody:
    """A 200 response whose body is `body` as is (not a chat completion)."""

    body: bytes
    content_type: str = "application/json"


Scripted = Reply | Slow | HTTPFailure | RawBody


@dataclass
class FakeLLMServer:
    """Serves POST /v1/chat/completions from a queue of scripted replies.

    When the queue is empty it answers with `HTTPFailure(500)`, so a test that
    triggers an unexpected call fails loudly rather than hanging.
    """

    model: str = "fake-model"
    requests: list[dict[str, Any]] = field(default_factory=list)
    _script: deque[Scripted] = field(default_factory=deque)
    _stop: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "the server is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def push(self, *replies: Scripted) -> None:
        self._script.extend(replies)

    def reset(self) -> None:
        self._script.clear()
        self.requests.clear()

    def prompts(self) -> list[str]:
        """The text of every request's messages, one string per request."""
        return [
            "\n".join(str(m.get("content", "")) for m in request.get("messages", []))
            for request in self.requests
        ]

    def start(self) -> FakeLLMServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    request = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    request = {}
                fake.requests.append(request)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                scripted = (
                    fake._script.popleft() if fake._script else HTTPFailure(500, "unscripted")
                )
                self._serve(scripted)

            def _serve(self, scripted: Scripted) -> None:
                if isinstance(scripted, Slow):
                    # Wakes early when the server stops, so teardown never waits.
                    if fake._stop.wait(scripted.delay_s):
                        return
                    scripted = Reply(scripted.content)
                if isinstance(scripted, Reply):
                    self._send(200, fake.completion(scripted.content))
                elif isinstance(scripted, HTTPFailure):
                    error = {"message": scripted.message, "type": "server_error"}
                    self._send(scripted.status, {"error": error})
                else:
                    self._send_bytes(200, scripted.body, scripted.content_type)

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                self._send_bytes(status, json.dumps(payload).encode(), "application/json")

            def _send_bytes(self, status: int, body: bytes, content_type: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to tell it

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._stop.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def completion(self, content: str) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class CannedLLM(CustomLLM):
    """A llama-index LLM (no HTTP) that answers every prompt with `reply` and keeps the
    prompts it was given; also built by import path (`tests.fakes_llm:CannedLLM`), as a
    user's own class would be."""

    reply: str = ""
    prompts: list[str] = Field(default_factory=list)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="canned")

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self.prompts.append(prompt)
        return CompletionResponse(text=self.reply)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        yield self.complete(prompt, formatted, **kwargs)
