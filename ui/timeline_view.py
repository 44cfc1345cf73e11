"""The chat's timelines and its time-window chip.

A question that asks for a timeline ("What happened with X?", "timeline of X",
"What's new about X since March?", `rag.timeline.route`) is answered with
`Assistant.timeline`, shown like an answer (each key sentence a `[n]` citation, the
Sources panel and the cited article work on it). "What's new about X" without a day
takes the day after the previous answer's newest source. An answer whose dates came
from a time phrase of the question shows them as a chip; clicking it asks the same
question again over every date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import gradio as gr

from rag import Answer, Assistant, Turn, parse_date_arg
from rag.timeline import day_after, route


def chip() -> gr.Button:
    """The removable filter chip, hidden until an answer's dates come from its question."""
    return gr.Button("", visible=False, size="sm", elem_id="rag-window-chip")


def chip_update(answers: Sequence[Answer | None]) -> Any:
    answer = answers[-1] if answers else None
    if answer is not None and answer.window is not None and answer.window.phrase:
        return gr.Button(value=f"✕ {answer.window.text}: search every date", visible=True)
    return gr.Button(visible=False)


def answer_for(
    assistant: Assistant,
    question: str,
    *,
    top_k: int,
    since: str | None,
    until: str | None,
    turns: list[Turn],
    answers: Sequence[Answer | None],
    time_window: bool | None = None,
) -> Answer:
    """A timeline when the question asks for one, else `Assistant.ask`'s answer."""
    asked_on = parse_date_arg(until, "until") or date.today()
    query = route(question, asked_on)
    if query is None:
        return assistant.ask(
            question,
            top_k=top_k,
            since=since,
            until=until,
            history=turns,
            time_window=time_window,
        )
    start: date | str | None = query.since or since
    if query.newest_first and query.since is None:
        start = _after_previous(answers) or since
    end: date | str | None = query.until or until
    timeline = assistant.timeline(
        query.topic, since=start, until=end, newest_first=query.newest_first
    )
    return timeline.as_answer(question)


def _after_previous(answers: Sequence[Answer | None]) -> date | None:
    """The day after the newest source of the latest answer (for "what's new")."""
    for answer in reversed(answers):
        if answer is not None:
            days = [c.date for c in answer.citations if c.date]
            return day_after(max(days)) if days else None
    return None
