"""Near-duplicates in every front end: the CLI's answer and ingest report, the HTTP API's
citations and status, the chat's sources panel and corpus summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag import Assistant, IngestReport, Settings
from rag.settings import RetrievalSettings
from tests.dedup_corpus import write_corpus
from tests.fakes import HashingEmbedder
from tests.ui.http_support import make_app
from ui import render
from ui.cli import format_answer, format_report

QUESTION = "How many homes did the Kestrel dam breach flood on Saturday?"


@pytest.fixture
def built(tmp_path: Path) -> tuple[Assistant, IngestReport]:
    retrieval = RetrievalSettings(collapse_duplicates=True, exclude_boilerplate=True)
    assistant = Assistant(
        Settings(home=tmp_path / "home", retrieval=retrieval), embedder=HashingEmbedder()
    )
    return assistant, assistant.ingest([write_corpus(tmp_path / "news")])


def test_the_cli_names_the_copies_and_reports_clusters_and_boilerplate(
    built: tuple[Assistant, IngestReport],
) -> None:
    assistant, report = built
    text = format_answer(assistant.ask(QUESTION))
    assert "also in: Kestrel dam breach floods Millbrook 2024-02-10" in text
    shown = format_report(report)
    assert "near-duplicates: 2 clusters of 6 articles" in shown
    assert "Snow expected across the valley" in shown.split("boilerplate")[-1]


def test_the_http_api_gives_also_in_and_the_status_counts(
    built: tuple[Assistant, IngestReport],
) -> None:
    assistant, _ = built
    client = TestClient(make_app(assistant, assistant.settings))
    body = client.post("/v1/ask", json={"question": QUESTION}).json()
    also = [r for c in body["citations"] for r in c["also_in"]]
    assert {Path(r["source"]).name for r in also} == {"reuters.md", "ap.md"}
    assert body["passages"][0]["also_in"]
    status = client.get("/v1/status").json()
    assert (status["clusters"], status["clustered_articles"]) == (2, 6)
    assert len(status["boilerplate"]) == 3


def test_the_chat_shows_also_in_under_a_source_and_clusters_in_the_corpus_panel(
    built: tuple[Assistant, IngestReport],
) -> None:
    assistant, report = built
    answer = assistant.ask(QUESTION)
    panel = render.sources_html(answer, 0, {})
    assert "also in: Kestrel dam breach floods Millbrook 2024-02-10" in panel
    assert "also in: Kestrel dam breach floods Millbrook 2024-02-10" in render.copy_text(answer)
    summary = render.status_markdown(assistant.status())
    assert "Near-duplicates: 2 clusters of 6 articles" in summary
    assert "boilerplate" in summary
    assert "2 clusters of 6 articles" in render.report_markdown(report)
