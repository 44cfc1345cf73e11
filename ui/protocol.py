"""uvicorn's HTTP protocol with the API's error shape for requests it cannot parse.

A request uvicorn rejects before the app sees it (a non-numeric `Content-Length`, a
malformed request line or header) gets uvicorn's plain-text 400; with `JsonErrorH11`
as uvicorn's `http` it gets the same `{"error": {...}}` body as every other 4xx.

>>> uvicorn.run(app, http=JsonErrorH11)  # doctest: +SKIP
"""

from __future__ import annotations

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from ui.api_models import ErrorOut


def unparsable_request_body(reason: str) -> bytes:
    """The JSON error body for a request that could not be parsed as HTTP."""
    error = {
        "message": f"the request is not valid HTTP: {reason}",
        "type": "invalid_request_error",
        "param": None,
        "code": "unparsable_request",
    }
    return ErrorOut.model_validate({"error": error}).model_dump_json().encode()


class JsonErrorH11(H11Protocol):
    """uvicorn's h11 protocol; its own 400s carry the API's JSON error shape."""

    def send_400_response(self, msg: str) -> None:
        body = unparsable_request_body(msg)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()
