"""Every error the HTTP API returns, its own routes' or the framework's, has one shape."""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.ui.http_support import LiveServer


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/no-such-route", 404),
        ("GET", "/v1/articles/no-such-id", 404),
        ("DELETE", "/v1/status", 405),
        ("PUT", "/v1/ask", 405),
    ],
)
def test_errors_use_the_documented_error_shape(
    client: TestClient, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"] and body["error"]["type"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            b'{"question": "caf\xe9?"}',
            "the request body is not UTF-8 text (byte 0xe9 at offset 17)",
        ),
        (
            b"[" * 10_000 + b"]" * 10_000,
            "the request body is not valid JSON: it is nested too deeply",
        ),
    ],
)
def test_an_unreadable_body_gets_400_saying_why(
    client: TestClient, raw: bytes, message: str
) -> None:
    headers = {"Content-Type": "application/json"}
    response = client.post("/v1/ask", content=raw, headers=headers)
    assert response.status_code == 400
    assert response.json() == {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}
    }


def _switches(client: TestClient) -> list[tuple[str, str]]:
    """(path, field) of every boolean field of a JSON request body, from /openapi.json."""
    spec = client.get("/openapi.json").json()
    found = []
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            if "$ref" not in body.get("schema", {}):
                continue
            model = spec["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[1]]
            found += [(path, name) for name, field in model["properties"].items() if _bool(field)]
    return found


def _bool(field: dict[str, Any]) -> bool:
    return "boolean" in [field.get("type"), *(f.get("type") for f in field.get("anyOf", []))]


def test_every_switch_of_every_endpoint_takes_only_true_or_false(client: TestClient) -> None:
    """`"stream": "yes"` is a 422 naming the field, as `"time_window": "yes"` is."""
    switches = _switches(client)
    assert {
        ("/v1/ask", "time_window"),
        ("/v1/chat/completions", "stream"),
        ("/v1/timeline", "newest_first"),
        ("/v1/feedback", "no_answer"),
    } <= set(switches)
    for path, name in switches:
        for value in ("yes", 1, "true"):
            response = client.post(path, json={name: value})
            assert response.status_code == 422, (path, name, value)
            assert f"{name}: Input should be a valid boolean" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "head",
    [
        b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"GET /v1/status HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
        b"NOT HTTP AT ALL\r\n\r\n",
    ],
)
def test_a_request_uvicorn_cannot_parse_gets_the_json_error_shape(
    live: LiveServer, head: bytes
) -> None:
    """uvicorn answers these itself, before the app; it answered in plain text."""
    host, port = urlsplit(live.url).hostname, urlsplit(live.url).port
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(head)
        raw = b""
        while chunk := conn.recv(65536):
            raw += chunk
    status_line, _, rest = raw.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert status_line.startswith(b"HTTP/1.1 400"), raw
    assert b"content-type: application/json" in headers.lower()
    error = json.loads(body)["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("the request is not valid HTTP: ")
