"""An index that grows: warm ask, one-article ingest and memory at 10k, 100k, 1M chunks.

    Q=../shared/benchmarks/realtimeqa-dev/questions.jsonl
    python bench/bench_growth.py --source DIR --questions $Q --sizes 10000,100000 \
        [--scratch /var/tmp/growth]   # writes bench/results/growth.json

DIR is an ingested realtimeqa-dev index (only read). Each size is a synthetic archive
built from its articles: copy k of an article has other names (each capitalised word's
letters shifted by k) and other years and dates, changed letter for letter, so the
source's chunk spans, sentences and entities still fit and are copied with it. The
chunk vectors are random unit vectors (only speed is measured); the keyword segments
are written as ingest writes them (one per batch, named in the batch's catalog
transaction, then merged). Per size, in a fresh process: warm `Assistant.ask` p50/p95
(plain, and with the question's date as `until`), the ingest of one new article file
through `Assistant.ingest` (the real model, NER and writes; the first also loads the
models, the others are warm), the first ask after it (readers reload the keyword
segments), and resident memory. The build time per size is there to predict the next.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bench.bench_core import timed_asks
from bench.memory import rss_mb
from index.articles import Article
from index.catalog import Catalog, ChunkReading, chunk_id
from rag import Assistant, Settings

BATCH_CHUNKS = 5000  # chunks per write: a Chroma batch (its limit is ~5461) and a segment
_NAME = re.compile(r"\b[A-Z][a-z]{3,}\b")
_YEAR = re.compile(r"\b(19|20)(\d\d)\b")


def _shift(word: str, copy: int) -> str:
    tail = "".join(
        chr(ord("a") + (ord(c) - ord("a") + copy * (i + 1)) % 26) if "a" <= c <= "z" else c
        for i, c in enumerate(word[1:])
    )
    return word[0] + tail


def altered(article: Article, copy: int) -> Article:
    """Copy `copy` of an article, every change of the same length (spans still fit)."""
    if copy == 0:
        return article

    def text(s: str) -> str:
        s = _NAME.sub(lambda m: _shift(m.group(0), copy), s)
        return _YEAR.sub(lambda m: m.group(1) + f"{(int(m.group(2)) + copy) % 100:02d}", s)

    day = article.date
    if day:
        day = (date.fromisoformat(day) + timedelta(days=copy % 3000)).isoformat()
    return Article(
        f"{article.id}~{copy}",
        text(article.title),
        day,
        text(article.text),
        f"synthetic/{article.id}~{copy}.txt",
        article.url,
    )


class Source:
    """The source index's articles, chunk spans and readings."""

    def __init__(self, home: Path) -> None:
        catalog = Catalog(home / "catalog.sqlite")
        self.built_with = catalog.get_meta("built_with")
        chunks = [c for c, _, _ in catalog.all_chunks()]
        self.articles = sorted(catalog.articles(catalog.versions()).values(), key=lambda a: a.id)
        self.spans: dict[str, list[tuple[int, int]]] = {}
        self.readings: dict[str, list[ChunkReading]] = {}
        found = catalog.readings([c.id for c in chunks])
        for c in sorted(chunks, key=lambda c: (c.article_id, c.position)):
            self.spans.setdefault(c.article_id, []).append((c.start, c.end))
            self.readings.setdefault(c.article_id, []).append(found[c.id])
        catalog.close()


