"""The panels show words, not markup or raw scores; the conversation as Markdown."""

from __future__ import annotations

from rag import Answer, Citation, Passage
from ui import render

TEXT = "# Otter crosses the lake\n\nAn otter swam 12 miles. Rangers counted.\n## Later\nMore."


def passage(start: int = 0, end: int = len(TEXT), score: float = 1.05) -> Passage:
    return Passage("c1", "otter", "", "2024-03-05", "otter.md", TEXT[start:end], start, end, score)


def answer(confidence: float | None = 0.72) -> Answer:
    start = TEXT.index("An otter")
    quote = "An otter swam 12 miles."
    cite = Citation(1, "otter", "Otter", "2024-03-05", "otter.md", quote, start, start + 23, 1.05)
    return Answer(
        "How far did the otter swim?",
        f"{quote} [1]",
        False,
        (cite,),
        (passage(),),
        confidence=confidence,
    )


def test_heading_marks_are_dropped_but_spans_still_index_the_text() -> None:
    start = TEXT.index("An otter")
    shown = render.highlighted(TEXT, [render.Span(start, start + 8, 1)])
    assert "#" not in shown and "Otter crosses the lake" in shown and "Later" in shown
    assert '<mark class="rag-hl" data-n="1">An otter</mark>' in shown
    assert render.plain("a # b\n# c") == "a # b\nc"  # only a mark that opens a line


def test_sources_show_rank_and_confidence_not_scores() -> None:
    html = render.sources_html(answer(), 0, {})
    assert "relevance" not in html and "1.05" not in html
    assert "passage 1 of the search" in html and "confidence in this answer: 72 %" in html
    assert "confidence" not in render.sources_html(answer(None), 0, {})
    abstained = Answer("q", "none", True, (), (passage(),))
    card = render.sources_html(abstained, 0, {})
    assert "#" not in card.split('rag-context">')[1] and "passage 1 of the search" in card


def test_the_conversation_as_markdown_holds_every_citation_span() -> None:
    markdown = render.conversation_markdown([answer(), None, answer()])
    assert markdown.startswith("# newsrag conversation\n")
    assert "## 1. How far did the otter swim?" in markdown and "## 2." in markdown
    start = TEXT.index("An otter")
    assert f"characters {start}-{start + 23}:" in markdown
    assert "  > An otter swam 12 miles." in markdown and "`otter.md`" in markdown
