"""`POST /v1/timeline`: a topic's articles in date order, key sentences as citations.

add_timeline_route(router, assistant, dependencies, responses)
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from rag import Assistant
from rag.settings import MAX_QUESTION_CHARS, MAX_TOP_K
from ui.api_models import ArticleRefOut, CitationOut, WindowOut


class TimelineRequest(BaseModel):
    """The arguments of `rag timeline`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"topic": "Kataib Hezbollah", "since": "2024-01-01"}]},
    )

    topic: str = Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        pattern=r"\S",
        description="What the timeline is about: a name, an event, a few words.",
    )
    since: date | None = Field(None, description="Only articles published on or after this day.")
    until: date | None = Field(None, description="Only articles published on or before this day.")
    limit: int | None = Field(
        None, ge=1, le=MAX_TOP_K, strict=True, description="Most articles (default 20)."
    )
    newest_first: StrictBool = Field(False, description="Newest first (what's new), not oldest.")


class TimelineEntryOut(BaseModel):
    """One article: its key sentences (citations: the article's `text[start:end] ==
    quote`) and the other articles carrying the same story."""

    article_id: str
    title: str
    date: str = Field(description="YYYY-MM-DD, or empty for an undated article (listed last).")
    source: str
    sentences: list[CitationOut]
    also_in: list[ArticleRefOut]


class TimelineOut(BaseModel):
    """The object of `rag timeline --json`."""

    topic: str
    newest_first: bool
    date_from: str | None = Field(description="The earliest entry's date.")
    date_to: str | None = Field(description="The latest entry's date.")
    window: WindowOut | None = Field(description="The dates searched; null: all of them.")
    entries: list[TimelineEntryOut]
    left_out: int = Field(description="Matching articles beyond `limit`.")
    notes: list[str]


def add_timeline_route(
    router: APIRouter,
    assistant: Assistant,
    dependencies: list[Any],
    responses: dict[int | str, dict[str, Any]],
) -> None:
    @router.post(
        "/v1/timeline",
        response_model=TimelineOut,
        responses=responses,
        dependencies=dependencies,
        tags=["qa"],
    )
    def timeline(body: TimelineRequest) -> TimelineOut:
        """The articles about a topic in date order, one or two quoted sentences each;
        copies of one story are one entry listing the others."""
        result = assistant.timeline(
            body.topic,
            since=body.since,
            until=body.until,
            limit=body.limit,
            newest_first=body.newest_first,
        )
        return TimelineOut.model_validate(result.to_dict())
