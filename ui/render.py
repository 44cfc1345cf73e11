"""HTML and Markdown for the web chat, built from `rag`'s public values.

Every piece of article text goes through `html.escape` here (and, for the chat's
Markdown, through `escape_markdown` too), so an article containing `<script>` or
`*stars*` is shown exactly as written and never interpreted.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from rag import (
    Answer,
    ArticleRef,
    ArticleView,
    Citation,
    IngestReport,
    Passage,
    RagError,
    Skipped,
    Status,
    Timeline,
    WatchedSource,
)
from rag.types import also_in_text

MARKER = re.compile(r"\[(\d+)\]")
CONTEXT_CHARS = 220  # surrounding text shown either side of a quote in the sources panel
_MD_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")


@dataclass(frozen=True)
class Span:
    """A highlighted stretch of an article: `text[start:end]`, labelled with its marker `n`."""

    start: int
    end: int
    n: int


def escape_markdown(text: str) -> str:
    """Text that a Markdown renderer shows verbatim: punctuation backslashed, then HTML-escaped."""
    return html.escape(_MD_PUNCTUATION.sub(r"\\\1", text))


def cite_href(turn: int, n: int) -> str:
    """The link a marker or a source card carries; the page script turns it into 'open article'."""
    return f"#cite-{turn}-{n}"


def answer_markdown(
    text: str, turn: int, *, abstained: bool = False, short: str | None = None
) -> str:
    """An answer for the chat: escaped text whose `[n]` markers link to their citation;
    the short answer it starts with, if any, in bold above its quote."""
    parts: list[str] = []
    last = 0
    if short and text.startswith(short) and len(text) > len(short):
        parts.append(f"**{escape_markdown(short)}**")
        last = len(short)
    for match in MARKER.finditer(text):
        parts.append(escape_markdown(text[last : match.start()]))
        n = int(match.group(1))
        parts.append(f'<a class="rag-marker" href="{cite_href(turn, n)}">[{n}]</a>')
        last = match.end()
    parts.append(escape_markdown(text[last:]))
    body = "".join(parts)
    if abstained:
        return _boxed("rag-abstain", f"**No answer in the corpus.** {body}")
    return body


def error_html(message: str) -> str:
    return f'<div class="rag-error"><b>Error:</b> {html.escape(message)}</div>'


def error_markdown(message: str) -> str:
    return _boxed("rag-error", f"**Error:** {escape_markdown(message)}")


def _boxed(css_class: str, markdown: str) -> str:
    # The blank lines end the HTML block, so the Markdown inside is still rendered.
    return f'<div class="{css_class}">\n\n{markdown}\n\n</div>'


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def highlighted(text: str, spans: Sequence[Span], *, focus: int | None = None) -> str:
    """`text` escaped, each span wrapped in `<mark>`; the span numbered `focus` gets the id
    `rag-focus` (so give a `focus` only where one such span is on the page)."""
    out: list[str] = []
    last = 0
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        start, end = max(span.start, last), min(span.end, len(text))
        if start >= end:
            continue
        out.append(html.escape(plain(text[last:start], line_start=last == 0)))
        attrs = f' id="rag-focus" class="rag-hl rag-focus" data-n="{span.n}"'
        if span.n != focus:
            attrs = f' class="rag-hl" data-n="{span.n}"'
        out.append(f"<mark{attrs}>{html.escape(text[start:end])}</mark>")
        last = end
    out.append(html.escape(plain(text[last:], line_start=last == 0)))
    return "".join(out)


_HEADING = re.compile(r"(^|\n)[ \t]{0,3}#{1,6}[ \t]+")


def plain(text: str, *, line_start: bool = True) -> str:
    """`text` without Markdown heading marks (`# Title` -> `Title`): the panels show an
    article's words, not its markup. `line_start`: `text` begins a line."""
    if not line_start:
        first, newline, rest = text.partition("\n")
        return first + newline + _HEADING.sub(r"\1", rest) if newline else text
    return _HEADING.sub(r"\1", text)


