"""The chat's **Articles** view: the archive as a list to search, filter, sort, page
through, open in the article panel, and delete (after a confirmation).

It calls only `Assistant.articles`, `Assistant.article` and `Assistant.remove`. A row's
links carry its place on the page (`#art-open-3`), never the article id, which is free
text; the page script writes a click into the hidden `#rag-art-pick` box.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any, Final

import gradio as gr

from rag import ArticlePage, Assistant, RagError
from ui import render, widgets

PAGE_SIZE: Final = 20
SORTS: Final = [("Newest first", "newest"), ("Oldest first", "oldest"), ("Title", "title")]
_PICK = re.compile(r"^(open|delete)-(\d+)-\d+$")


@dataclass
class ArticlesView:
    query: gr.Textbox
    since: gr.Textbox
    until: gr.Textbox
    sort: gr.Dropdown
    search: gr.Button
    listing: gr.HTML
    previous: gr.Button
    next: gr.Button
    confirm_row: gr.Row
    confirm_text: gr.Markdown
    confirm: gr.Button
    cancel: gr.Button
    pick: gr.Textbox  # hidden: the page script writes a clicked row link here
    shown: gr.State  # the page on screen: {"offset", "ids", "titles", "total"}
    pending: gr.State  # the id awaiting confirmation, or ""


def layout() -> ArticlesView:
    """The view's components, inside the current `gr.Blocks` (in the Articles tab); the
    list is filled when the page loads (`ArticleBrowser.first_page`)."""
    with gr.Row():
        query = gr.Textbox(
            label="Search titles and text",
            placeholder="words, or an article id",
            elem_id="rag-articles-q",
            scale=3,
        )
        since, until = widgets.date_range("rag-articles", scale=1)
        sort = gr.Dropdown(
            SORTS, value="newest", label="Sort", elem_id="rag-articles-sort", scale=1
        )
    search = gr.Button("Search", size="sm", elem_id="rag-articles-search")
    listing = gr.HTML(
        '<p class="rag-meta">Loading the archive…</p>',
        elem_id="rag-articles-list",
    )
    with gr.Row():
        previous = gr.Button("◀ Previous", size="sm", elem_id="rag-articles-prev")
        next_ = gr.Button("Next ▶", size="sm", elem_id="rag-articles-next")
    with gr.Row(visible=False, elem_id="rag-articles-confirm") as confirm_row:
        confirm_text = gr.Markdown(elem_id="rag-articles-confirm-text")
        confirm = gr.Button(
            "Delete", variant="stop", size="sm", elem_id="rag-articles-confirm-delete"
        )
        cancel = gr.Button("Cancel", size="sm", elem_id="rag-articles-cancel")
    pick = gr.Textbox(visible="hidden", elem_id="rag-art-pick")
    return ArticlesView(
        query,
        since,
        until,
        sort,
        search,
        listing,
        previous,
        next_,
        confirm_row,
        confirm_text,
        confirm,
        cancel,
        pick,
        gr.State({}),
        gr.State(""),
    )


class ArticleBrowser:
    """The view's handlers."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def show(
        self, query: str, since: str, until: str, sort: str, offset: int = 0
    ) -> tuple[str, dict[str, Any]]:
        try:
            page = self.assistant.articles(
                query or "",
                since=since or None,
                until=until or None,
                sort=sort or "newest",
                limit=PAGE_SIZE,
                offset=max(0, offset),
            )
        except RagError as exc:
            return render.error_html(str(exc)), {}
        shown = {
            "offset": page.offset,
            "total": page.total,
            "ids": [a.id for a in page.articles],
            "titles": [a.title for a in page.articles],
        }
        return listing_html(page), shown

    def first_page(self) -> tuple[str, dict[str, Any]]:
        """The newest articles, shown when the page opens."""
        return self.show("", "", "", "newest")

    def turn_page(
        self, query: str, since: str, until: str, sort: str, shown: dict[str, Any], step: int
    ) -> tuple[str, dict[str, Any]]:
        offset = int(shown.get("offset", 0)) + step * PAGE_SIZE
        total = int(shown.get("total", 0))
        if offset < 0 or (shown and offset >= total):
            return gr.skip(), gr.skip()
        return self.show(query, since, until, sort, offset)

    def picked(self, pick: str, shown: dict[str, Any]) -> tuple[Any, Any, Any, str]:
        """A row link: 'open' shows the article; 'delete' asks for a confirmation.
        Returns (article panel, confirm row, confirm text, pending id)."""
        match = _PICK.match(pick or "")
        ids = shown.get("ids", [])
        if not match or int(match.group(2)) >= len(ids):
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        number = int(match.group(2))
        article_id = ids[number]
        if match.group(1) == "open":
            try:
                article = self.assistant.article(article_id)
            except RagError as exc:
                return render.error_html(str(exc)), gr.skip(), gr.skip(), gr.skip()
            return render.article_html(article, [], None), gr.skip(), gr.skip(), gr.skip()
        title = shown.get("titles", [""] * len(ids))[number] or article_id
        question = (
            f"Delete **{render.escape_markdown(title)}** from the index? It will no longer "
            "appear in answers; a file of it that is still on disk is not added back by a "
            "plain `rag ingest` (`--readd` does)."
        )
        return gr.skip(), gr.Row(visible=True), question, article_id

    def delete(
        self, pending: str, query: str, since: str, until: str, sort: str, shown: dict[str, Any]
    ) -> tuple[Any, Any, Any, str, str]:
        """Remove the confirmed article; returns (confirm row, list, shown, pending,
        article panel: what was deleted, or the error)."""
        hidden = gr.Row(visible=False)
        if not pending:
            return hidden, gr.skip(), gr.skip(), "", gr.skip()
        try:
            removal = self.assistant.remove([pending])
        except RagError as exc:
            return hidden, gr.skip(), gr.skip(), "", render.error_html(str(exc))
        listing, now = self.show(query, since, until, sort, int(shown.get("offset", 0)))
        if not now.get("ids") and now.get("offset", 0) > 0:  # the last one of its page
            listing, now = self.show(query, since, until, sort, now["offset"] - PAGE_SIZE)
        names = ", ".join(a.title or a.id for a in removal.removed) or pending
        note = f'<p class="rag-meta" id="rag-deleted">Deleted: {html.escape(names)}.</p>'
        return hidden, listing, now, "", note


