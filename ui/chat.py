"""The Gradio chat: streamed, cited answers; a sources panel; the cited article; the corpus.

>>> demo = build_chat(Assistant(Settings()))  # doctest: +SKIP
>>> app = gr.mount_gradio_app(FastAPI(), demo, path="/", **page_assets())  # doctest: +SKIP

Every handler turns `RagError`s (and anything unexpected) into a message in the page.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import gradio as gr

from rag import Answer, Assistant, InputError, RagError, Status, Turn
from ui import articles_view, assets, feedback_view, render, timeline_view
from ui.examples import example_questions
from ui.page import EMPTY_ARTICLE, EMPTY_SOURCES, Page, layout
from ui.uploads import add_uploads

log = logging.getLogger(__name__)

STREAM_WORDS = 3  # words added per streamed update
STREAM_DELAY_S = 0.02
CORPUS_REFRESH_S = 30  # the Corpus panel, for what the watched sources added
_PICK = re.compile(r"^(\d+)-(\d+)")
_WORDS = re.compile(r"\S+\s*")
Messages = list[dict[str, Any]]
UPLOAD_PROGRESS = gr.Progress()  # a Progress default is what makes Gradio track a handler
PRIVATE: Final = "private"  # events the page uses, left out of the API docs
# One entry per question asked, None where it got an error instead of an answer, so
# that answers[i] belongs to the i-th user message of the chat.
Answers = list[Answer | None]


class ChatSession:
    """The handlers behind the page, one instance per app; per-user state lives in gr.State."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self._examples: tuple[Status, list[str]] | None = None

    # --- asking -------------------------------------------------------------------------
    def respond(
        self,
        question: str,
        messages: Messages,
        answers: Answers,
        top_k: float,
        since: str,
        until: str,
        time_window: bool | None = None,
    ) -> Iterator[tuple[Messages, Answers, str, str, str, str]]:
        """Stream the answer into the chat; then fill the sources panel, the copy text and
        the Article panel (the first cited article: the panel follows the newest answer).
        A timeline question gets a timeline (`ui.timeline_view`)."""
        question = (question or "").strip()
        if not question:
            gr.Warning("Type a question first.")
            yield messages, answers, gr.skip(), gr.skip(), "", gr.skip()
            return
        turn = len(answers)
        messages = [*messages, {"role": "user", "content": render.escape_markdown(question)}]
        try:
            answer = timeline_view.answer_for(
                self.assistant,
                question,
                top_k=int(top_k),
                since=since or None,
                until=until or None,
                turns=history(answers),
                answers=answers,
                time_window=time_window,
            )
        except RagError as exc:
            messages.append({"role": "assistant", "content": render.error_markdown(str(exc))})
            yield messages, [*answers, None], EMPTY_SOURCES, "", "", EMPTY_ARTICLE
            return
        except Exception:
            log.exception("answering %r failed", question)
            error = render.error_markdown("Something went wrong while answering; see the log.")
            messages.append({"role": "assistant", "content": error})
            yield messages, [*answers, None], EMPTY_SOURCES, "", "", EMPTY_ARTICLE
            return
        short = answer.short_answer.text if answer.short_answer else None
        for prefix in stream_prefixes(answer.text):
            content = render.answer_markdown(prefix, turn, abstained=answer.abstained, short=short)
            streamed = [*messages, {"role": "assistant", "content": content}]
            yield streamed, answers, "", "", "", EMPTY_ARTICLE
            time.sleep(STREAM_DELAY_S)
        sources = render.sources_html(answer, turn, self.contexts(answer))
        final = render.answer_markdown(answer.text, turn, abstained=answer.abstained, short=short)
        messages.append({"role": "assistant", "content": final})
        article = self.first_article(answer)
        yield messages, [*answers, answer], sources, render.copy_text(answer), "", article

    def respond_every_date(
        self, messages: Messages, answers: Answers, top_k: float, since: str, until: str
    ) -> Iterator[tuple[Messages, Answers, str, str, str, str]]:
        """The window chip's click: the last question again, over every date."""
        last = next((a for a in reversed(answers) if a is not None), None)
        if last is None:
            yield messages, answers, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        yield from self.respond(
            last.question, messages, answers, top_k, since, until, time_window=False
        )

    def contexts(self, answer: Answer) -> dict[int, tuple[str, int]]:
        """Each citation's surrounding text: its passage, or a window of its article."""
        found: dict[int, tuple[str, int]] = {}
        for c in answer.citations:
            context = render.quote_context(c, answer.passages)
            if context is None:
                try:
                    text = self.assistant.article(c.article_id).text
                except RagError:
                    continue
                context = render.window(text, c.start, c.end)
            found[c.n] = context
        return found

    # --- reading ------------------------------------------------------------------------
    def first_article(self, answer: Answer) -> str:
        """The Article panel for a new answer: its first cited article, or the hint."""
        if not answer.citations:
            return EMPTY_ARTICLE
        return render.cited_article(answer, answer.citations[0].n, self.assistant.article)

    def open_citation(self, pick: str, answers: Answers) -> tuple[str, str]:
        """`pick` is 'turn-n-click': show answer `turn`'s sources and citation n's article."""
        match = _PICK.match(pick or "")
        if not match:
            return gr.skip(), gr.skip()
        turn, n = int(match.group(1)), int(match.group(2))
        answer = answers[turn] if turn < len(answers) else None
        if answer is None:
            return gr.skip(), gr.skip()
        sources = render.sources_html(answer, turn, self.contexts(answer))
        return sources, render.cited_article(answer, n, self.assistant.article, gr.skip())

    def select_answer(self, answers: Answers, evt: gr.SelectData) -> tuple[str, str, str]:
        """Clicking an answer in the chat shows its sources and its first cited article."""
        index = evt.index if isinstance(evt.index, int) else evt.index[0]
        turn = index // 2  # every question gets exactly one reply
        answer = answers[turn] if 0 <= turn < len(answers) else None
        if answer is None:
            return gr.skip(), gr.skip(), gr.skip()
        sources = render.sources_html(answer, turn, self.contexts(answer))
        return sources, render.copy_text(answer), self.first_article(answer)

    # --- the corpus ---------------------------------------------------------------------
    def corpus(self) -> tuple[str, Any]:
        try:
            status = self.assistant.status()
        except RagError as exc:
            return render.error_markdown(str(exc)), gr.skip()
        samples = [[q] for q in self.examples(status)]
        watched = render.watched_markdown(self.assistant.sources())
        return render.status_markdown(status) + watched, gr.Dataset(samples=samples)

    def examples(self, status: Status) -> list[str]:
        """Example questions, worked out again only when the index has changed."""
        if self._examples is None or self._examples[0] != status:
            self._examples = (status, example_questions(self.assistant))
        return self._examples[1]

    def upload(
        self, files: list[str] | None, progress: gr.Progress = UPLOAD_PROGRESS
    ) -> tuple[str, str, Any, None]:
        """Copy the uploaded files under the index home and ingest them, with a progress bar."""
        uploads = [(Path(f), Path(f).name) for f in files or []]
        progress(0.0, desc=f"Reading {len(uploads)} file(s)")

        def step(done: int, total: int) -> None:
            # Called once per embedding batch, so a small upload jumps straight to done.
            progress((done, total), desc="Embedding", unit="chunks")

        try:
            report, names = add_uploads(self.assistant, uploads, progress=step)
        except InputError as exc:
            return render.error_markdown(str(exc)), gr.skip(), gr.skip(), None
        except Exception:
            log.exception("ingesting uploads failed")
            message = "The upload could not be ingested; see the server log."
            return render.error_markdown(message), gr.skip(), gr.skip(), None
        status, samples = self.corpus()
        return render.report_markdown(report, names), status, samples, None


