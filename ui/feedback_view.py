"""Thumbs up / down on every answer in the chat, with an optional comment and an optional
"the right answer is ..." (or "the archive has no answer").

A thumb is stored at once (`Assistant.feedback`), so a click alone is never lost; the
form that opens under the chat adds the comment or the correction as a newer verdict
on the same answer (the export keeps the latest)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from rag import Answer, Assistant, RagError
from ui import render

PRIVATE = "private"


@dataclass
class FeedbackView:
    form: gr.Group
    note: gr.Markdown
    comment: gr.Textbox
    correct: gr.Textbox
    no_answer: gr.Checkbox
    send: gr.Button
    close: gr.Button
    done: gr.Markdown
    pending: gr.State  # {"answer_id", "rating"} of the thumb the form is about


def layout() -> FeedbackView:
    with gr.Group(visible=False, elem_id="rag-feedback") as form:
        note = gr.Markdown(elem_id="rag-feedback-note")
        comment = gr.Textbox(
            label="Comment (optional)", elem_id="rag-feedback-comment", max_lines=4
        )
        correct = gr.Textbox(
            label="The right answer is … (optional)", elem_id="rag-feedback-correct"
        )
        no_answer = gr.Checkbox(
            label="The archive has no answer to this question", elem_id="rag-feedback-none"
        )
        with gr.Row():
            send = gr.Button("Send feedback", size="sm", elem_id="rag-feedback-send")
            close = gr.Button("Close", size="sm", elem_id="rag-feedback-close")
    done = gr.Markdown(elem_id="rag-feedback-done")
    return FeedbackView(form, note, comment, correct, no_answer, send, close, done, gr.State({}))


class FeedbackHandlers:
    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def thumb(self, answers: list[Answer | None], evt: gr.LikeData) -> tuple[Any, ...]:
        """A thumb on answer message `evt.index`: stored now; the form opens for more.
        Returns (form, note, pending, comment, correct, no answer, done)."""
        index = evt.index if isinstance(evt.index, int) else evt.index[0]
        turn = index // 2  # every question gets exactly one reply
        answer = answers[turn] if 0 <= turn < len(answers) else None
        skip = (gr.skip(),) * 6
        if answer is None or not answer.answer_id:
            return (gr.Group(visible=False), *skip)
        rating = "up" if evt.liked is True or evt.liked == "Like" else "down"
        try:
            self.assistant.feedback(answer.answer_id, rating)
        except RagError as exc:
            return (gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(),
                    render.error_markdown(str(exc)))  # fmt: skip
        thumb = "Thumbs up" if rating == "up" else "Thumbs down"  # words: not every font has 👍
        note = (
            f"{thumb} stored for **{render.escape_markdown(answer.question)}**. "
            + ("Add a comment if you like." if rating == "up" else
               "Say what the right answer is, or that the archive has none (both optional).")
        )  # fmt: skip
        pending = {"answer_id": answer.answer_id, "rating": rating}
        return gr.Group(visible=True), note, pending, "", "", False, ""

    def send(
        self, pending: dict[str, str], comment: str, correct: str, no_answer: bool
    ) -> tuple[Any, str]:
        """The form's comment and correction, as a newer verdict. Returns (form, done)."""
        if not pending:
            return gr.Group(visible=False), ""
        rating = "down" if (correct or "").strip() or no_answer else pending["rating"]
        try:
            self.assistant.feedback(
                pending["answer_id"],
                rating,
                comment=comment or "",
                correct_answer=correct or "",
                no_answer=bool(no_answer),
            )
        except RagError as exc:
            return gr.skip(), render.error_markdown(str(exc))
        return gr.Group(visible=False), "Thank you: your feedback is stored."


def wire(view: FeedbackView, handlers: FeedbackHandlers, chat: gr.Chatbot, answers: Any) -> None:
    outputs = [view.form, view.note, view.pending, view.comment, view.correct, view.no_answer,
               view.done]  # fmt: skip
    chat.like(handlers.thumb, answers, outputs, api_visibility=PRIVATE)
    view.send.click(
        handlers.send,
        [view.pending, view.comment, view.correct, view.no_answer],
        [view.form, view.done],
        api_visibility=PRIVATE,
    )
    view.close.click(lambda: gr.Group(visible=False), None, view.form, api_visibility=PRIVATE)