def listing_html(page: ArticlePage) -> str:
    if not page.articles:
        return '<p class="rag-meta">No article matches.</p>'
    first, last = page.offset + 1, page.offset + len(page.articles)
    rows = []
    for number, a in enumerate(page.articles):
        copies = str(a.copies) if a.copies else ""
        rows.append(
            "<tr>"
            f'<td><a class="rag-open" href="#art-open-{number}">{html.escape(a.title or a.id)}'
            "</a></td>"
            f"<td>{html.escape(a.date or 'undated')}</td>"
            f"<td>{html.escape(a.source)}</td>"
            f'<td class="rag-num">{a.chunks}</td><td class="rag-num">{copies}</td>'
            f'<td><a class="rag-delete" href="#art-delete-{number}">Delete</a></td>'
            "</tr>"
        )
    return (
        f'<p class="rag-meta">{first}–{last} of {page.total:,} '
        f"{'article' if page.total == 1 else 'articles'}</p>"
        '<table class="rag-articles"><thead><tr><th>Title</th><th>Date</th><th>Source</th>'
        '<th class="rag-num">Chunks</th><th class="rag-num">Copies</th><th></th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def wire(
    demo: gr.Blocks,
    view: ArticlesView,
    browser: ArticleBrowser,
    article: gr.HTML,
    refresh_corpus: Any,
    corpus_outputs: list[Any],
) -> None:
    """Connect the view's events; `refresh_corpus` updates `corpus_outputs` after a delete."""
    private = "private"
    demo.load(browser.first_page, None, [view.listing, view.shown], api_visibility=private)
    filters = [view.query, view.since, view.until, view.sort]
    for trigger in (view.search.click, view.query.submit, view.sort.change):
        trigger(browser.show, filters, [view.listing, view.shown], api_visibility=private)

    def previous(
        query: str, since: str, until: str, sort: str, shown: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        return browser.turn_page(query, since, until, sort, shown, -1)

    def following(
        query: str, since: str, until: str, sort: str, shown: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        return browser.turn_page(query, since, until, sort, shown, 1)

    paged = [*filters, view.shown]
    view.previous.click(previous, paged, [view.listing, view.shown], api_visibility=private)
    view.next.click(following, paged, [view.listing, view.shown], api_visibility=private)
    view.pick.change(
        browser.picked,
        [view.pick, view.shown],
        [article, view.confirm_row, view.confirm_text, view.pending],
        api_visibility=private,
    )
    view.cancel.click(
        lambda: (gr.Row(visible=False), ""),
        None,
        [view.confirm_row, view.pending],
        api_visibility=private,
    )
    view.confirm.click(
        browser.delete,
        [view.pending, *filters, view.shown],
        [view.confirm_row, view.listing, view.shown, view.pending, article],
        api_visibility=private,
    ).then(refresh_corpus, None, corpus_outputs, api_visibility=private)