def history(answers: Answers) -> list[Turn]:
    turns: list[Turn] = []
    for answer in filter(None, answers):
        turns += [Turn("user", answer.question), Turn("assistant", answer.text)]
    return turns


def stream_prefixes(text: str, words: int = STREAM_WORDS) -> Iterator[str]:
    """Growing prefixes of `text`, `words` words at a time, ending before the whole text."""
    pieces = _WORDS.findall(text)
    for i in range(words, len(pieces), words):
        yield "".join(pieces[:i])


def ask_api(
    session: ChatSession,
    question: str,
    top_k: int,
    since: str,
    until: str,
    history_turns: list[dict[str, str]],
) -> dict[str, Any]:
    """The `/ask` endpoint for gradio_client: `Answer.to_dict()`, or `{"error": ...}`."""
    try:
        answer = session.assistant.ask(
            question, top_k=top_k, since=since or None, until=until or None, history=history_turns
        )
    except RagError as exc:
        return {"error": str(exc), "error_type": type(exc).__name__}
    return answer.to_dict()


def build_chat(assistant: Assistant) -> gr.Blocks:
    """The whole page. Cheap: the index opens on the first page load or question."""
    session = ChatSession(assistant)
    with gr.Blocks(title="newsrag: ask the news") as demo:
        answers = gr.State([])
        page = layout()
        _wire(demo, session, page, answers)
        demo.load(session.corpus, None, [page.status, page.examples], api_visibility="private")
        # The server reads watched sources in the background: show what they added.
        gr.Timer(CORPUS_REFRESH_S).tick(
            session.corpus, None, [page.status, page.examples], api_visibility="private"
        )

        def ask(
            question: str,
            top_k: int = 5,
            since: str = "",
            until: str = "",
            history: list[dict[str, str]] | None = None,
        ) -> dict[str, Any]:
            """Answer `question` from the index: the answer text with [n] markers, its
            citations (exact spans of the articles) and the passages it drew on."""
            return ask_api(session, question, top_k, since, until, history or [])

        gr.api(ask, api_name="ask")
    return demo


