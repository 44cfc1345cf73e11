"""The pydantic shapes of the HTTP API: what `/v1` accepts and returns, as `/openapi.json` shows.

They mirror `rag`'s own values (`Answer.to_dict()`, `ArticleView`, `Status`) field for
field; the conversion happens in `ui.http_api`, never in `rag`. A request's switches are
`StrictBool`: `"yes"`, `1` or `0.0` is a 422 naming the field, not a guess.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictStr

from rag.settings import MAX_QUESTION_CHARS, MAX_TOP_K

_SOURCE = Field(
    description="The article's file: the path as given to `rag ingest` when that was "
    "relative (`seeds/a1.txt`), else only the file's name (`a1.txt`); never an absolute "
    "path of the server."
)


def _day_text(value: object) -> object:
    """A day is written `YYYY-MM-DD`: pydantic would also take a number as a timestamp
    (`"until": 0.0` as 1970-01-01), which the schema does not allow."""
    if isinstance(value, int | float) or (
        isinstance(value, str) and not _ISO_DAY.fullmatch(value.strip())
    ):
        raise ValueError(f"a date must be written like 2024-02-10, got {value!r}")
    return value


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


Day = Annotated[date, BeforeValidator(_day_text)]

# A question must contain something other than whitespace; saying so in the schema
# keeps the schema and the server's checks in agreement.
_NOT_BLANK = r"\S"


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"] = Field(description="Who said it.")
    content: str = Field(max_length=20_000, description="What was said.")


class AskRequest(BaseModel):
    """`POST /v1/ask`: the arguments of `rag ask`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question": "Who was killed on January 28?"}]},
    )

    question: str = Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        pattern=_NOT_BLANK,
        description=f"The question, at most {MAX_QUESTION_CHARS} characters.",
    )
    top_k: int | None = Field(
        None,
        ge=1,
        le=MAX_TOP_K,
        strict=True,  # `true` or "5" is not a number of passages
        description="Passages to retrieve (default from settings).",
    )
    since: Day | None = Field(None, description="Only articles published on or after this day.")
    until: Day | None = Field(
        None,
        description="Only articles published on or before this day. The question is taken "
        "as asked that day: articles from the days before it rank higher.",
    )
    history: list[HistoryTurn] = Field(
        default_factory=list, max_length=100, description="Earlier turns, oldest first."
    )
    time_window: StrictBool | None = Field(
        None,
        description='Read a time phrase of the question ("last week", "in 2022") as the '
        "dates searched, within since/until (default: on; false searches every date).",
    )


class WindowOut(BaseModel):
    """The publication dates searched, and the question's words they were read from."""

    since: str | None
    until: str | None
    phrase: str | None = Field(description='The question\'s time phrase ("last week"), or null.')
    soft: bool = Field(
        False, description="Articles of these dates ranked higher; the others still searched."
    )
    text: str = Field(description='"searched articles from 2024-02-03 to 2024-02-10 (…)"')


class ArticleRefOut(BaseModel):
    """Another article carrying the same story (a near-duplicate or wire copy)."""

    article_id: str
    title: str
    date: str
    source: str


_ALSO_IN: Any = Field(
    default_factory=list,
    description="Other articles with the same story, collapsed into this one "
    "(`retrieval.collapse_duplicates`).",
)


class CitationOut(BaseModel):
    """A quoted span: the article's `text[start:end] == quote`; `n` is its `[n]` marker."""

    n: int
    article_id: str
    title: str
    date: str
    source: str = _SOURCE
    quote: str
    start: int
    end: int
    score: float
    also_in: list[ArticleRefOut] = _ALSO_IN


class ShortAnswerOut(BaseModel):
    """The fact asked for, as an article span: the article's `text[start:end] == text`."""

    text: str
    article_id: str
    start: int
    end: int


class ReportedValueOut(BaseModel):
    """One report of the asked value: `value` is the article's `text[start:end]`."""

    value: str
    date: str
    title: str
    n: int = Field(description="The citation's number, as in [n].")
    article_id: str
    start: int
    end: int


class PassageOut(BaseModel):
    article_id: str
    title: str
    date: str
    source: str = _SOURCE
    text: str
    start: int
    end: int
    score: float
    also_in: list[ArticleRefOut] = _ALSO_IN


class AskResponse(BaseModel):
    """The answer object of `rag ask --json`."""

    question: str
    answer: str = Field(description="The answer text with [n] citation markers.")
    abstained: bool = Field(description="True when no passage answers the question.")
    short_answer: ShortAnswerOut | None = Field(
        None, description="The fact the question asks for (a name, date, number, ...)."
    )
    answer_type: str | None = Field(
        None, description="What the question asks for: person, date, number, ... or null."
    )
    confidence: float | None = Field(
        None, description="The reader's probability, in [0, 1], that the answer is right."
    )
    citations: list[CitationOut]
    passages: list[PassageOut]
    timings_ms: dict[str, float]
    answered_by: str
    notes: list[str]
    answer_id: str = Field("", description="Names this answer for `POST /v1/feedback`.")
    window: WindowOut | None = Field(None, description="The dates searched; null: all of them.")
    updates: list[ReportedValueOut] = Field(
        default_factory=list,
        description="The value changed across reports of different dates: the newest "
        "first (the answer), then the earlier ones. Empty when the reports agree.",
    )
    conflict: list[ReportedValueOut] = Field(
        default_factory=list,
        description="Reports of the same newest date give different values: each of them.",
    )


