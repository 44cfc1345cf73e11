"""Components more than one view of the page lays out the same way."""

from __future__ import annotations

import gradio as gr


def date_range(elem_prefix: str, scale: int | None = None) -> tuple[gr.Textbox, gr.Textbox]:
    """The From / To date boxes (YYYY-MM-DD), with ids `<prefix>-since` and `<prefix>-until`."""
    since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id=f"{elem_prefix}-since", scale=scale)
    until = gr.Textbox(label="To (YYYY-MM-DD)", elem_id=f"{elem_prefix}-until", scale=scale)
    return since, until
