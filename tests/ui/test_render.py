"""The chat's HTML: article text is always escaped, and highlights cover exactly the cited span."""

from __future__ import annotations

import html
import re

from rag import Answer, ArticleView, Citation, Passage
from ui import render

EVIL = 'Breaking <script>alert("x")</script> & <img src=x onerror=alert(1)> *b* [1](javascript:x)'


def citation(n: int, text: str, start: int, end: int, article_id: str = "a1") -> Citation:
    quote = text[start:end]
    return Citation(n, article_id, "T", "2024-02-10", "seeds/a.txt", quote, start, end, 1.0)


def answer_with(text: str, citations: tuple[Citation, ...], passages=(), abstained=False) -> Answer:
    return Answer("q?", text, abstained, citations, tuple(passages))


def unescape_tags(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_highlight_wraps_exactly_the_span_and_escapes_everything_else() -> None:
    text = "Before <b>. " + "The quote & <i>more</i>." + " After <script>x</script>"
    start = text.index("The quote")
    end = start + len("The quote & <i>more</i>.")
    out = render.highlighted(text, [render.Span(start, end, 1)], focus=1)
    marked = re.search(r'<mark id="rag-focus"[^>]*>(.*?)</mark>', out)
    assert marked and html.unescape(marked.group(1)) == text[start:end]
    assert "<script>" not in out and "<b>" not in out and "<i>" not in out
    assert unescape_tags(out) == text


def test_overlapping_and_unsorted_spans_keep_the_text_intact() -> None:
    text = "one two three four five"
    spans = [render.Span(8, 18, 2), render.Span(4, 13, 1)]
    out = render.highlighted(text, spans)
    assert unescape_tags(out) == text
    assert out.count("<mark") == 2


def test_article_view_is_inert_and_highlights_the_citation() -> None:
    text = f"First paragraph.\n\n{EVIL}\n\nThe cited sentence is here."
    start = text.index("The cited")
    article = ArticleView("a1", "<b>Title</b>", "2024-02-10", "x.txt", "javascript:alert(1)", text)
    out = render.article_html(article, [render.Span(start, len(text), 1)], focus=1)
    assert "<script>" not in out and "<img" not in out and "<b>Title" not in out
    assert "&lt;script&gt;" in out
    assert 'href="javascript:' not in out  # only http(s) links to the original
    focus = re.search(r'<mark id="rag-focus"[^>]*>(.*?)</mark>', out)
    assert focus and html.unescape(focus.group(1)) == text[start:]


def test_answer_markdown_links_markers_and_escapes_markdown_and_html() -> None:
    out = render.answer_markdown(f"{EVIL} [1] and [2].", turn=3)
    assert '<a class="rag-marker" href="#cite-3-1">[1]</a>' in out
    assert '<a class="rag-marker" href="#cite-3-2">[2]</a>' in out
    assert "<script>" not in out and "<img" not in out
    assert r"\*b\*" in out  # shown as stars, not emphasis
    assert "(javascript:x)" not in out  # the fake link is broken up by escapes


def test_abstention_is_marked_differently() -> None:
    assert "rag-abstain" in render.answer_markdown("The corpus does not say.", 0, abstained=True)
    assert "rag-abstain" not in render.answer_markdown("It was 85. [1]", 0)


def test_sources_show_the_quote_highlighted_inside_its_passage() -> None:
    text = "Intro sentence. " * 30 + "U.S. airstrikes hit 85 targets <now>. " + "Tail. " * 30
    start = text.index("U.S.")
    end = text.index("<now>.") + len("<now>.")
    c = citation(1, text, start, end)
    passage = Passage("c1", "a1", "T", "2024-02-10", "seeds/a.txt", text, 0, len(text), 1.0)
    context = render.quote_context(c, [passage])
    assert context is not None
    window, offset = context
    assert len(window) < len(text) and window[start - offset : end - offset] == c.quote
    out = render.sources_html(answer_with("x [1]", (c,), [passage]), 0, {1: context})
    mark = re.search(r"<mark[^>]*>(.*?)</mark>", out)
    assert mark and html.unescape(mark.group(1)) == c.quote
    assert 'href="#cite-0-1"' in out and "<now>" not in out


def test_sources_of_an_abstention_list_closest_passages_without_highlights() -> None:
    p = Passage("c1", "a1", "T", "2024-02-10", "a.txt", "<script>bad()</script> text", 0, 27, 0.1)
    out = render.sources_html(answer_with("No.", (), [p], abstained=True), 0, {})
    assert "Closest passages" in out and "<mark" not in out and "<script>" not in out


def test_copy_text_has_the_answer_and_each_source() -> None:
    text = "Aron Lund is a fellow."
    c = citation(1, text, 0, len(text))
    copied = render.copy_text(answer_with(f"{text} [1]", (c,)))
    assert copied.startswith(f"{text} [1]")
    assert '[1] T (2024-02-10), seeds/a.txt [0:22]: "Aron Lund is a fellow."' in copied


def test_window_cuts_at_whitespace_around_the_span() -> None:
    text = "word " * 200
    window, offset = render.window(text, 500, 504, chars=50)
    assert text[offset : offset + len(window)] == window
    assert not window.startswith("ord") and len(window) <= 110


def test_the_short_answer_is_bold_above_its_quote() -> None:
    text = "85 targets [1]. U.S. airstrikes on Feb. 2 hit 85 targets. [1]"
    shown = render.answer_markdown(text, 0, short="85 targets")
    assert shown.startswith("**85 targets**")
    assert render.answer_markdown(text, 0).startswith("85 targets")
