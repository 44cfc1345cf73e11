"""`rag ingest URL`: feeds and pages from a local site (tests/fake_site.py), their main
text only, and every failure as one line of the report while the rest goes in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from index.loaders import is_url
from index.settings import IngestSettings
from index.web import read_urls, web_article_id
from rag import Assistant, Settings
from tests.fake_site import BRIDGE_PAGE_TEXT, FakeSite
from tests.fakes import HashingEmbedder
from ui import cli

QUICK = IngestSettings(fetch_timeout_s=0.5)
BOILERPLATE = (
    "cookie",
    "Accept all",
    "Related stories",
    "Ten best beaches",
    "Subscribe",
    "Weather",
)


@pytest.fixture(scope="module")
def site() -> Iterator[FakeSite]:
    with FakeSite() as served:
        yield served


def test_a_feed_s_entries_become_articles_with_their_metadata(site: FakeSite) -> None:
    result = read_urls([site.url("/feed.rss"), site.url("/atom.xml")], QUICK)
    by_title = {a.title: a for a in result.articles}
    assert set(by_title) == {
        "Varnholt flood toll rises to 31",
        "Marrick Bridge opening delayed",
        "Record stalls at farmers' market",
    }
    flood = by_title["Varnholt flood toll rises to 31"]
    assert flood.id == web_article_id("gazette-flood-0305")  # the GUID
    assert (flood.date, flood.source, flood.url) == (
        "2024-03-05",
        site.url("/feed.rss"),
        site.url("/news/flood"),
    )
    assert flood.text.startswith("The death toll in the Varnholt floods rose to 31")
    assert flood.outlet == "Pellworth Gazette"  # the feed's title
    market = by_title["Record stalls at farmers' market"]
    assert market.date == "2024-07-06" and market.source == site.url("/atom.xml")
    assert market.outlet == "Strandley Weekly"


def test_an_entry_without_text_of_its_own_reads_its_page_main_text_only(site: FakeSite) -> None:
    result = read_urls([site.url("/feed.rss")], QUICK)
    bridge = next(a for a in result.articles if a.title == "Marrick Bridge opening delayed")
    assert bridge.id == web_article_id(site.url("/news/bridge"))  # no GUID: its link
    for sentence in BRIDGE_PAGE_TEXT.split(". "):
        assert sentence.rstrip(".") in bridge.text
    for junk in (*BOILERPLATE, "tracker", "Home"):
        assert junk not in bridge.text
    assert not bridge.text.startswith("Marrick Bridge opening delayed")  # the headline


def test_a_page_url_is_one_article_with_the_page_s_metadata(site: FakeSite) -> None:
    (page,) = read_urls([site.url("/news/bridge")], QUICK).articles
    assert (page.title, page.date, page.url, page.outlet) == (
        "Marrick Bridge opening delayed",
        "2024-04-02",
        site.url("/news/bridge"),
        "Pellworth Gazette",  # the page's og:site_name
    )


def test_every_failure_is_one_line_and_the_rest_goes_in(site: FakeSite) -> None:
    small = IngestSettings(fetch_timeout_s=0.5, fetch_max_bytes=20_000)
    urls = [
        site.url("/feed.rss"),  # two of its entries fail: a 404 and a robots.txt rule
        site.url("/slow"),
        site.url("/big"),
        site.url("/bad.xml"),
        site.url("/nothing-here"),
        "http://127.0.0.1:9/closed",  # the discard port: nothing listens
    ]
    result = read_urls(urls, small)
    reasons = {s.source: s.reason for s in result.skipped}
    assert reasons[f"{site.url('/feed.rss')} ({site.url('/news/gone')})"] == "HTTP 404"
    assert reasons[f"{site.url('/feed.rss')} ({site.url('/private/memo')})"] == (
        "robots.txt disallows it"
    )
    assert reasons[site.url("/slow")] == "no answer within 0.5 s"
    assert "limit (ingest.fetch_max_bytes)" in reasons[site.url("/big")]
    assert reasons[site.url("/bad.xml")].startswith("malformed feed")
    assert reasons[site.url("/nothing-here")] == "HTTP 404"
    assert reasons["http://127.0.0.1:9/closed"].startswith("cannot fetch")
    assert all("\n" not in reason for reason in reasons.values())
    assert len(result.articles) == 2  # the flood and the bridge still went in


def test_requests_name_the_project_and_robots_txt_is_read_once(site: FakeSite) -> None:
    site.requests.clear()
    read_urls([site.url("/feed.rss")], QUICK)
    assert {agent for _, agent in site.requests} == {QUICK.user_agent}
    assert "newsrag" in QUICK.user_agent
    assert [path for path, _ in site.requests].count("/robots.txt") == 1


@pytest.mark.parametrize(
    ("text", "url"),
    [("https://example.org/feed", True), ("http://a.b/x.rss", True), ("news/a.txt", False)],
)
def test_urls_are_told_from_paths(text: str, url: bool) -> None:
    assert is_url(text) is url


def test_a_re_read_adds_nothing_and_an_edited_entry_replaces_its_old_version(
    site: FakeSite, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path / "home", ingest={"fetch_timeout_s": 2})
    assistant = Assistant(settings, embedder=HashingEmbedder())
    feed = site.url("/feed.rss")
    first = assistant.ingest([feed])
    assert len(first.added) == 2 and len(first.skipped) == 2
    again = assistant.ingest([feed])
    assert (again.added, again.updated, len(again.unchanged)) == ([], [], 2)
    old = site.flood_text
    try:
        site.flood_text = old.replace("rose to 31", "rose to 44")
        edited = assistant.ingest([feed])
    finally:
        site.flood_text = old
    flood_id = web_article_id("gazette-flood-0305")
    assert edited.updated == [flood_id] and edited.added == []
    listed = {a.id: a for a in assistant.articles().articles}
    assert listed[flood_id].outlet == assistant.article(flood_id).outlet == "Pellworth Gazette"
    assert listed[flood_id].updated and not listed[web_article_id(site.url("/news/bridge"))].updated
    answer = assistant.ask("What is the death toll in the Varnholt floods?")
    quotes = " ".join(c.quote for c in answer.citations if c.article_id == flood_id)
    assert "44" in quotes and "rose to 31" not in quotes
    text = assistant.article(flood_id).text
    assert all(
        text[c.start : c.end] == c.quote for c in answer.citations if c.article_id == flood_id
    )


def test_rag_ingest_takes_urls_and_reports_each_failure(
    site: FakeSite,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assistant = Assistant(Settings(home=tmp_path / "home"), embedder=HashingEmbedder())
    monkeypatch.setattr(cli, "_assistant", lambda settings: assistant)
    code = cli.main(
        ["--home", str(tmp_path / "home"), "ingest", site.url("/atom.xml"), site.url("/bad.xml")]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "1 added" in out or "added: 1" in out or "added 1" in out
    assert "malformed feed" in out