class ArticleOut(BaseModel):
    id: str
    title: str
    date: str
    source: str = _SOURCE
    url: str
    text: str
    outlet: str = Field("", description="Who published it, when known (feed title, site name).")


class ArticleSummaryOut(BaseModel):
    id: str
    title: str = Field(description="The title, or for an untitled article its first sentence.")
    date: str = Field(description="YYYY-MM-DD, or empty when undated.")
    source: str = _SOURCE
    chunks: int = Field(description="Chunks of the article in the index.")
    copies: int = Field(description="Other files with the same text, stored once.")
    chars: int = Field(description="Length of the text in characters.")
    updated: str = Field(
        "", description="When a re-read replaced its text (UTC, ISO); empty if never."
    )
    outlet: str = Field("", description="Who published it, when known.")


class ArticlePageOut(BaseModel):
    """`GET /v1/articles`: one page of the list."""

    total: int = Field(description="Articles that match, on all pages.")
    offset: int
    limit: int
    articles: list[ArticleSummaryOut]


class RemovalOut(BaseModel):
    """`DELETE /v1/articles/{id}`: what was removed."""

    removed: list[ArticleSummaryOut]
    files_on_disk: list[str] = Field(
        description="Files still on disk: `rag ingest` leaves them out unless `--readd`."
    )


class FeedbackRequest(BaseModel):
    """`POST /v1/feedback`: a verdict on an answer of `/v1/ask` or `/v1/chat/completions`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"answer_id": "ans-…", "rating": "down", "correct_answer": "85 targets"}]
        },
    )

    answer_id: str = Field(min_length=1, max_length=100, description="The answer's `answer_id`.")
    rating: Literal["up", "down"] = Field(description="Thumbs up or down.")
    comment: str = Field("", max_length=5000, description="Optional words on the answer.")
    correct_answer: str = Field(
        "", max_length=5000, description="With `down`: the right answer (becomes the gold one)."
    )
    no_answer: StrictBool = Field(
        False, description="With `down`: the archive holds no answer (gold: abstain)."
    )


class FeedbackOut(BaseModel):
    id: str
    answer_id: str
    rating: str
    comment: str
    correct_answer: str
    no_answer: bool
    created: str


class StatusOut(BaseModel):
    articles: int
    chunks: int
    date_from: str | None
    date_to: str | None
    model: str
    chunk_tokens: int
    store: str = Field(
        description="The vector store: the Chroma server's URL, or `chroma` (embedded)."
    )
    home: str = Field(description="The index folder's name (not its path on the server).")
    problems: list[str] = Field(
        default_factory=list, description="disagreements between the catalog and the stores"
    )
    clusters: int = Field(0, description="Groups of near-duplicate articles.")
    clustered_articles: int = Field(0, description="Articles in those groups.")
    boilerplate: list[str] = Field(
        default_factory=list,
        description='"title (id)" of each article flagged as boilerplate: stored and '
        "listed, kept out of retrieval when `retrieval.exclude_boilerplate`.",
    )


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"


class ErrorDetail(BaseModel):
    message: str = Field(description="What was wrong, naming the field or value.")
    type: str = Field(description="invalid_request_error, authentication_error, ...")
    param: str | None = Field(None, description="The offending field, when there is one.")
    code: str | None = None


class ErrorOut(BaseModel):
    """Every error of the API, in the shape OpenAI clients already understand."""

    error: ErrorDetail


# --- OpenAI-compatible chat completions -----------------------------------------------


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    """`POST /v1/chat/completions`. Other OpenAI fields (temperature, ...) are accepted
    and ignored: the answer is extracted, not sampled."""

    model: str = Field(
        "newsrag",
        max_length=200,
        description="`newsrag` (see `/v1/models`); another name gets 404 `model_not_found`.",
    )
    messages: list[ChatMessage] = Field(
        min_length=1, max_length=200, description="The conversation; the last one is asked."
    )
    stream: StrictBool = Field(False, description="Send the answer as server-sent events.")
    top_k: int | None = Field(
        None, ge=1, le=MAX_TOP_K, strict=True, description="newsrag extension."
    )
    since: Day | None = Field(None, description="newsrag extension: earliest article date.")
    until: Day | None = Field(
        None, description="newsrag extension: latest article date, and the day asked."
    )


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    """An OpenAI `chat.completion` plus `citations` (and `abstained`), which OpenAI
    clients keep as extra fields (`completion.model_extra["citations"]`)."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    citations: list[CitationOut]
    abstained: bool
    answer_id: str = Field("", description="Names this answer for `POST /v1/feedback`.")


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "newsrag"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


class SourceRequest(BaseModel):
    """`POST /v1/sources`: a feed or page for the server to re-read on a schedule."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"url": "https://example.org/news.rss", "every": "30m"}]},
    )

    url: str = Field(min_length=1, max_length=2000, description="http(s) URL of a feed or page.")
    every: StrictStr = Field("30m", max_length=20, description="How often: 45s, 30m, 2h, 1d.")


class SourceOut(BaseModel):
    """A watched source, when it was last read and what that read added."""

    url: str
    every_s: int = Field(description="Seconds between reads.")
    added: str = Field(description="When it was first watched (UTC, ISO).")
    last_read: str = Field(description="When it was last read (UTC, ISO); empty: not yet.")
    last_added: int = Field(description="Articles the last read added or updated.")
    last_note: str = Field(description="What failed in the last read; empty: nothing.")


class SourceListOut(BaseModel):
    sources: list[SourceOut]