def quote_context(citation: Citation, passages: Sequence[Passage]) -> tuple[str, int] | None:
    """Text around `citation` from the passage holding it, and that text's article offset."""
    for p in passages:
        inside = p.start <= citation.start < citation.end <= p.end
        if p.article_id == citation.article_id and inside:
            text, offset = window(p.text, citation.start - p.start, citation.end - p.start)
            return text, p.start + offset
    return None


def window(text: str, start: int, end: int, chars: int = CONTEXT_CHARS) -> tuple[str, int]:
    """About `chars` characters either side of `text[start:end]`, cut at whitespace."""
    left = max(0, start - chars)
    right = min(len(text), end + chars)
    if left > 0:
        space = text.find(" ", left, start)
        left = space + 1 if space != -1 else left
    if right < len(text):
        space = text.rfind(" ", end, right)
        right = space if space != -1 else right
    return text[left:right], left


def display_title(title: str, source: str) -> str:
    """The title, or for an untitled article the name of its file."""
    return title or PurePath(source).name or source or "untitled"


def _meta(title: str, date: str, source: str, rank: int | None) -> str:
    """Title, date, file and the passage's rank in the search: a raw fused score
    ("relevance 1.05") means nothing to a reader, a rank does."""
    ranked = [f"passage {rank} of the search"] if rank else []
    shown = [date or "undated"] + ([source] if title else []) + ranked
    return (
        f'<span class="rag-title">{html.escape(display_title(title, source))}</span> '
        f'<span class="rag-meta">{html.escape(" · ".join(shown))}</span>'
    )


def sources_html(answer: Answer, turn: int, contexts: dict[int, tuple[str, int]]) -> str:
    """The sources panel for one answer: a card per citation, its quote highlighted in context.

    `contexts[n]` is the surrounding text of citation `n` and its offset in the article.
    An abstention lists the closest passages instead, none of them highlighted.
    """
    if answer.abstained or not answer.citations:
        cards = [_passage_card(p, rank) for rank, p in enumerate(answer.passages[:3], 1)]
        head = "No passage answers this question. Closest passages:"
        body = "".join(cards) or "<p>Nothing retrieved.</p>"
        return f'<div class="rag-sources rag-abstained"><p class="rag-note">{head}</p>{body}</div>'
    cards = []
    for c in answer.citations:
        text, offset = contexts.get(c.n, (c.quote, c.start))
        span = Span(c.start - offset, c.end - offset, c.n)
        prefix = "… " if offset > 0 else ""
        cards.append(
            f'<div class="rag-card" data-n="{c.n}">'
            f'<a class="rag-open" href="{cite_href(turn, c.n)}">[{c.n}]</a> '
            f"{_meta(c.title, c.date, c.source, passage_rank(c, answer.passages))}"
            f'<div class="rag-context">{prefix}{highlighted(text, [span])} …</div>'
            f"{_also_in_html(c.also_in)}"
            f'<a class="rag-open rag-open-link" href="{cite_href(turn, c.n)}">Open article</a>'
            "</div>"
        )
    return f'<div class="rag-sources">{confidence_html(answer)}{"".join(cards)}</div>'


def _also_in_html(refs: tuple[ArticleRef, ...]) -> str:
    """ "also in: Reuters 2024-02-10, AP 2024-02-11": the copies collapsed into a source."""
    if not refs:
        return ""
    return f'<p class="rag-meta rag-also-in">{html.escape(also_in_text(refs))}</p>'


