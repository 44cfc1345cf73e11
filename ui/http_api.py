"""The JSON API: `/v1/ask`, OpenAI-compatible `/v1/chat/completions`, articles, status.

    app = FastAPI()
    app.include_router(build_api_router(assistant, settings))

Every route goes through one gate (`_gated_route`) that checks the bearer key and the
body size before the body is read, and turns every error into a JSON body of the
OpenAI shape `{"error": {"message", "type", "param", "code"}}`: `InputError` and
schema violations give 422 naming the field (`param`: `InputError.field`), an empty
index or a failing store (`StoreError`: Chroma, disk, SQLite) gives 503, and no
request ends in an unhandled exception. The router carries the gate itself, so it
behaves the same whatever application it is mounted in.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.types import Message

from rag import ArticleView, Assistant, InputError, NotReadyError, RagError, Settings, StoreError
from rag.types import public_path
from ui.api_models import (
    ArticleOut,
    ArticlePageOut,
    AskRequest,
    AskResponse,
    ChatCompletion,
    ChatCompletionRequest,
    Day,
    ErrorOut,
    FeedbackOut,
    FeedbackRequest,
    HealthOut,
    ModelList,
    ModelOut,
    RemovalOut,
    SourceListOut,
    SourceOut,
    SourceRequest,
    StatusOut,
)
from ui.openai_chat import completion, question_and_history, stream_events
from ui.timeline_api import add_timeline_route

log = logging.getLogger(__name__)

MODEL_NAME = "newsrag"

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The body could not be read (not UTF-8, ...)."},
    401: {"model": ErrorOut, "description": "Missing or wrong bearer key."},
    413: {"model": ErrorOut, "description": "Request body too large."},
    422: {"model": ErrorOut, "description": "Invalid request; the message names the field."},
    503: {
        "model": ErrorOut,
        "description": "The index is empty (not_ready_error) or its store failed (store_error).",
    },
}

_NO_SUCH_ARTICLE = {**_ERRORS, 404: {"model": ErrorOut, "description": "No such article."}}


class ApiError(Exception):
    """An error with its HTTP status, raised by a route and rendered by the gate."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.param = status, message, kind, param
        self.code = code


class AnyText(Convertor[str]):
    """A path segment that may hold anything, `/` and newlines too: article ids are
    free text (a `.jsonl` line's `id`), and the built-in `path` stops at a newline."""

    regex = r"[\s\S]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


MIN_PUBLIC_KEY_CHARS = 12


