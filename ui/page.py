"""The chat page's layout: which components there are and where. `ui.chat` wires them up."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ui import articles_view, feedback_view, timeline_view, widgets
from ui.articles_view import ArticlesView
from ui.feedback_view import FeedbackView
from ui.timeline_view import TimelineTab

EMPTY_SOURCES = '<p class="rag-meta">Sources of the selected answer appear here.</p>'
EMPTY_ARTICLE = '<p class="rag-meta">Click a [n] marker or a source to read its article.</p>'


@dataclass
class Page:
    chat: gr.Chatbot
    question: gr.Textbox
    send: gr.Button
    examples: gr.Dataset
    copy: gr.Button
    clear: gr.Button
    since: gr.Textbox
    until: gr.Textbox
    top_k: gr.Slider
    sources: gr.HTML
    article: gr.HTML
    status: gr.Markdown
    report: gr.Markdown
    files: gr.File
    add: gr.Button
    pick: gr.Textbox  # hidden: the page script writes a clicked marker here
    copy_text: gr.Textbox  # hidden: the selected answer with its sources, for the clipboard
    articles: ArticlesView
    download: gr.Button
    conversation: gr.Textbox  # hidden: the whole conversation as Markdown, for the download
    feedback: FeedbackView
    window_chip: gr.Button  # the dates read from the question; a click searches every date
    timeline: TimelineTab


def layout() -> Page:
    """Lay the page out inside the current `gr.Blocks`: the Chat, Timeline and Articles
    tabs on the left; the Sources and the Article panel, which every tab fills, on the
    right; the corpus below."""
    gr.Markdown("## Ask the news archive\nAnswers quote the articles; click a [n] to read.")
    with gr.Row(equal_height=False):
        with gr.Column(scale=5), gr.Tabs(elem_id="rag-tabs"):
            with gr.Tab("Chat", elem_id="rag-tab-chat"):
                chat = _chat_column()
                window_chip = timeline_view.chip()
                feedback = feedback_view.layout()
            with gr.Tab("Timeline", elem_id="rag-tab-timeline"):
                timeline = timeline_view.tab_layout()
            with gr.Tab("Articles", elem_id="rag-articles"):
                articles = articles_view.layout()
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
    conversation = gr.Textbox(visible="hidden", elem_id="rag-conversation")
    return Page(
        *chat[:-1], sources, article, status, report, files, add, pick, copy_text, articles,
        chat[-1], conversation, feedback, window_chip, timeline,
    )  # fmt: skip


ChatColumn = tuple[
    gr.Chatbot, gr.Textbox, gr.Button, gr.Dataset, gr.Button, gr.Button,
    gr.Textbox, gr.Textbox, gr.Slider, gr.Button,
]  # fmt: skip


def _chat_column() -> ChatColumn:
    """The chat, the question box, examples, copy and clear, and the filters (in `Page` order)."""
    chat = gr.Chatbot(
        elem_id="rag-chat",
        label="Chat",
        show_label=False,  # its label box sat on top of the first message
        height=480,
        latex_delimiters=[],
        feedback_options=["Like", "Dislike"],  # thumbs on every answer (ui.feedback_view)
        buttons=[],  # a message's own copy button would copy its markup
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
        components=[question], samples=[], label="Example questions", elem_id="rag-examples"
    )
    with gr.Row():
        copy = gr.Button("Copy answer with sources", size="sm", elem_id="rag-copy")
        download = gr.Button("Download conversation (.md)", size="sm", elem_id="rag-download")
        clear = gr.Button("Clear conversation", size="sm", elem_id="rag-clear")
    with gr.Accordion("Filters", open=False):
        with gr.Row():
            since, until = widgets.date_range("rag")
        top_k = gr.Slider(1, 20, value=5, step=1, label="Passages used")
    return chat, question, send, examples, copy, clear, since, until, top_k, download
