"""A news site on 127.0.0.1 for the web-ingest tests: an RSS feed, an Atom feed, article
pages with a menu, a cookie banner, scripts and related links, a 404, a page that never
answers, an oversized page, a malformed feed and a robots.txt. Nothing leaves loopback.

>>> with FakeSite() as site:  # doctest: +SKIP
...     site.url("/feed.rss")
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

SLOW_S = 3.0  # the page that never answers, as far as a short timeout can tell

FLOOD_TEXT = (
    "The death toll in the Varnholt floods rose to 31 on Tuesday, officials said, as "
    "recovery teams searched homes in the lower town. More than 6,800 residents have been "
    "evacuated since the River Selde burst its banks on Saturday. The regional government "
    "said emergency shelters in schools and sports halls would stay open all week, and "
    "that drinking water was being trucked in from Pellworth."
)
BRIDGE_PAGE_TEXT = (
    "The new Marrick Bridge across the River Aske in Pellworth will open to traffic on "
    "29 April, six weeks later than planned, the county's highways department said. "
    "Engineers found cracks in two bearings during final load tests."
)
MARKET_TEXT = (
    "A record 58 stalls filled Strandley's Market Square on Saturday for the monthly "
    "farmers' market, organisers said, as warm weather brought crowds into the town. "
    "Traders sold goat's cheese, seedlings and honey from hives on the edge of the moor, "
    "and the market's first cider stall sold out by noon, the organisers added."
)


def _page(title: str, body: str, date: str = "2024-04-02") -> str:
    paragraphs = "".join(f"<p>{p}.</p>" for p in body.split(". ") if p)
    return f"""<!doctype html><html><head><title>{title}</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="Pellworth Gazette">
<meta property="article:published_time" content="{date}T09:00:00Z">
<script>window.tracker = function () {{ return "cookies everywhere"; }};</script>
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a>
<a href="/weather">Weather</a></nav>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience.
<button>Accept all cookies</button></div>
<main><article><h1>{title}</h1>{paragraphs}</article></main>
<aside class="related"><h2>Related stories</h2><ul><li><a href="/x">Ten best beaches in
the county</a></li><li><a href="/y">Win a weekend in a castle</a></li></ul></aside>
<footer>Copyright Pellworth Gazette. Subscribe to our newsletter.</footer>
</body></html>"""


class FakeSite:
    """The site, served from a thread; `flood_text` can change between two reads."""

    def __init__(self) -> None:
        self.flood_text = FLOOD_TEXT
        self.requests: list[tuple[str, str]] = []  # (path, user agent)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet test output
                pass

            def do_GET(self) -> None:
                site.requests.append((self.path, self.headers.get("User-Agent", "")))
                route = site.routes().get(self.path)
                if self.path == "/slow":
                    time.sleep(SLOW_S)
                if route is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                kind, body = route
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{path}"

    def routes(self) -> dict[str, tuple[str, str]]:
        html, xml = "text/html; charset=utf-8", "application/rss+xml"
        return {
            "/feed.rss": (xml, self._rss()),
            "/atom.xml": ("application/atom+xml", self._atom()),
            "/news/bridge": (html, _page("Marrick Bridge opening delayed", BRIDGE_PAGE_TEXT)),
            "/private/memo": (html, _page("Internal memo", BRIDGE_PAGE_TEXT)),
            "/big": (html, _page("Huge page", "A sentence about nothing. " * 4000)),
            "/slow": (html, _page("Slow page", BRIDGE_PAGE_TEXT)),
            "/bad.xml": (xml, "<rss><channel><item><title>Broken</title></chan"),
            "/robots.txt": ("text/plain", "User-agent: *\nDisallow: /private/\n"),
        }

    def _rss(self) -> str:
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Pellworth Gazette</title><link>{self.url("/")}</link>
<description>News from Pellworth</description>
<item><title>Varnholt flood toll rises to 31</title><guid>gazette-flood-0305</guid>
<link>{self.url("/news/flood")}</link><pubDate>Tue, 05 Mar 2024 10:00:00 GMT</pubDate>
<content:encoded><![CDATA[<p>{self.flood_text}</p>]]></content:encoded></item>
<item><title>Marrick Bridge opening delayed</title><link>{self.url("/news/bridge")}</link>
<description>The opening is delayed.</description>
<pubDate>Tue, 02 Apr 2024 09:00:00 GMT</pubDate></item>
<item><title>A story that was taken down</title><link>{self.url("/news/gone")}</link>
<guid>gazette-gone</guid><pubDate>Wed, 03 Apr 2024 09:00:00 GMT</pubDate></item>
<item><title>An internal memo</title><link>{self.url("/private/memo")}</link>
<pubDate>Wed, 03 Apr 2024 10:00:00 GMT</pubDate></item>
</channel></rss>"""

    def _atom(self) -> str:
        return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Strandley Weekly</title>
<id>urn:strandley-weekly</id><updated>2024-07-06T12:00:00Z</updated>
<entry><title>Record stalls at farmers' market</title><id>urn:strandley:market-0706</id>
<link href="{self.url("/news/market")}"/><updated>2024-07-06T12:00:00Z</updated>
<content type="html">&lt;p&gt;{MARKET_TEXT}&lt;/p&gt;</content></entry>
</feed>"""

    def __enter__(self) -> FakeSite:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
