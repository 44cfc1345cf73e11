"""The chat's timelines: the Timeline tab, timeline questions in the chat, and the
time-window chip.

The **Timeline tab** takes a topic and a date range and lists `Assistant.timeline`'s
articles, each with its key sentences; a `[n]` opens the article in the Article panel
with the timeline's sentences highlighted.

A question that asks for a timeline ("What happened with X?", "timeline of X",
"What's new about X since March?", `rag.timeline.route`) is answered with
`Assistant.timeline`, shown like an answer (each key sentence a `[n]` citation, the
Sources panel and the cited article work on it). "What's new about X" without a day
takes the day after the previous answer's newest source. An answer whose dates came
from a time phrase of the question shows them as a chip; clicking it asks the same
question again over every date.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import gradio as gr

from rag import Answer, Assistant, RagError, Turn, parse_date_arg
from rag.timeline import day_after, route
from ui import render, widgets

_PICK = re.compile(r"^(\d+)-\d+$")  # "n-clicks", written by the page script


@dataclass
class TimelineTab:
    topic: gr.Textbox
    since: gr.Textbox
    until: gr.Textbox
    show: gr.Button
    listing: gr.HTML
    pick: gr.Textbox  # hidden: the page script writes a clicked `[n]` here
    shown: gr.State  # the timeline on screen as an `Answer`, or None


def tab_layout() -> TimelineTab:
    """The Timeline tab's components, inside the current `gr.Blocks`."""
    with gr.Row():
        topic = gr.Textbox(
            label="Topic",
            placeholder="e.g. the Kestrel Valley dam",
            elem_id="rag-timeline-topic",
            scale=3,
            max_length=2000,
        )
        since, until = widgets.date_range("rag-timeline", scale=1)
    show = gr.Button("Show timeline", variant="primary", size="sm", elem_id="rag-timeline-show")
    listing = gr.HTML(
        '<p class="rag-meta">The articles about a topic, in date order.</p>',
        elem_id="rag-timeline",
    )
    pick = gr.Textbox(visible="hidden", elem_id="rag-tl-pick")
    return TimelineTab(topic, since, until, show, listing, pick, gr.State(None))


class TimelineHandlers:
    """The Timeline tab's handlers."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def show(self, topic: str, since: str, until: str) -> tuple[Any, Any]:
        """(the listing, the timeline as an Answer); errors are shown in the listing."""
        topic = (topic or "").strip()
        if not topic:
            gr.Warning("Type a topic first.")
            return gr.skip(), gr.skip()
        try:
            timeline = self.assistant.timeline(topic, since=since or None, until=until or None)
        except RagError as exc:
            return render.error_html(str(exc)), None
        return render.timeline_html(timeline), timeline.as_answer(topic)

    def open(self, pick: str, shown: Answer | None) -> Any:
        """A clicked `[n]`: its article, every sentence the timeline quotes from it marked."""
        match = _PICK.match(pick or "")
        if not match or shown is None:
            return gr.skip()
        return render.cited_article(shown, int(match.group(1)), self.assistant.article)


def wire_tab(
    tab: TimelineTab, handlers: TimelineHandlers, article: gr.HTML, scroll_js: str
) -> None:
    inputs = [tab.topic, tab.since, tab.until]
    for trigger in (tab.show.click, tab.topic.submit):
        trigger(handlers.show, inputs, [tab.listing, tab.shown], api_visibility="private")
    tab.pick.change(handlers.open, [tab.pick, tab.shown], article, api_visibility="private").then(
        None, js=scroll_js
    )


def chip() -> gr.Button:
    """The removable filter chip, hidden until an answer's dates come from its question."""
    return gr.Button("", visible=False, size="sm", elem_id="rag-window-chip")


def chip_update(answers: Sequence[Answer | None]) -> Any:
    answer = answers[-1] if answers else None
    if answer is not None and answer.window is not None and answer.window.phrase:
        undo = "rank every date alike" if answer.window.soft else "search every date"
        return gr.Button(value=f"✕ {answer.window.text}: {undo}", visible=True)
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