def build(source: Source, home: Path, chunks: int, dimensions: int) -> dict[str, Any]:
    """A synthetic index of at least `chunks` chunks (whole articles) under `home`."""
    assistant = Assistant(Settings(home=home))
    index = assistant.index
    index.catalog.set_meta("built_with", source.built_with)
    index.keyword.upgrade()
    rng = np.random.default_rng(0)
    timings = {"catalog_s": 0.0, "keyword_s": 0.0, "vectors_s": 0.0}
    batch: list[Article] = []
    total, copy, started = 0, 0, time.perf_counter()

    def flush() -> None:
        ids, texts, dates = [], [], []
        metas: list[dict[str, str | int]] = []
        for article in batch:
            for position, (start, end) in enumerate(source.spans[article.id.split("~")[0]]):
                ids.append(chunk_id(article.id, article.content_hash, position))
                texts.append(article.text[start:end])
                dates.append(article.date_key)
                metas.append(
                    {
                        "article_id": article.id,
                        "content_hash": article.content_hash,
                        "date_key": article.date_key,
                        "start": start,
                        "end": end,
                    }
                )
        t0 = time.perf_counter()
        vectors = rng.standard_normal((len(ids), dimensions)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        index.vectors.upsert(ids, vectors, metas, texts)
        t1 = time.perf_counter()
        segment = index.keyword.write_segment(zip(ids, texts, dates, strict=True))
        t2 = time.perf_counter()
        with index.catalog.transaction():
            for article in batch:
                original = article.id.split("~")[0]
                index.catalog.put_article(
                    article, source.spans[original], source.readings[original]
                )
            index.keyword.commit([segment.entry])
            index.catalog.bump_generation()
        t3 = time.perf_counter()
        index.keyword.maintain()
        timings["vectors_s"] += t1 - t0
        timings["keyword_s"] += (t2 - t1) + (time.perf_counter() - t3)
        timings["catalog_s"] += t3 - t2
        batch.clear()

    while total < chunks:
        for article in source.articles:
            batch.append(altered(article, copy))
            total += len(source.spans[article.id])
            if sum(len(source.spans[a.id.split("~")[0]]) for a in batch) >= BATCH_CHUNKS:
                flush()
            if total >= chunks:
                break
        copy += 1
    if batch:
        flush()
    index.vectors.close()
    index.close()
    return {
        "chunks": total,
        "build_s": round(time.perf_counter() - started, 1),
        **{k: round(v, 1) for k, v in timings.items()},
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(home: Path, source_home: Path, questions: Path, asks: int) -> dict[str, Any]:
    """Warm asks, one-article ingests and memory on a built home (run in its own process)."""
    records = [json.loads(line) for line in questions.read_text().splitlines() if line][:asks]
    assistant = Assistant(Settings(home=home))
    for record in records[:3]:  # warm: models loaded, segments and Chroma opened
        assistant.ask(record["question"], until=record.get("date") or None)
    plain, dated = timed_asks(assistant, records)
    memory = rss_mb()
    source = Catalog(source_home / "catalog.sqlite")
    everything = sorted(source.articles(source.versions()).values(), key=lambda a: a.id)
    # Other originals and other copies on each run, so a home can be measured again
    # (`--measure HOME`).
    stored = len(assistant.index.catalog.versions())
    originals = [everything[(stored + n) % len(everything)] for n in range(4)]

    source.close()
    ingests, first_asks = [], []
    folder = home.parent / f"{home.name}-new"
    folder.mkdir(exist_ok=True)
    for n, original in enumerate(originals):
        article = altered(original, 100_000 + stored + n)
        path = folder / f"new-{stored + n}.txt"
        path.write_text(f"date {article.date or '2024-01-01'}\n{article.text}", encoding="utf-8")
        t0 = time.perf_counter()
        report = assistant.ingest([path])
        ingests.append(time.perf_counter() - t0)
        assert report.added, report
        t0 = time.perf_counter()
        assistant.ask(records[n]["question"] + " again")
        first_asks.append((time.perf_counter() - t0) * 1000)
    status = assistant.status()
    segments = assistant.index.catalog.get_meta("keyword_segments")
    return {
        "articles": status.articles,
        "chunks": status.chunks,
        "asks": len(plain),
        "warm_ask_p50_ms": round(statistics.median(plain), 1),
        "warm_ask_p95_ms": round(percentile(plain, 0.95), 1),
        "warm_dated_ask_p50_ms": round(statistics.median(dated), 1) if dated else None,
        "warm_dated_ask_p95_ms": round(percentile(dated, 0.95), 1) if dated else None,
        **memory,
        "one_article_ingest_first_s": round(ingests[0], 2),  # loads the NER and the encoder
        "one_article_ingest_warm_s": [round(s, 2) for s in ingests[1:]],
        "first_ask_after_ingest_ms": [round(ms, 1) for ms in first_asks],
        "keyword_segments": len(segments) if isinstance(segments, list) else 0,
        "peak_rss_after_ingests_mb": rss_mb()["peak_rss_mb"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="an index of realtimeqa-dev")
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated chunk counts")
    parser.add_argument("--asks", type=int, default=100)
    parser.add_argument("--scratch", type=Path, default=Path("/var/tmp/newsrag-growth"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/growth.json"))
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child's home
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.source, args.questions, args.asks)))
        return 0
    source = Source(args.source)
    dimensions = Assistant(Settings(home=args.source)).index.embedder.embed_query("x").shape[0]
    result: dict[str, Any] = {"sizes": {}}
    for size in [int(s) for s in args.sizes.split(",")]:
        home = args.scratch / f"chunks-{size}"
        if home.exists():
            raise SystemExit(f"{home} exists: remove it or pass another --scratch")
        built = build(source, home, size, dimensions)
        print(f"{size}: built {built}", flush=True)
        child = subprocess.run(
            [sys.executable, *sys.argv, "--measure", str(home)],
            check=True,
            capture_output=True,
            text=True,
        )
        measured = json.loads(child.stdout.strip().splitlines()[-1])
        result["sizes"][str(size)] = {"build": built, **measured}
        print(f"{size}: {measured}", flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        result["machine"] = f"{platform.machine()}, {os.cpu_count()} cores"
        result["command"] = "python " + " ".join(sys.argv)
        args.out.write_text(json.dumps(result, indent=2) + "\n")  # after each size
    return 0


if __name__ == "__main__":
    sys.exit(main())
