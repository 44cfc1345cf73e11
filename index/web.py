"""Articles from the web: RSS/Atom feeds (`feedparser`) and article pages (`trafilatura`
extracts the main text: no menus, cookie banners, scripts or related links).

- A feed's entries become articles: the id from the entry's GUID (else its link), the
  title, the date (the entry's, else the page's) and the URL from the entry. An entry
  with no text of its own (no `content`: a title and a teaser `description` at most)
  fetches its page; without a link, its description is its text.
- A page URL becomes one article, with the title and date of the page's metadata.
- Polite and bounded (`ingest.fetch_*`): a timeout per request, a size cap per
  response, at most `fetch_per_host` requests at once to one host, a user agent that
  names the project, and `robots.txt` obeyed for pages.
- A feed or page that fails is one line in `LoadResult.skipped`; the rest goes in.

An article's `source` is the URL read (the feed's, for its entries), so `rag remove URL`
removes a feed's articles; its id is `web-` and a hash of the entry's id, the same on
every read, so a re-read adds nothing new and replaces an entry whose text changed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import urllib.robotparser
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from urllib.parse import urljoin, urlsplit
from xml.sax import SAXException

import httpx

from index.articles import Article, parse_date
from index.loaders import LoadResult, Skipped, too_big
from index.settings import IngestSettings

logger = logging.getLogger(__name__)

PAGE_WORKERS = 8


class FetchError(Exception):
    """A request that gave no usable response; the message is the report's line."""


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content_type: str
    body: bytes


class Fetcher:
    """GET with the project's user agent, a timeout, a size cap, a limit per host and
    `robots.txt` (for pages). Thread-safe: pages of a feed are read in parallel."""

    def __init__(self, settings: IngestSettings) -> None:
        self._settings = settings
        self._client = httpx.Client(
            timeout=settings.fetch_timeout_s,
            follow_redirects=True,
            headers={"User-Agent": settings.user_agent},
        )
        self._lock = threading.Lock()
        self._robots_lock = threading.Lock()
        self._hosts: dict[str, threading.Semaphore] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, *, page: bool = False) -> Fetched:
        """The response to GET `url`; `page`: first ask the host's robots.txt."""
        if page and not self._allowed(url):
            raise FetchError("robots.txt disallows it")
        return self._get(url)

    def _get(self, url: str) -> Fetched:
        limit = self._settings.fetch_max_bytes
        with self._host(url):
            try:
                with self._client.stream("GET", url) as response:
                    if response.status_code >= 400:
                        raise FetchError(f"HTTP {response.status_code}")
                    body = bytearray()
                    for block in response.iter_bytes():
                        body += block
                        if len(body) > limit:
                            raise FetchError(
                                too_big(len(body), limit, "ingest.fetch_max_bytes", "not read")
                            )
                    kind = response.headers.get("content-type", "")
                    return Fetched(str(response.url), kind, bytes(body))
            except httpx.TimeoutException:
                raise FetchError(f"no answer within {self._settings.fetch_timeout_s:g} s") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"cannot fetch: {exc}") from None

    def _host(self, url: str) -> threading.Semaphore:
        host = urlsplit(url).netloc
        with self._lock:
            if host not in self._hosts:
                self._hosts[host] = threading.Semaphore(self._settings.fetch_per_host)
            return self._hosts[host]

    def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._robots_lock:  # one read of each host's robots.txt, whatever the threads
            if origin not in self._robots:
                self._robots[origin] = self._read_robots(origin)
            robots = self._robots[origin]
        return robots is None or robots.can_fetch(self._settings.user_agent, url)

    def _read_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        """The host's rules; None (everything allowed) when it has no robots.txt."""
        try:
            fetched = self._get(urljoin(origin, "/robots.txt"))
        except FetchError:
            return None
        robots = urllib.robotparser.RobotFileParser()
        robots.parse(fetched.body.decode("utf-8", errors="replace").splitlines())
        return robots


def read_urls(urls: Sequence[str], settings: IngestSettings) -> LoadResult:
    """The articles of the feeds and pages at `urls`; what failed is in `skipped`."""
    result = LoadResult()
    fetcher = Fetcher(settings)
    try:
        for url in urls:
            try:
                fetched = fetcher.get(url)
                feed = _parse_feed(fetched)
            except FetchError as exc:
                result.skipped.append(Skipped(url, str(exc)))
                continue
            if feed is None:
                _add_page(result, url, fetched, settings)
            else:
                _add_feed(result, url, feed, fetcher, settings)
    finally:
        fetcher.close()
    return result


