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
from typing import Any

import gradio as gr

from rag import Answer, Assistant, Citation, InputError, RagError, Status, Turn
from ui import assets, render
from ui.examples import example_questions
from ui.uploads import add_uploads

log = logging.getLogger(__name__)

STREAM_WORDS = 3  # words added per streamed update
STREAM_DELAY_S = 0.02
_PICK = re.compile(r"^(\d+)-(\d+)")
_WORDS = re.compile(r"\S+\s*")
Messages = list[dict[str, Any]]
# One entry per question asked, None where it got an error instead of an answer, so
# that answers[i] belongs to the i-th user message of the chat.
Answers = list[Answer | None]

EMPTY_SOURCES = '<p class="rag-meta">Sources of the selected answer appear here.</p>'
EMPTY_ARTICLE = '<p class="rag-meta">Click a [n] marker or a source to read its article.</p>'


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
    ) -> Iterator[tuple[Messages, Answers, str, str, str]]:
        """Stream the answer into the chat; then fill the sources panel and the copy text."""
        question = (question or "").strip()
        if not question:
            gr.Warning("Type a question first.")
            yield messages, answers, gr.skip(), gr.skip(), ""
            return
        turn = len(answers)
        messages = [*messages, {"role": "user", "content": render.escape_markdown(question)}]
        try:
            answer = self.assistant.ask(
                question,
                top_k=int(top_k),
                since=since or None,
                until=until or None,
                history=history(answers),
            )
        except RagError as exc:
            messages.append({"role": "assistant", "content": render.error_markdown(str(exc))})
            yield messages, [*answers, None], gr.skip(), gr.skip(), ""
            return
        except Exception:
            log.exception("answering %r failed", question)
            error = render.error_markdown("Something went wrong while answering; see the log.")
            messages.append({"role": "assistant", "content": error})
            yield messages, [*answers, None], gr.skip(), gr.skip(), ""
            return
        for prefix in stream_prefixes(answer.text):
            content = render.answer_markdown(prefix, turn, abstained=answer.abstained)
            yield [*messages, {"role": "assistant", "content": content}], answers, "", "", ""
            time.sleep(STREAM_DELAY_S)
        sources = render.sources_html(answer, turn, self.contexts(answer))
        final = render.answer_markdown(answer.text, turn, abstained=answer.abstained)
        messages.append({"role": "assistant", "content": final})
        yield messages, [*answers, answer], sources, render.copy_text(answer), ""

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
    def open_citation(self, pick: str, answers: Answers) -> tuple[str, str]:
        """`pick` is 'turn-n-click': show answer `turn`'s sources and citation n's article."""
        match = _PICK.match(pick or "")
        if not match:
            return gr.skip(), gr.skip()
        turn, n = int(match.group(1)), int(match.group(2))
        answer = answers[turn] if turn < len(answers) else None
        if answer is None:
            return gr.skip(), gr.skip()
        citation = next((c for c in answer.citations if c.n == n), None)
        sources = render.sources_html(answer, turn, self.contexts(answer))
        if citation is None:
            return sources, gr.skip()
        try:
            article = self.assistant.article(citation.article_id)
        except RagError as exc:
            return sources, render.error_markdown(str(exc))
        spans = [span(c) for c in answer.citations if c.article_id == citation.article_id]
        return sources, render.article_html(article, spans, focus=n)

    def select_answer(self, answers: Answers, evt: gr.SelectData) -> tuple[str, str]:
        """Clicking an answer in the chat shows its sources."""
        index = evt.index if isinstance(evt.index, int) else evt.index[0]
        turn = index // 2  # every question gets exactly one reply
        answer = answers[turn] if 0 <= turn < len(answers) else None
        if answer is None:
            return gr.skip(), gr.skip()
        return render.sources_html(answer, turn, self.contexts(answer)), render.copy_text(answer)

    # --- the corpus ---------------------------------------------------------------------
    def corpus(self) -> tuple[str, Any]:
        try:
            status = self.assistant.status()
        except RagError as exc:
            return render.error_markdown(str(exc)), gr.skip()
        samples = [[q] for q in self.examples(status)]
        return render.status_markdown(status), gr.Dataset(samples=samples)

    def examples(self, status: Status) -> list[str]:
        """Example questions, worked out again only when the index has changed."""
        if self._examples is None or self._examples[0] != status:
            self._examples = (status, example_questions(self.assistant))
        return self._examples[1]

    def upload(
        self, files: list[str] | None, progress: gr.Progress | None = None
    ) -> tuple[str, str, Any, None]:
        progress = progress or gr.Progress()
        uploads = [(Path(f), Path(f).name) for f in files or []]

        def step(done: int, total: int) -> None:
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