def build_api_router(assistant: Assistant, settings: Settings) -> APIRouter:
    """The `/v1` routes and `/healthz`, answering from `assistant`."""
    register_url_convertor("anytext", AnyText())
    key = settings.api_key or None
    router = APIRouter(route_class=_gated_route(key, settings.server.max_body_bytes))
    # Documents the bearer scheme in /openapi.json (and the Authorize button of /docs);
    # the check itself happens in the gate, before the body is read.
    secured = [Security(HTTPBearer(auto_error=False))] if key else []

    def article_or_404(article_id: str) -> ArticleView:
        try:
            return assistant.article(article_id)
        except InputError as exc:
            raise ApiError(404, str(exc), "not_found_error", "article_id") from None

    @router.get("/healthz", response_model=HealthOut, tags=["meta"])
    def healthz() -> HealthOut:
        """Liveness: answers without touching the index."""
        return HealthOut()

    @router.post(
        "/v1/ask", response_model=AskResponse, responses=_ERRORS, dependencies=secured, tags=["qa"]
    )
    def ask(body: AskRequest) -> AskResponse:
        """Answer a question with cited quotes: the object `rag ask --json` prints."""
        answer = assistant.ask(
            body.question,
            top_k=body.top_k,
            since=body.since,
            until=body.until,
            history=[turn.model_dump() for turn in body.history],
            time_window=body.time_window,
        )
        return AskResponse.model_validate(answer.to_dict())

    @router.post(
        "/v1/chat/completions",
        response_model=ChatCompletion,
        responses={
            **_ERRORS,
            200: {"content": {"text/event-stream": {}}, "description": "With `stream`: SSE."},
            404: {"model": ErrorOut, "description": "An unknown `model` (model_not_found)."},
        },
        dependencies=secured,
        tags=["openai"],
    )
    def chat_completions(body: ChatCompletionRequest) -> Any:
        """OpenAI-compatible chat: the answer text carries `[n]` markers and the response
        carries the structured `citations`."""
        if body.model != MODEL_NAME:  # as OpenAI answers a model it does not serve
            raise ApiError(
                404,
                f"The model {body.model!r} does not exist; this server serves {MODEL_NAME!r} "
                "(see /v1/models)",
                param="model",
                code="model_not_found",
            )
        question, history = question_and_history(body.messages)
        # Answer before any byte is sent, so a failure still gets its proper status.
        answer = assistant.ask(
            question, top_k=body.top_k, since=body.since, until=body.until, history=history
        )
        if body.stream:
            return StreamingResponse(
                stream_events(answer, body.model),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache"},
            )
        return completion(answer, body.model)

    @router.get(
        "/v1/models",
        response_model=ModelList,
        responses=_ERRORS,
        dependencies=secured,
        tags=["openai"],
    )
    def models() -> ModelList:
        """The one model, for OpenAI front ends that list models first."""
        return ModelList(data=[ModelOut(id=MODEL_NAME)])

    add_timeline_route(router, assistant, secured, _ERRORS)

    @router.get(
        "/v1/articles",
        response_model=ArticlePageOut,
        responses=_ERRORS,
        dependencies=secured,
        tags=["articles"],
    )
    def articles(
        q: Annotated[
            str, Query(max_length=500, description="Words of the title or text, or an id.")
        ] = "",
        since: Annotated[Day | None, Query(description="Published on or after this day.")] = None,
        until: Annotated[Day | None, Query(description="Published on or before this day.")] = None,
        sort: Literal["newest", "oldest", "title"] = "newest",
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    ) -> ArticlePageOut:
        """A page of the stored articles: title, date, source, chunks and duplicate copies."""
        page = assistant.articles(
            q, since=since, until=until, sort=sort, limit=limit, offset=offset
        )
        return ArticlePageOut.model_validate(page.to_dict())

    @router.delete(
        "/v1/articles/{article_id:anytext}",
        response_model=RemovalOut,
        responses=_NO_SUCH_ARTICLE,
        dependencies=secured,
        tags=["articles"],
    )
    def delete_article(article_id: str) -> RemovalOut:
        """Delete an article from the catalog, the vectors and the keyword index, in one
        crash-safe step. A plain `rag ingest` of a folder still holding its file leaves
        it out (`rag ingest --readd` adds it back)."""
        article_or_404(article_id)
        return RemovalOut.model_validate(assistant.remove([article_id]).to_dict())

    @router.get(
        "/v1/sources",
        response_model=SourceListOut,
        responses=_ERRORS,
        dependencies=secured,
        tags=["sources"],
    )
    def sources() -> SourceListOut:
        """The feeds and pages the server re-reads, with their last read."""
        return SourceListOut(sources=[SourceOut(**s.to_dict()) for s in assistant.sources()])

    @router.post(
        "/v1/sources",
        response_model=SourceOut,
        status_code=201,
        responses=_ERRORS,
        dependencies=secured,
        tags=["sources"],
    )
    def add_source(body: SourceRequest) -> SourceOut:
        """Watch a feed or page: the server reads it within seconds, then every `every`."""
        return SourceOut(**assistant.add_source(body.url, body.every).to_dict())

    @router.delete(
        "/v1/sources",
        response_model=SourceListOut,
        responses=_ERRORS,
        dependencies=secured,
        tags=["sources"],
    )
    def remove_source(
        url: Annotated[str, Query(min_length=1, max_length=2000, description="The source.")],
    ) -> SourceListOut:
        """Stop watching a source (its articles stay); the sources still watched."""
        assistant.remove_source(url)
        return SourceListOut(sources=[SourceOut(**s.to_dict()) for s in assistant.sources()])

    @router.post(
        "/v1/feedback",
        response_model=FeedbackOut,
        responses=_ERRORS,
        dependencies=secured,
        tags=["feedback"],
    )
    def feedback(body: FeedbackRequest) -> FeedbackOut:
        """A thumbs up or down on an answer (its `answer_id` from `/v1/ask` or
        `/v1/chat/completions`), with an optional comment and, for a thumbs down, the
        right answer or `no_answer`. Stored with the question, the answer, its
        citations, the conversation, the settings and the index state; `rag feedback
        export` turns it into a question set for `rag eval`."""
        given = assistant.feedback(
            body.answer_id,
            body.rating,
            comment=body.comment,
            correct_answer=body.correct_answer,
            no_answer=body.no_answer,
        )
        return FeedbackOut.model_validate(given.to_dict())

    @router.get(
        "/v1/articles/{article_id:anytext}",
        response_model=ArticleOut,
        responses=_NO_SUCH_ARTICLE,
        dependencies=secured,
        tags=["qa"],
    )
    def article(article_id: str) -> ArticleOut:
        """An article's text and metadata; citation spans index into `text`."""
        return ArticleOut.model_validate(article_or_404(article_id).to_dict())

    @router.get(
        "/v1/status",
        response_model=StatusOut,
        responses=_ERRORS,
        dependencies=secured,
        tags=["meta"],
    )
    def status() -> StatusOut:
        """What the index holds: articles, chunks, dates, model, store."""
        data = assistant.status().to_dict()
        # A client learns the index folder's name, not where it lies on the server.
        data.update(home=public_path(data["home"]), store=public_path(data["store"]))
        return StatusOut.model_validate(data)

    _not_found_in_json(router)
    return router