def timeline_html(timeline: Timeline) -> str:
    """The Timeline tab: one card per article in date order, its key sentences with
    `[n]` markers that open the article (`#tl-n`), and the copies of its story."""
    dates = timeline.date_range
    count = plural(len(timeline.entries), "article")
    head = f"{count}, {dates[0]} to {dates[1]}" if dates else count
    lines = [f'<p class="rag-meta" id="rag-timeline-head">{html.escape(head)}</p>']
    lines += [f'<p class="rag-meta">{html.escape(note)}</p>' for note in _timeline_notes(timeline)]
    if not timeline.entries:
        lines.append(f"<p>{html.escape(timeline.text)}</p>")
    cards = []
    for e in timeline.entries:
        quotes = " ".join(
            f'{html.escape(c.quote)} <a class="rag-marker" href="#tl-{c.n}">[{c.n}]</a>'
            for c in e.sentences
        )
        cards.append(
            f'<li class="rag-card rag-event">{_meta(e.title, e.date, e.source, None)}'
            f'<div class="rag-context">{quotes}</div>{_also_in_html(e.also_in)}</li>'
        )
    if cards:
        lines.append(f'<ol class="rag-timeline">{"".join(cards)}</ol>')
    if timeline.left_out:
        lines.append(f'<p class="rag-meta">… and {timeline.left_out} more articles.</p>')
    return "".join(lines)


def _timeline_notes(timeline: Timeline) -> list[str]:
    if timeline.window is None:
        return list(timeline.notes)
    searched = timeline.window.text
    return [f"{searched[0].upper()}{searched[1:]}.", *timeline.notes]


def passage_rank(citation: Citation, passages: Sequence[Passage]) -> int | None:
    """1 + the place of the passage holding `citation` in the search results."""
    for rank, p in enumerate(passages, 1):
        if p.article_id == citation.article_id and p.start <= citation.start < p.end:
            return rank
    return None


def confidence_html(answer: Answer) -> str:
    if answer.confidence is None:
        return ""
    percent = round(answer.confidence * 100)
    return (
        f'<p class="rag-meta rag-confidence">The reader\'s confidence in this answer: '
        f"{percent} %</p>"
    )


def _passage_card(p: Passage, rank: int) -> str:
    snippet = " ".join(plain(p.text).split())[:400]
    return (
        f'<div class="rag-card rag-passage">{_meta(p.title, p.date, p.source, rank)}'
        f'<div class="rag-context">{html.escape(snippet)} …</div></div>'
    )


def article_html(article: ArticleView, spans: Sequence[Span], focus: int | None) -> str:
    """The whole article, escaped, its cited spans highlighted; `focus` is scrolled to."""
    title = html.escape(display_title(article.title, article.source) or article.id)
    link = ""
    if article.url.startswith(("http://", "https://")):
        link = f' · <a href="{html.escape(article.url)}" rel="noreferrer noopener">original</a>'
    return (
        f'<div class="rag-article" data-article="{html.escape(article.id)}">'
        f"<h3>{title}</h3>"
        f'<p class="rag-meta">{html.escape(article.date or "undated")} · '
        f"{html.escape(article.source)}{link}</p>"
        f'<div class="rag-article-text">{highlighted(article.text, spans, focus=focus)}</div>'
        "</div>"
    )


def cited_article(
    answer: Answer, n: int, fetch: Callable[[str], ArticleView], empty: Any = ""
) -> Any:
    """The Article panel for citation `n` of `answer`: its article, every span the answer
    cites from it marked, `n` in focus; `empty` when there is no such citation."""
    citation = next((c for c in answer.citations if c.n == n), None)
    if citation is None:
        return empty
    try:
        article = fetch(citation.article_id)
    except RagError as exc:
        return error_html(str(exc))
    spans = [Span(c.start, c.end, c.n) for c in answer.citations if c.article_id == article.id]
    return article_html(article, spans, focus=n)


def copy_text(answer: Answer) -> str:
    """The answer with its sources as plain text, for the clipboard."""
    lines = [answer.text]
    if answer.citations:
        lines += ["", "Sources:"]
        for c in answer.citations:
            lines.append(
                f"[{c.n}] {display_title(c.title, c.source)} ({c.date or 'undated'}), {c.source} "
                f'[{c.start}:{c.end}]: "{c.quote}"'
                + (f" ({also_in_text(c.also_in)})" if c.also_in else "")
            )
    return "\n".join(lines)


