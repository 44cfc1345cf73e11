"""`ingest(rebuild=True)` between questions: the next question reads the rebuilt index (13.2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import rag.assistant
from index.writer import WriterLock
from rag import Assistant, IndexBusyError, InputError

QUESTION = "How many targets did U.S. airstrikes hit on Feb. 2?"


def cited(assistant: Assistant) -> str:
    """The first citation's quote, checked against the article it points into."""
    answer = assistant.ask(QUESTION)
    assert not answer.abstained
    citation = answer.citations[0]
    assert assistant.article(citation.article_id).text[citation.start : citation.end] == (
        citation.quote
    )
    return citation.quote


def test_questions_after_a_rebuild_are_answered_from_the_new_index(
    fake_assistant: Assistant, corpus: Path
) -> None:
    fake_assistant.ingest([corpus])
    assert "85 targets" in cited(fake_assistant)

    article = next(corpus.glob("*.txt"))
    article.write_text(article.read_text().replace("85 targets", "87 targets"))
    report = fake_assistant.ingest([corpus], rebuild=True)

    assert len(report.added) == 1 and not report.unchanged
    quote = cited(fake_assistant)
    assert "87 targets" in quote and "85 targets" not in quote
    status = fake_assistant.status()
    assert (status.articles, fake_assistant.index.vectors.count()) == (1, status.chunks)


def test_rebuilding_twice_then_asking_again(fake_assistant: Assistant, corpus: Path) -> None:
    fake_assistant.ingest([corpus])
    first = fake_assistant.ask(QUESTION)
    fake_assistant.ingest([corpus], rebuild=True)
    fake_assistant.ingest([corpus], rebuild=True)

    again = fake_assistant.ask(QUESTION)
    assert again.citations == first.citations and again.text == first.text


def test_no_other_writer_gets_in_between_the_reset_and_the_ingest_of_a_rebuild(
    fake_assistant: Assistant, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_assistant.ingest([corpus])
    real_ingest = rag.assistant.ingest
    tried: list[str] = []

    def another_writer_first(*args: Any, **kwargs: Any) -> Any:
        """Another writer tries its luck the moment the reset is done."""
        try:
            with WriterLock(Path(fake_assistant.settings.home)).held():  # its own handle
                tried.append("got in")
        except IndexBusyError:
            tried.append("refused")
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(rag.assistant, "ingest", another_writer_first)
    report = fake_assistant.ingest([corpus], rebuild=True)

    assert tried == ["refused"]
    assert len(report.added) == 1
    assert "85 targets" in cited(fake_assistant)


def test_a_rebuild_of_a_missing_path_leaves_the_index_as_it_was(
    fake_assistant: Assistant, corpus: Path
) -> None:
    fake_assistant.ingest([corpus])
    with pytest.raises(InputError, match="path does not exist"):
        fake_assistant.ingest([corpus / "typo"], rebuild=True)
    assert fake_assistant.status().articles == 1
    assert "85 targets" in cited(fake_assistant)