def _not_found_in_json(router: APIRouter) -> None:
    """Unknown `/v1` paths and methods get the error shape too (404 or 405), instead of
    falling through to the chat's mount or the framework's `{"detail": ...}`."""
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

    @router.api_route("/v1/{rest:path}", methods=methods, include_in_schema=False)
    def unknown(request: Request, rest: str) -> None:
        path = request.url.path
        known = [r for r in router.routes if isinstance(r, APIRoute) and r.endpoint is not unknown]
        allowed = sorted({m for r in known if r.path_regex.match(path) for m in r.methods or ()})
        if allowed:
            raise ApiError(
                405, f"{request.method} is not allowed on {path}; use {', '.join(allowed)}"
            )
        raise ApiError(404, f"no such route: {path}", "not_found_error")


def check_bind(host: str, settings: Settings) -> None:
    """Refuse a non-loopback address unless `RAG_API_KEY` protects `/v1` and the chat."""
    if _is_loopback(host):
        return
    key = (settings.api_key or "").strip()
    if key and len(key) >= MIN_PUBLIC_KEY_CHARS:
        return
    if key or settings.api_key:
        raise InputError(
            f"RAG_API_KEY is too short to protect {host!r}: use at least "
            f"{MIN_PUBLIC_KEY_CHARS} characters that are not spaces"
        )
    raise InputError(
        f"refusing to listen on {host!r} without an API key: anyone who can reach it could "
        "use the API. Set RAG_API_KEY (clients then send 'Authorization: Bearer <key>'; "
        "the chat asks for it as the password) "
        "or bind to 127.0.0.1."
    )


def _is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[] ")).is_loopback
    except ValueError:
        return False  # a host name other than localhost: it may resolve anywhere


