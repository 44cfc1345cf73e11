"""Web ingest against files (issue 23): N articles served as one local RSS feed (full
text in each entry) against the same texts as .txt files, each ingested into a fresh
index with the real model; then how long a watched source's new entry takes to become
answerable. Writes bench/results/feed_ingest.json.

    python bench/bench_feed_ingest.py --corpus ../shared/benchmarks/realtimeqa-dev/corpus.jsonl
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from rag import Assistant, Settings, SourceWatcher


def rss(articles: list[dict[str, Any]]) -> str:
    items = []
    for a in articles:
        day = datetime.fromisoformat(a["date"]).replace(tzinfo=UTC)
        body = "".join(f"<p>{html.escape(p)}</p>" for p in a["text"].splitlines() if p.strip())
        items.append(
            f"<item><title>{html.escape(a['title'])}</title><guid>{html.escape(a['id'])}</guid>"
            f"<link>http://127.0.0.1/a/{html.escape(a['id'])}</link>"
            f"<pubDate>{format_datetime(day)}</pubDate>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )
    return (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Bench</title>'
        + "".join(items)
        + "</channel></rss>"
    )


class Feed:
    """A feed on 127.0.0.1 whose entries can change while it is served."""

    def __init__(self, articles: list[dict[str, Any]]) -> None:
        self.articles = articles
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if self.path != "/feed.rss":
                    self.send_response(404)
                    self.end_headers()
                    return
                body = rss(feed.articles).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/feed.rss"


def dated(corpus: Path, count: int) -> list[dict[str, Any]]:
    out = []
    for line in corpus.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        day = record.get("date", "").replace("/", "-")
        if day and record.get("text", "").strip():
            out.append({**record, "date": day})
        if len(out) == count:
            break
    return out


def timed_ingest(home: Path, sources: list[Any]) -> tuple[float, int]:
    assistant = Assistant(Settings(home=home))
    started = time.perf_counter()
    report = assistant.ingest(sources)
    return time.perf_counter() - started, len(report.added)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--every-s", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench/results/feed_ingest.json"))
    args = parser.parse_args()
    articles = dated(args.corpus, args.articles + 1)
    extra, articles = articles[-1], articles[:-1]
    feed = Feed(articles)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "files"
        folder.mkdir()
        for a in articles:
            (folder / f"{a['id']}.txt").write_text(f"date {a['date']}\n{a['text']}\n", "utf-8")
        # Load the model once before either run, so neither pays for it.
        Assistant(Settings(home=root / "warm")).ingest([folder / f"{articles[0]['id']}.txt"])
        files_s, files_added = timed_ingest(root / "by-files", [folder])
        feed_s, feed_added = timed_ingest(root / "by-feed", [feed.url])
        # A watched source: one new entry, read by the watcher, then answerable.
        assistant = Assistant(Settings(home=root / "by-feed"))
        assistant.add_source(feed.url, args.every_s)
        assistant.read_source(feed.url)
        watcher = SourceWatcher(assistant, tick_s=0.5)
        watcher.start()
        feed.articles = [*articles, extra]
        added_at = time.perf_counter()
        while extra["title"] not in {a.title for a in assistant.articles(extra["title"]).articles}:
            time.sleep(0.1)
        seen_s = time.perf_counter() - added_at
        answer = assistant.ask(extra["title"])
        watcher.stop()
        cited = any(c.title == extra["title"] for c in answer.citations)
    result = {
        "articles": len(articles),
        "files_ingest_s": round(files_s, 1),
        "feed_ingest_s": round(feed_s, 1),
        "feed_over_files": round(feed_s / files_s, 2),
        "added": {"files": files_added, "feed": feed_added},
        "watch_every_s": args.every_s,
        "new_entry_listed_after_s": round(seen_s, 1),
        "new_entry_cited_when_asked_by_title": cited,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "command": "python bench/bench_feed_ingest.py "
        + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()),
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
