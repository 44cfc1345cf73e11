"""Every error the HTTP API returns, its own routes' or the framework's, has one shape."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


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