# --- the gate ---------------------------------------------------------------------------

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _gated_route(key: str | None, max_body_bytes: int) -> type[APIRoute]:
    class GatedRoute(APIRoute):
        def get_route_handler(self) -> Handler:
            handler = super().get_route_handler()
            needs_key = key is not None and self.path.startswith("/v1")

            async def gated(request: Request) -> Response:
                try:
                    if needs_key and not _authorized(request, key or ""):
                        raise ApiError(
                            401,
                            "missing or wrong API key: send 'Authorization: Bearer <RAG_API_KEY>'",
                            "authentication_error",
                        )
                    return await handler(await _bounded(request, max_body_bytes))
                except Exception as exc:
                    return _error_response(exc)

            return gated

    return GatedRoute


def _authorized(request: Request, key: str) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(
        token.strip().encode(), key.encode()
    )


async def _bounded(request: Request, limit: int) -> Request:
    """`request`, or a 413 if its body is larger than `limit` bytes (read no further)."""
    too_large = ApiError(413, f"request body is larger than the limit of {limit} bytes")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise ApiError(400, f"invalid Content-Length header: {declared!r}")
        if int(declared) > limit:
            raise too_large
        return request  # the server will not read past the declared length
    if request.method in ("GET", "HEAD", "DELETE", "OPTIONS"):
        return request
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    replayed = False

    async def receive() -> Message:
        nonlocal replayed
        if replayed:
            return await request.receive()  # after the body: wait for a disconnect
        replayed = True
        return {"type": "http.request", "body": bytes(body), "more_body": False}

    return Request(request.scope, receive)


def _error_response(exc: Exception) -> JSONResponse:
    status, message, kind, param = _describe(exc)
    code = exc.code if isinstance(exc, ApiError) else None
    body = ErrorOut.model_validate(
        {"error": {"message": message, "type": kind, "param": param, "code": code}}
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _describe(exc: Exception) -> tuple[int, str, str, str | None]:
    if isinstance(exc, ApiError):
        return exc.status, exc.message, exc.kind, exc.param
    if isinstance(exc, RequestValidationError):
        return _describe_validation(exc)
    if isinstance(exc, InputError):
        return 422, str(exc), "invalid_request_error", exc.field
    if isinstance(exc, NotReadyError):
        return 503, str(exc), "not_ready_error", None
    if isinstance(exc, StoreError):
        log.error("request failed: %s", exc, exc_info=exc.__cause__)
        return 503, str(exc), "store_error", None
    if isinstance(exc, RagError):
        log.error("request failed: %s", exc)
        return 503, str(exc), "server_error", None
    if isinstance(exc, HTTPException):  # FastAPI's own: an unreadable body
        return exc.status_code, _unreadable_body(exc), "invalid_request_error", None
    log.exception("unexpected error while serving a request")
    return 500, "internal error; the server log has the details", "server_error", None


def _unreadable_body(exc: HTTPException) -> str:
    """What was wrong with a body FastAPI could not read: it says only "There was an error
    parsing the body" and keeps the reason as the exception's cause."""
    cause = exc.__cause__
    if isinstance(cause, UnicodeDecodeError):
        bad = cause.object[cause.start : cause.start + 1].hex()
        return f"the request body is not UTF-8 text (byte 0x{bad} at offset {cause.start})"
    if isinstance(cause, RecursionError):
        return "the request body is not valid JSON: it is nested too deeply"
    return str(exc.detail)


def _describe_validation(exc: RequestValidationError) -> tuple[int, str, str, str | None]:
    """422 with one line per problem, each naming its field: `top_k: ...`."""
    problems: list[str] = []
    first_field: str | None = None
    for error in exc.errors():
        loc = list(error.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path"):  # where it was, not what
            loc = loc[1:]
        if error.get("type") == "json_invalid":
            problems.append("the request body is not valid JSON")
            continue
        field = _field_name(loc) or "body"
        first_field = first_field or field
        problems.append(f"{field}: {error.get('msg', 'invalid')}")
    return 422, "; ".join(problems) or "invalid request", "invalid_request_error", first_field


def _field_name(loc: list[Any]) -> str:
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name