def status_markdown(status: Status) -> str:
    dates = f"{status.date_from} to {status.date_to}" if status.date_from else "no dated articles"
    clusters = (
        f"Near-duplicates: {plural(status.clusters, 'cluster')} of "
        f"{plural(status.clustered_articles, 'article')}"
    )
    if status.boilerplate:
        clusters += f"; boilerplate: {escape_markdown(', '.join(status.boilerplate))}"
    return (
        f"**{plural(status.articles, 'article')}** · **{plural(status.chunks, 'chunk')}**  \n"
        f"Dates: {escape_markdown(dates)}  \n"
        f"Model: `{status.model}` ({status.chunk_tokens}-token chunks)  \n{clusters}"
    )


def watched_markdown(sources: Sequence[WatchedSource]) -> str:
    """The watched feeds and pages (`rag sources`), each with its last read; "" for none."""
    if not sources:
        return ""
    lines = ["", "", "**Watched sources** (read by the server on their schedule)"]
    for source in sources:
        read = (
            f"last read {source.last_read}: {plural(source.last_added, 'article')} added or updated"
            if source.last_read
            else "not read yet"
        )
        note = f"; failed: {source.last_note}" if source.last_note else ""
        lines.append(f"- {escape_markdown(source.url)}: {escape_markdown(read + note)}")
    return "\n".join(lines)


def report_markdown(report: IngestReport, names: dict[str, str] | None = None) -> str:
    """What an upload did, with every skipped file and the reason. `names` maps paths to
    the names the user uploaded, so the report never shows server paths."""
    names = names or {}
    counts = (
        f"Added {len(report.added)}, updated {len(report.updated)}, "
        f"unchanged {len(report.unchanged)}, duplicates {len(report.duplicates)}, "
        f"skipped {len(report.skipped)}."
    )
    found = report.dedup
    counts += (
        f" Near-duplicates in the index: {plural(found.clusters, 'cluster')} of "
        f"{plural(found.clustered_articles, 'article')}."
    )
    boilerplate = [Skipped(name, "boilerplate") for name in found.boilerplate]
    lines = [counts]
    for title, items in (
        ("Withheld (removed earlier; `rag ingest --readd` adds them back)", report.withheld),
        ("Skipped", report.skipped),
        ("Duplicates", report.duplicates),
        ("Warnings", report.warnings),
        ("Boilerplate (kept and listed, the same text under other titles)", boilerplate),
    ):
        if items:
            lines.append(f"\n**{title}:**")
            for item in items[:50]:
                source = _display_name(item.source, names)
                lines.append(f"- {escape_markdown(source)}: {escape_markdown(item.reason)}")
    return "\n".join(lines)


def _display_name(source: str, names: dict[str, str]) -> str:
    for path, name in names.items():
        if source.startswith(path):
            return name + source[len(path) :]
    return source


def conversation_markdown(answers: Sequence[Answer | None]) -> str:
    """The whole conversation as Markdown: each question, its answer, and each citation
    with its article, date, file, character span and quote (`text[start:end] == quote`)."""
    lines = ["# newsrag conversation", ""]
    for number, answer in enumerate(filter(None, answers), 1):
        lines += [f"## {number}. {answer.question}", "", answer.text, ""]
        if answer.citations:
            lines.append("Sources:")
            lines.append("")
            for c in answer.citations:
                lines.append(
                    f"- [{c.n}] {display_title(c.title, c.source)} ({c.date or 'undated'}), "
                    f"`{c.source}`, article `{c.article_id}`, characters {c.start}-{c.end}:"
                )
                lines.append(f"  > {' '.join(c.quote.split())}")
            lines.append("")
        elif answer.abstained:
            lines += ["(No answer in the corpus.)", ""]
    return "\n".join(lines).rstrip() + "\n"