def span(c: Citation) -> render.Span:
    return render.Span(c.start, c.end, c.n)


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
        gr.Markdown("## Ask the news archive\nAnswers quote the articles; click a [n] to read.")
        with gr.Row(equal_height=False):
            with gr.Column(scale=5):
                chat = gr.Chatbot(
                    elem_id="rag-chat",
                    label="Chat",
                    height=480,
                    latex_delimiters=[],
                    feedback_options=None,
                    buttons=[],  # a message's own copy would copy its markup
                    placeholder="Ask a question about the articles in the index.",
                )
                with gr.Row():
                    question = gr.Textbox(
                        elem_id="rag-question",
                        show_label=False,
                        placeholder="e.g. Who was killed on January 28?",
                        scale=6,
                        max_length=2000,
                    )
                    send = gr.Button("Send", variant="primary", elem_id="rag-send", scale=1)
                examples = gr.Dataset(
                    components=[question],
                    samples=[],
                    label="Example questions",
                    elem_id="rag-examples",
                )
                with gr.Row():
                    copy = gr.Button("Copy answer with sources", size="sm", elem_id="rag-copy")
                    clear = gr.Button("Clear conversation", size="sm", elem_id="rag-clear")
                with gr.Accordion("Filters", open=False):
                    with gr.Row():
                        since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="rag-since")
                        until = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="rag-until")
                    top_k = gr.Slider(1, 20, value=5, step=1, label="Passages used")
            with gr.Column(scale=4):
                gr.Markdown("### Sources")
                sources = gr.HTML(EMPTY_SOURCES, elem_id="rag-sources", js_on_load=None)
                gr.Markdown("### Article")
                article = gr.HTML(EMPTY_ARTICLE, elem_id="rag-article", js_on_load=None)
        with gr.Accordion("Corpus", open=True, elem_id="rag-corpus"), gr.Row():
            with gr.Column(scale=2):
                status = gr.Markdown("Loading…", elem_id="rag-status")
                report = gr.Markdown(elem_id="rag-report")
            with gr.Column(scale=3):
                files = gr.File(
                    label="Add articles (.txt, .md, .jsonl)",
                    file_count="multiple",
                    file_types=[".txt", ".md", ".jsonl"],
                    elem_id="rag-upload",
                )
                add = gr.Button("Add to the index", elem_id="rag-add")
        pick = gr.Textbox(visible="hidden", elem_id="rag-pick")
        copy_text = gr.Textbox(visible="hidden", elem_id="rag-copy-text")

        ask_inputs = [question, chat, answers, top_k, since, until]
        ask_outputs = [chat, answers, sources, copy_text, question]
        for trigger in (send.click, question.submit):
            trigger(session.respond, ask_inputs, ask_outputs, api_visibility="private")
        examples.click(lambda sample: sample[0], examples, question, api_visibility="private").then(
            session.respond, ask_inputs, ask_outputs, api_visibility="private"
        )
        pick.change(
            session.open_citation, [pick, answers], [sources, article], api_visibility="private"
        ).then(None, js=assets.SCROLL_JS)
        chat.select(session.select_answer, answers, [sources, copy_text], api_visibility="private")
        copy.click(None, copy_text, None, js=assets.COPY_JS)
        reset = [chat, answers, sources, article, copy_text]
        for cleared in (clear.click, chat.clear):  # our button and the chat's own bin icon
            cleared(
                lambda: ([], [], EMPTY_SOURCES, EMPTY_ARTICLE, ""),
                None,
                reset,
                api_visibility="private",
            )
        add.click(
            session.upload, files, [report, status, examples, files], api_visibility="private"
        )
        demo.load(session.corpus, None, [status, examples], api_visibility="private")

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
