"""The article list at scale: `Assistant.articles` pages over a catalog of N articles.

    python bench/bench_articles.py --articles 100000   # writes bench/results/articles_list.json

The catalog is filled directly (synthetic ~2 kB articles, 3 chunk spans each, dates over
four years, one in ten untitled, 1 % with a duplicate copy), without embeddings: the
list reads only the catalog, so the vectors are beside the point. Each query is run
`--repeat` times on a warm catalog; the figures are p50 and max in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from index.articles import Article
from index.catalog import Catalog, ChunkReading
from rag import Assistant, Settings
from tests.fakes import HashingEmbedder

WORDS = [
    "harbour",
    "council",
    "bridge",
    "storm",
    "hospital",
    "festival",
    "election",
    "minister",
    "ferry",
    "school",
    "strike",
    "river",
    "budget",
    "court",
    "police",
    "museum",
    "railway",
    "airport",
    "farmers",
    "union",
    "drought",
    "vaccine",
]
NO_READING = ChunkReading((), (), np.zeros((0, 0), dtype=np.float32))
QUERIES: dict[str, dict[str, Any]] = {
    "first page, newest first": {},
    "page at offset 50,000": {"offset": 50_000},
    "sorted by title": {"sort": "title"},
    "one month": {"since": "2023-03-01", "until": "2023-03-31"},
    "common word (q=harbour)": {"query": "harbour"},
    "rare word (q=zeppelin)": {"query": "zeppelin"},
    "two words and a year": {"query": "storm ferry", "since": "2022-01-01", "until": "2022-12-31"},
    "word prefix (q=hosp)": {"query": "hosp"},
}


def fill(home: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    catalog = Catalog(home / "catalog.sqlite")
    start = date(2021, 1, 1)
    with catalog.transaction():
        for i in range(count):
            body = " ".join(rng.choice(WORDS) for _ in range(300))
            if i % 5000 == 0:
                body += " zeppelin"
            day = (start + timedelta(days=rng.randrange(4 * 365))).isoformat()
            title = "" if i % 10 == 0 else f"{rng.choice(WORDS).title()} report {i}"
            article = Article(f"a{i}", title, day, f"Report {i}. {body}", f"news/{i}.txt")
            third = len(article.text) // 3
            spans = [(0, third), (third, 2 * third), (2 * third, len(article.text))]
            catalog.put_article(article, spans, [NO_READING] * len(spans))
        catalog.record_copies((f"a{i}", f"mirror/{i}.txt") for i in range(0, count, 100))
        catalog.bump_generation()
    catalog.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("bench/results/articles_list.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch)
        started = time.perf_counter()
        fill(home, args.articles)
        filled_s = time.perf_counter() - started
        assistant = Assistant(Settings(home=home), embedder=HashingEmbedder())
        figures: dict[str, Any] = {}
        for name, kwargs in QUERIES.items():
            times, total = [], 0
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                page = assistant.articles(**kwargs)
                times.append((time.perf_counter() - t0) * 1000)
                total = page.total
            figures[name] = {
                "p50_ms": round(statistics.median(times), 2),
                "max_ms": round(max(times), 2),
                "matches": total,
            }
            print(f"{name:32} p50 {figures[name]['p50_ms']:8.2f} ms  matches {total}")
        assistant.index.close()
    result = {
        "articles": args.articles,
        "fill_s": round(filled_s, 1),
        "repeat": args.repeat,
        "queries": figures,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