def _parse_feed(fetched: Fetched) -> object | None:
    """The parsed feed, or None when the response is a page. A response that says it is
    XML but holds no feed raises FetchError ("malformed feed")."""
    import feedparser

    parsed = feedparser.parse(fetched.body)
    broken = isinstance(parsed.get("bozo_exception"), SAXException)
    usable = any(e.get("link") or e.get("content") for e in parsed.get("entries", []))
    if parsed.get("version") and (usable or not broken):
        return parsed  # a feed that is not well-formed XML, read as far as it goes
    head = fetched.body[:512].lstrip().lower()
    xml = "xml" in fetched.content_type or head.startswith((b"<?xml", b"<rss", b"<feed"))
    if xml:
        cause = parsed.get("bozo_exception")
        raise FetchError(f"malformed feed: {cause or 'no RSS or Atom found'}")
    return None


def _add_page(result: LoadResult, url: str, fetched: Fetched, settings: IngestSettings) -> None:
    article = page_article(fetched, source=url, max_bytes=settings.max_article_bytes)
    if isinstance(article, str):
        result.skipped.append(Skipped(url, article))
    else:
        result.articles.append(article)


def _add_feed(
    result: LoadResult, url: str, feed: object, fetcher: Fetcher, settings: IngestSettings
) -> None:
    entries = list(getattr(feed, "entries", []))
    if not entries:
        result.warnings.append(Skipped(url, "the feed has no entries"))
        return

    outlet = _plain(str(getattr(feed, "feed", {}).get("title") or ""))

    def read(entry: dict) -> Article | Skipped:
        where = f"{url} ({entry.get('link') or entry.get('id') or 'entry'})"
        try:
            article = entry_article(entry, url, fetcher, settings.max_article_bytes)
            return replace(article, outlet=outlet or article.outlet)
        except FetchError as exc:
            return Skipped(where, str(exc))

    with ThreadPoolExecutor(PAGE_WORKERS) as pool:
        for outcome in pool.map(read, entries):
            if isinstance(outcome, Article):
                result.articles.append(outcome)
            else:
                result.skipped.append(outcome)


def entry_article(entry: dict, feed_url: str, fetcher: Fetcher, max_bytes: int) -> Article:
    """One feed entry as an article, its page read when the feed gives no text of its own."""
    link = str(entry.get("link") or "")
    key = str(entry.get("id") or link)
    if not key:
        raise FetchError("entry has neither an id nor a link")
    own = _entry_text(entry)
    title = _plain(str(entry.get("title") or ""))
    day = _entry_date(entry)
    if not own and not link:
        own = _plain(str(entry.get("summary") or ""))
    if not own:
        page = page_article(fetcher.get(link, page=True), source=feed_url, max_bytes=max_bytes)
        if isinstance(page, str):
            raise FetchError(page)
        own, title, day, outlet = page.text, title or page.title, day or page.date, page.outlet
    else:
        outlet = ""
    if not own.strip():
        raise FetchError("the entry has no text")
    if len(own.encode("utf-8")) > max_bytes:
        raise FetchError(too_big(len(own.encode("utf-8")), max_bytes))
    return Article(
        id=web_article_id(key),
        title=title,
        date=day,
        text=own,
        source=feed_url,
        url=link,
        outlet=outlet,
    )


def page_article(fetched: Fetched, *, source: str, max_bytes: int) -> Article | str:
    """The main text of an article page with its metadata, or why there is none."""
    import trafilatura

    # Bytes: trafilatura finds the encoding (header, meta tag or detection) itself.
    document = trafilatura.bare_extraction(fetched.body, url=fetched.url, with_metadata=True)
    text = str(getattr(document, "text", "") or "") if document is not None else ""
    if not text.strip():
        return "no article text found on the page"
    title = str(getattr(document, "title", "") or "")
    if title and text.startswith(title):  # the headline is the title, not a sentence
        text = text[len(title) :].lstrip("\n")
    if len(text.encode("utf-8")) > max_bytes:
        return too_big(len(text.encode("utf-8")), max_bytes)
    day = parse_date(str(getattr(document, "date", "") or "")) or ""
    return Article(
        id=web_article_id(fetched.url),
        title=title,
        date=day,
        text=text,
        source=source,
        url=fetched.url,
        outlet=str(getattr(document, "sitename", "") or ""),
    )


def web_article_id(key: str) -> str:
    """A stable article id for a feed entry's GUID or a page's URL."""
    return "web-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def _entry_text(entry: dict) -> str:
    contents: Iterable[dict] = entry.get("content") or []
    html = "\n".join(str(c.get("value") or "") for c in contents)
    return _plain(html) if html.strip() else ""


def _plain(html: str) -> str:
    """The text of an HTML fragment, a paragraph per line."""
    import trafilatura

    if "<" not in html:
        return html.strip()
    return str(trafilatura.html2txt(f"<html><body>{html}</body></html>") or "").strip()


def _entry_date(entry: dict) -> str:
    for field in ("published_parsed", "updated_parsed"):
        parsed = entry.get(field)
        if parsed:
            return time.strftime("%Y-%m-%d", parsed)
    return ""
