"""Near-duplicates on a real index: how many clusters and boilerplate pages, what finding
them costs at ingest, and the eval scores with and without collapse.

    python bench/bench_dedup.py --home DIR   # writes bench/results/dedup.json
        [--on eval/results/dedup/realtimeqa-dev-on/results.json]
        [--off eval/results/dedup/realtimeqa-dev-off/results.json]

Only the catalog is read: it is copied (SQLite's backup) into a temporary folder, so
the index at DIR is never written. On the copy the sketches are dropped and computed
again for every article (what the first ingest after an upgrade does, and the share
of a full ingest that near-duplicates add), `--repeat` times; then one article's sketch
is dropped and computed again against the stored ones (what an ingest of one new
article adds). The eval scores are read from the two reports `rag eval` wrote with
`RAG_RETRIEVAL__COLLAPSE_DUPLICATES` and `RAG_RETRIEVAL__EXCLUDE_BOILERPLATE` on and off.
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from index.catalog import Catalog
from index.dedup import load_clusters, refresh_dedup, sketch
from index.settings import DedupSettings

ROOT = Path(__file__).resolve().parent.parent
SCORES = ("hit@1", "hit@5", "hit@10", "mrr@10", "containment", "short_containment")


def copy_catalog(home: Path, into: Path) -> Catalog:
    source = sqlite3.connect(f"file:{home / 'catalog.sqlite'}?mode=ro", uri=True)
    target = sqlite3.connect(str(into / "catalog.sqlite"))
    source.backup(target)
    source.close()
    target.close()
    return Catalog(into / "catalog.sqlite")


def from_scratch(catalog: Catalog, settings: DedupSettings) -> float:
    with catalog.transaction():
        catalog.clear_sketches()
        catalog.set_meta("dedup_params", None)
    started = time.perf_counter()
    refresh_dedup(catalog, settings, (), ())
    return time.perf_counter() - started


def one_new_article(catalog: Catalog, settings: DedupSettings, article_id: str) -> float:
    with catalog.transaction():
        catalog.forget_sketch(article_id)
    started = time.perf_counter()
    refresh_dedup(catalog, settings, (), ())
    return time.perf_counter() - started


def scores(path: Path | None) -> dict[str, Any] | None:
    """The newsrag pipeline's scores (value and 95 % interval) of a `rag eval` results.json."""
    if path is None or not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    overall = data["pipelines"]["newsrag"]["aggregate"]["overall"]
    return {name: overall[name] for name in SCORES if name in overall}


def changed(on: Path, off: Path) -> dict[str, int] | None:
    """Questions whose hit@5 / containment differ between the two runs."""
    if not (on.exists() and off.exists()):
        return None
    runs = [json.loads(p.read_text(encoding="utf-8"))["pipelines"]["newsrag"] for p in (on, off)]
    by_id = [{q["scores"]["id"]: q["scores"] for q in run["questions"]} for run in runs]
    counts: dict[str, int] = {}
    for metric in ("hit@5", "containment"):
        gained = sum(1 for i, s in by_id[0].items() if s[metric] > by_id[1][i][metric])
        lost = sum(1 for i, s in by_id[0].items() if s[metric] < by_id[1][i][metric])
        counts[f"{metric} gained"], counts[f"{metric} lost"] = gained, lost
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="an index folder (read only)")
    parser.add_argument("--repeat", type=int, default=3)
    results = ROOT / "eval/results/dedup"
    parser.add_argument("--on", type=Path, default=results / "realtimeqa-dev-on/results.json")
    parser.add_argument("--off", type=Path, default=results / "realtimeqa-dev-off/results.json")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/dedup.json")
    args = parser.parse_args(argv)
    settings = DedupSettings()
    sketch("warm up", settings)  # datasketch's import and its permutations, not timed
    with tempfile.TemporaryDirectory() as tmp:
        catalog = copy_catalog(args.home, Path(tmp))
        articles, chunks = catalog.counts()
        full = [from_scratch(catalog, settings) for _ in range(args.repeat)]
        some_id = sorted(catalog.versions())[len(catalog.versions()) // 2]
        one = [one_new_article(catalog, settings, some_id) for _ in range(args.repeat)]
        clusters = load_clusters(catalog, settings)
        sizes = [len(g) for g in clusters.groups]
        result = {
            "machine": f"{platform.machine()}, {platform.python_version()}",
            "index": args.home.name,
            "articles": articles,
            "chunks": chunks,
            "settings": settings.model_dump(),
            "clusters": len(clusters.groups),
            "clustered_articles": len(clusters.cluster_of),
            "cluster_sizes": sorted(sizes, reverse=True),
            "near_pairs": len(catalog.near_pairs()),
            "boilerplate": [
                f"{clusters.members[i].title} ({i})" for i in sorted(clusters.boilerplate)
            ],
            "exact_copy_titles": sum(len(t) for t in catalog.copy_titles().values()),
            "sketch_all_s": {"median": statistics.median(full), "all": full},
            "sketch_all_ms_per_article": statistics.median(full) / max(articles, 1) * 1000,
            "one_new_article_s": {"median": statistics.median(one), "all": one},
            "eval_collapse_on": scores(args.on),
            "eval_collapse_off": scores(args.off),
            "eval_questions_changed_by_collapse": changed(args.on, args.off),
        }
        catalog.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
