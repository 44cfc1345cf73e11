"""Watched sources: `rag sources`, `/v1/sources`, and the server's watcher reading a
local feed (tests/fake_site.py) on a schedule, so a new entry becomes answerable."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.web import web_article_id
from rag import Assistant, InputError, Settings, SourceWatcher
from rag.sources import parse_every
from tests.fake_site import FakeSite
from tests.fakes import HashingEmbedder
from tests.ui.http_support import make_app
from ui import cli


@pytest.fixture(scope="module")
def site() -> Iterator[FakeSite]:
    with FakeSite() as served:
        yield served


@pytest.fixture
def assistant(tmp_path: Path) -> Assistant:
    settings = Settings(home=tmp_path / "home", ingest={"fetch_timeout_s": 2})
    return Assistant(settings, embedder=HashingEmbedder())


@pytest.mark.parametrize(
    ("text", "seconds"), [("45s", 45), ("30m", 1800), ("2h", 7200), ("1d", 86400), ("90", 90)]
)
def test_every_reads_a_number_and_a_unit(text: str, seconds: int) -> None:
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["soon", "30x", "0s", "400d", ""])
def test_a_bad_every_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InputError, match="--every") as error:
        parse_every(text)
    assert error.value.field == "every"


def test_the_watcher_reads_a_due_source_and_records_what_it_added(
    assistant: Assistant, site: FakeSite
) -> None:
    source = assistant.add_source(site.url("/atom.xml"), "1h")
    assert source.last_read == "" and source.every_s == 3600
    now = datetime.now(UTC)
    watcher = SourceWatcher(assistant, clock=lambda: now)
    (read,) = watcher.poll()
    assert read.last_added == 1 and read.last_read and read.last_note == ""
    assert watcher.poll() == []  # not due again for an hour
    later = SourceWatcher(assistant, clock=lambda: now + timedelta(hours=2))
    (again,) = later.poll()
    assert again.last_added == 0  # nothing new
    assert [a.id for a in assistant.articles().articles] == [
        web_article_id("urn:strandley:market-0706")
    ]


def test_a_failing_source_is_recorded_as_its_note_and_the_watcher_goes_on(
    assistant: Assistant, site: FakeSite
) -> None:
    assistant.add_source(site.url("/bad.xml"), "1h")
    assistant.add_source(site.url("/atom.xml"), "1h")
    read = {source.url: source for source in SourceWatcher(assistant).poll()}
    bad, good = read[site.url("/bad.xml")], read[site.url("/atom.xml")]
    assert "malformed feed" in bad.last_note and bad.last_added == 0
    assert good.last_added == 1


def test_a_new_entry_is_answerable_within_one_poll_of_the_running_watcher(
    assistant: Assistant, site: FakeSite
) -> None:
    assistant.ingest([site.url("/atom.xml")])  # an index to ask before the feed is read
    assistant.add_source(site.url("/feed.rss"), "1s")
    watcher = SourceWatcher(assistant, tick_s=0.2)
    started = time.monotonic()
    watcher.start()
    try:
        flood = web_article_id("gazette-flood-0305")
        while flood not in {a.id for a in assistant.articles().articles}:
            assert time.monotonic() - started < 30, "the watched feed was not read"
            time.sleep(0.2)
    finally:
        watcher.stop()
    answer = assistant.ask("What is the death toll in the Varnholt floods?")
    assert any(c.article_id == flood for c in answer.citations)


def test_add_refuses_what_is_not_a_url_and_remove_what_is_not_watched(
    assistant: Assistant,
) -> None:
    with pytest.raises(InputError, match="not an http"):
        assistant.add_source("news/feed.xml")
    with pytest.raises(InputError, match="no watched source"):
        assistant.remove_source("https://example.org/none")
    assert assistant.sources() == []


def test_rag_sources_add_list_remove(
    assistant: Assistant,
    site: FakeSite,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "_assistant", lambda settings: assistant)
    home = ["--home", str(assistant.settings.home)]
    url = site.url("/feed.rss")
    assert cli.main([*home, "sources", "add", url, "--every", "2h"]) == 0
    assert f"watching {url} every 2h" in capsys.readouterr().out
    assert cli.main([*home, "sources", "list"]) == 0
    assert capsys.readouterr().out.strip() == f"{url} every 2h, not read yet"
    assert cli.main([*home, "sources", "add", url, "--every", "soon"]) == 2
    assert "--every" in capsys.readouterr().err
    assert cli.main([*home, "sources", "remove", url]) == 0
    assert cli.main([*home, "sources", "list"]) == 0
    assert "no watched sources" in capsys.readouterr().out


def test_http_sources_follow_the_api_key_rules(assistant: Assistant, site: FakeSite) -> None:
    settings = assistant.settings.model_copy(update={"api_key": "secret"})
    client = TestClient(make_app(assistant, settings))
    key = {"Authorization": "Bearer secret"}
    url = site.url("/atom.xml")
    assert client.get("/v1/sources").status_code == 401
    assert client.post("/v1/sources", json={"url": url}).status_code == 401
    created = client.post("/v1/sources", json={"url": url, "every": "10m"}, headers=key)
    assert created.status_code == 201 and created.json()["every_s"] == 600
    listed = client.get("/v1/sources", headers=key).json()["sources"]
    assert [s["url"] for s in listed] == [url]
    bad = client.post("/v1/sources", json={"url": "ftp://x", "every": "10m"}, headers=key)
    assert bad.status_code == 422 and bad.json()["error"]["param"] == "url"
    assert client.delete("/v1/sources", params={"url": url}).status_code == 401
    gone = client.delete("/v1/sources", params={"url": url}, headers=key)
    assert gone.status_code == 200 and gone.json()["sources"] == []
    missing = client.delete("/v1/sources", params={"url": url}, headers=key)
    assert missing.status_code == 422


def test_the_chat_s_corpus_panel_shows_each_source_s_last_read(
    assistant: Assistant, site: FakeSite
) -> None:
    from ui import chat

    assistant.ingest([site.url("/atom.xml")])
    assistant.add_source(site.url("/feed.rss"), "1h")
    session = chat.ChatSession(assistant)
    before, _ = session.corpus()
    assert "Watched sources" in before and "not read yet" in before
    SourceWatcher(assistant).poll()
    after, _ = session.corpus()
    assert "2 articles added or updated" in after and "HTTP 404" in after
