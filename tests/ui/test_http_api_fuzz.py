"""Schema-based fuzzing of the HTTP API: schemathesis draws valid and invalid requests
from `/openapi.json`; none may get a 5xx, a response outside the schema, or hang."""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from rag import Assistant
from ui.http_api import build_api_router

# Not `positive_data_acceptance`: a request the schema allows can still be refused for
# a reason the schema cannot state (an `until` earlier than `since`, an unknown id).
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

# An invalid request may also be refused for its size (a drawn history can be long).
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": ["400", "401", "404", "405", "413", "415", "422"]
            }
        }
    }
)


def build_schema(assistant: Assistant, api_key: str | None) -> schemathesis.BaseSchema:
    app = FastAPI()
    settings = assistant.settings.model_copy(update={"api_key": api_key})
    app.include_router(build_api_router(assistant, settings))
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


ALL = {
    "GET /healthz",
    "POST /v1/ask",
    "POST /v1/chat/completions",
    "GET /v1/models",
    "GET /v1/articles/{article_id}",
    "GET /v1/articles",
    "DELETE /v1/articles/{article_id}",
    "POST /v1/feedback",
    "POST /v1/timeline",
    "GET /v1/status",
    "GET /v1/sources",
    "POST /v1/sources",
    "DELETE /v1/sources",
}
# Only requests with a body (or constrained query parameters) can be made invalid; the
# others have nothing to negate.
WITH_BODY = {
    "POST /v1/ask",
    "POST /v1/chat/completions",
    "POST /v1/feedback",
    "POST /v1/timeline",
    "GET /v1/articles",
    "POST /v1/sources",
    "DELETE /v1/sources",
}


# Drawn with `as_strategy` and `@given` rather than `schema.parametrize()`: schemathesis'
# fixture-based loader does not work with pytest 9, and the app needs a seeded fixture.
@pytest.mark.parametrize(
    ("mode", "operations", "api_key"),
    [
        (GenerationMode.POSITIVE, ALL, None),
        (GenerationMode.NEGATIVE, WITH_BODY, None),
        # With a key the schema declares bearer auth, and the drawn Authorization
        # headers (all wrong) go through the key check.
        (GenerationMode.POSITIVE, ALL, "fuzz-key"),
    ],
    ids=["valid", "invalid", "valid-with-key"],
)
def test_no_request_gets_a_server_error(
    seeded_fake_assistant: Assistant,
    mode: GenerationMode,
    operations: set[str],
    api_key: str | None,
) -> None:
    schema = build_schema(seeded_fake_assistant, api_key)
    seen: set[str] = set()

    @given(case=schema.as_strategy(mode))
    @settings(
        max_examples=150,  # every route drawn at least once
        deadline=timedelta(seconds=5),  # a hang fails the test instead of stalling the suite
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: schemathesis.Case) -> None:
        seen.add(case.operation.label)
        case.call_and_validate(checks=CHECKS)

    check()
    assert seen == operations
