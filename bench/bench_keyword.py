"""The two incremental keyword designs side by side: bm25s-style segments and SQLite FTS5.

    Q=../shared/benchmarks/realtimeqa-dev/questions.jsonl
    python bench/bench_keyword.py --home DIR --questions $Q --scales 1,10
    # writes bench/results/keyword_backends.json

DIR is an index of realtimeqa-dev (only read). Scale 1 is its chunks; scale s adds s-1
altered copies of each (capitalised words and years changed, so names and dates
differ between copies and the vocabulary grows as a real archive's does). Both designs
index the same analysed terms (`Analyzer`: stop words, Snowball stems, acronyms), so
what differs is the storage and the ranking. Per design and scale: build time from the
analysed terms, a keyword query's p50/p95 (the hybrid retriever's 30 candidates; once
without dates, once with the question's date as `until`), and one article (10 chunks)
added and removed; for the segments also a reader's reload after that write, and for
the same queries the segments' agreement with bm25s (the index of before, whose
rebuild after every ingest and query times are given too). hit@5 is
`rag eval` with each (`bench/keyword_fts5.py eval ...` for FTS5).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.keyword_fts5 import Fts5Keywords
from index.catalog import Catalog
from index.keyword import Analyzer
from index.keyword_view import KeywordView
from index.segments import Segment, build_segment, merge_segments, save_segment

CANDIDATES = 30  # RetrievalSettings.candidates: what the hybrid retriever asks for
SEGMENT_CHUNKS = 20_000  # the multi-segment case: segments of this size, unmerged
_CAPITALISED = re.compile(r"\b([A-Z][a-z]{2,})\b")
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
_SUFFIXES = ["", "ov", "ez", "ski", "son", "ani", "berg", "ard", "ini", "ova", "eau", "and"]


def altered(text: str, copy: int) -> str:
    """Copy `copy` of a text: other names (a suffix per copy) and other years."""
    if copy == 0:
        return text
    suffix = _SUFFIXES[copy % len(_SUFFIXES)] + ("x" * (copy // len(_SUFFIXES)))
    text = _CAPITALISED.sub(lambda m: m.group(1) + suffix, text)
    return _YEAR.sub(lambda m: str(1950 + (int(m.group(1)) - 1950 + copy) % 99), text)


def corpus(home: Path, scale: int) -> list[tuple[str, str, int]]:
    catalog = Catalog(home / "catalog.sqlite")
    base = [(c.id, text, date) for c, text, date in catalog.all_chunks()]
    catalog.close()
    return [
        (f"{cid}~{copy}" if copy else cid, altered(text, copy), date)
        for copy in range(scale)
        for cid, text, date in base
    ]


def percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
    }


def timed(run: Any, queries: list[tuple[list[str], int]], dated: bool) -> dict[str, float]:
    times = []
    for terms, until in queries:
        t0 = time.perf_counter()
        run(terms, CANDIDATES, None, until if dated else None)
        times.append((time.perf_counter() - t0) * 1000)
    return percentiles(times)


def segments_of(rows: list[tuple[str, str, int]], terms: list[list[str]]) -> list[Segment]:
    return [
        build_segment(
            f"s{i}",
            [r[0] for r in rows[i : i + SEGMENT_CHUNKS]],
            terms[i : i + SEGMENT_CHUNKS],
            [r[2] for r in rows[i : i + SEGMENT_CHUNKS]],
        )
        for i in range(0, len(rows), SEGMENT_CHUNKS)
    ]


def bench_segments(
    rows: list[tuple[str, str, int]],
    terms: list[list[str]],
    queries: list[tuple[list[str], int]],
    article: tuple[list[tuple[str, str, int]], list[list[str]]],
    scratch: Path,
) -> dict[str, Any]:
    t0 = time.perf_counter()
    parts = segments_of(rows, terms)
    one = merge_segments("all", parts, [np.ones(len(p), bool) for p in parts])
    save_segment(one, scratch)
    build_s = time.perf_counter() - t0
    live = {r[0] for r in rows}
    figures: dict[str, Any] = {"build_s": round(build_s, 2), "segments": {}}
    for label, segments in (("1", [one]), (f"{len(parts)} of {SEGMENT_CHUNKS}", parts)):
        view = KeywordView.of(segments, live)
        figures["segments"][label] = {
            "query": timed(view.search, queries, dated=False),
            "query_dated": timed(view.search, queries, dated=True),
        }
    new_rows, new_terms = article
    t0 = time.perf_counter()
    added = build_segment("new", [r[0] for r in new_rows], new_terms, [r[2] for r in new_rows])
    save_segment(added, scratch)
    figures["add_article_ms"] = round((time.perf_counter() - t0) * 1000, 2)
    t0 = time.perf_counter()
    KeywordView.of([one, added], live | {r[0] for r in new_rows})
    figures["reader_reload_after_write_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    figures["remove_article_ms"] = 0.0  # the catalog's delete is the whole removal
    return figures


def bench_fts5(
    rows: list[tuple[str, str, int]],
    terms: list[list[str]],
    queries: list[tuple[list[str], int]],
    article: tuple[list[tuple[str, str, int]], list[list[str]]],
    scratch: Path,
) -> dict[str, Any]:
    table = Fts5Keywords(scratch / "fts5.sqlite")
    t0 = time.perf_counter()
    for i in range(0, len(rows), SEGMENT_CHUNKS):
        table.add(rows[i : i + SEGMENT_CHUNKS], terms[i : i + SEGMENT_CHUNKS])
    table.db.execute("INSERT INTO kw(kw) VALUES ('optimize')")
    figures: dict[str, Any] = {"build_s": round(time.perf_counter() - t0, 2)}
    figures["query"] = timed(table.search_terms, queries, dated=False)
    figures["query_dated"] = timed(table.search_terms, queries, dated=True)
    new_rows, new_terms = article
    t0 = time.perf_counter()
    table.add(new_rows, new_terms)
    figures["add_article_ms"] = round((time.perf_counter() - t0) * 1000, 2)
    t0 = time.perf_counter()
    table.remove(r[0] for r in new_rows)
    figures["remove_article_ms"] = round((time.perf_counter() - t0) * 1000, 2)
    table.db.close()
    return figures


def bench_bm25s(
    rows: list[tuple[str, str, int]], queries: list[tuple[list[str], int]]
) -> dict[str, Any]:
    """The one-file index of before (bm25s, rebuilt from every chunk after each ingest)."""
    import bm25s

    t0 = time.perf_counter()
    tokenized = Analyzer()._tokenize([r[1] for r in rows], return_ids=True)
    retriever = bm25s.BM25()
    retriever.index(tokenized, show_progress=False)
    rebuild_s = time.perf_counter() - t0
    dates = np.asarray([r[2] for r in rows], dtype=np.int64)

    def search(terms: list[str], k: int, since: int | None, until: int | None) -> None:
        mask = np.ones(len(rows), dtype=bool)
        if until is not None:
            mask &= (dates > 0) & (dates <= until)
        known = [t for t in terms if t in retriever.vocab_dict]
        if known and mask.any():
            retriever.retrieve(
                [known],
                k=min(k, int(mask.sum())),
                show_progress=False,
                weight_mask=mask.astype(np.float32),
            )

    return {
        "rebuild_with_analysis_s": round(rebuild_s, 2),
        "query": timed(search, queries, dated=False),
        "query_dated": timed(search, queries, dated=True),
    }


def agreement(
    rows: list[tuple[str, str, int]], terms: list[list[str]], queries: list[tuple[list[str], int]]
) -> dict[str, float]:
    """Top-10 overlap of the segments and of FTS5 with bm25s (the one-file index)."""
    import bm25s

    analyzer = Analyzer()
    tokenized = analyzer._tokenize([r[1] for r in rows], return_ids=True)
    reference = bm25s.BM25()
    reference.index(tokenized, show_progress=False)
    view = KeywordView.of(segments_of(rows, terms), {r[0] for r in rows})
    with tempfile.TemporaryDirectory() as scratch:
        table = Fts5Keywords(Path(scratch) / "fts5.sqlite")
        table.add(rows, terms)
        same_seg, same_fts, n = 0, 0, 0
        for query_terms, _ in queries:
            known = [t for t in query_terms if t in reference.vocab_dict]
            if not known:
                continue
            docs, scores = reference.retrieve([known], k=min(10, len(rows)), show_progress=False)
            want = {rows[int(d)][0] for d, s in zip(docs[0], scores[0], strict=True) if s > 0}
            seg = {cid for cid, _ in view.search(query_terms, 10, None, None)}
            fts = {cid for cid, _ in table.search_terms(query_terms, 10, None, None)}
            same_seg += len(want & seg)
            same_fts += len(want & fts)
            n += len(want)
        table.db.close()
    return {
        "segments_top10_overlap_with_bm25s": round(same_seg / max(n, 1), 4),
        "fts5_top10_overlap_with_bm25s": round(same_fts / max(n, 1), 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="an index of realtimeqa-dev")
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--scales", default="1,10", help="comma-separated copies of the corpus")
    parser.add_argument("--limit", type=int, default=0, help="first N chunks only (a try-out)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/keyword_backends.json"))
    args = parser.parse_args()
    analyzer = Analyzer()
    records = [json.loads(line) for line in args.questions.read_text().splitlines() if line]
    questions = analyzer.terms_many([r["question"] for r in records])
    dates = [int(r.get("date", "").replace("-", "") or 0) for r in records]
    queries = list(zip(questions, dates, strict=True))
    result: dict[str, Any] = {"questions": len(queries), "candidates": CANDIDATES, "scales": {}}
    for scale in [int(s) for s in args.scales.split(",")]:
        rows = corpus(args.home, scale)
        if args.limit:
            rows = rows[: args.limit]
        t0 = time.perf_counter()
        terms = analyzer.terms_many([r[1] for r in rows])
        analyse_s = time.perf_counter() - t0
        one = [r for r in corpus(args.home, 1) if r[0].startswith(rows[0][0].split(":")[0])]
        new_rows = [(f"{cid}~new", altered(text, 999), d) for cid, text, d in one[:10]]
        article = (new_rows, analyzer.terms_many([r[1] for r in new_rows]))
        with tempfile.TemporaryDirectory() as scratch:
            figures = {
                "chunks": len(rows),
                "analyse_s": round(analyse_s, 1),
                "segments": bench_segments(rows, terms, queries, article, Path(scratch)),
                "fts5": bench_fts5(rows, terms, queries, article, Path(scratch)),
                "bm25s_one_file_before": bench_bm25s(rows, queries),
            }
        if scale == 1:
            figures["agreement"] = agreement(rows, terms, queries)
        result["scales"][str(len(rows))] = figures
        print(json.dumps({str(len(rows)): figures}, indent=1))
    result["python"] = sys.version.split()[0]
    result["machine"] = platform.machine()
    result["command"] = "python " + " ".join(sys.argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