def _wire(demo: gr.Blocks, session: ChatSession, page: Page, answers: gr.State) -> None:
    """The page's events; none of them but `/ask` is part of the public API."""
    ask_inputs = [page.question, page.chat, answers, page.top_k, page.since, page.until]
    ask_outputs = [page.chat, answers, page.sources, page.copy_text, page.question, page.article]
    for trigger in (page.send.click, page.question.submit):
        trigger(session.respond, ask_inputs, ask_outputs, api_visibility=PRIVATE).then(
            render.conversation_markdown, answers, page.conversation, api_visibility=PRIVATE
        ).then(timeline_view.chip_update, answers, page.window_chip, api_visibility=PRIVATE).then(
            None, js=assets.FOLLOW_JS
        )
    again = [page.chat, answers, page.top_k, page.since, page.until]
    page.window_chip.click(
        session.respond_every_date, again, ask_outputs, api_visibility=PRIVATE
    ).then(timeline_view.chip_update, answers, page.window_chip, api_visibility=PRIVATE)
    page.examples.click(_first, page.examples, page.question, api_visibility=PRIVATE).then(
        session.respond, ask_inputs, ask_outputs, api_visibility=PRIVATE
    ).then(render.conversation_markdown, answers, page.conversation, api_visibility=PRIVATE)
    opened = [page.sources, page.article]
    page.pick.change(
        session.open_citation, [page.pick, answers], opened, api_visibility=PRIVATE
    ).then(None, js=assets.SCROLL_JS)
    selected = [page.sources, page.copy_text, page.article]
    page.chat.select(session.select_answer, answers, selected, api_visibility=PRIVATE).then(
        None, js=assets.FOLLOW_JS
    )
    page.copy.click(None, page.copy_text, None, js=assets.COPY_JS)
    reset = [page.chat, answers, page.sources, page.article, page.copy_text]
    for cleared in (page.clear.click, page.chat.clear):  # our button and the chat's bin icon
        cleared(_cleared, None, reset, api_visibility=PRIVATE).then(
            lambda: "", None, page.conversation, api_visibility=PRIVATE
        )
    page.download.click(None, page.conversation, None, js=assets.DOWNLOAD_JS)
    uploaded = [page.report, page.status, page.examples, page.files]
    page.add.click(session.upload, page.files, uploaded, api_visibility=PRIVATE)
    browser = articles_view.ArticleBrowser(session.assistant)
    corpus = [page.status, page.examples]
    articles_view.wire(demo, page.articles, browser, page.article, session.corpus, corpus)
    timelines = timeline_view.TimelineHandlers(session.assistant)
    timeline_view.wire_tab(page.timeline, timelines, page.article, assets.SCROLL_JS)
    thumbs = feedback_view.FeedbackHandlers(session.assistant)
    feedback_view.wire(page.feedback, thumbs, page.chat, answers)


def _first(sample: list[str]) -> str:
    return sample[0]


def _cleared() -> tuple[Messages, Answers, str, str, str]:
    return [], [], EMPTY_SOURCES, EMPTY_ARTICLE, ""
