"""One large article against the same text as 100 articles: ingest time and peak memory.

    python bench/bench_large_article.py --corpus NEWS.jsonl --mb 5   # e.g. realtimeqa-dev's

The text is real news: the corpus's article texts joined in file order until `--mb`
megabytes. It is written once as a single `.txt` article and once as 100 articles (the
same text cut at paragraph ends), and each is ingested by `rag ingest` in a fresh
process into a fresh index with the default settings (the article size cap raised to
fit). Wall time and the process's peak RSS (`wait4`) are recorded.
Writes bench/results/large_article_<mb>mb.json. Run it on an idle machine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RAG = str(Path(sys.executable).parent / "rag")
PIECES = 100


def news_text(corpus: Path, size: int) -> str:
    """Article texts of `corpus` (JSONL with a "text" field), joined up to `size` bytes."""
    parts: list[str] = []
    total = 0
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            text = json.loads(line)["text"].strip()
            parts.append(text)
            total += len(text.encode("utf-8")) + 2
            if total >= size:
                break
    if total < size:
        raise SystemExit(f"{corpus} holds only {total:,} bytes of text; ask for less")
    return "\n\n".join(parts).encode("utf-8")[:size].decode("utf-8", "ignore")


def split(text: str, pieces: int) -> list[str]:
    """`text` cut into `pieces` parts of about equal size, each at a paragraph end."""
    cuts = [0]
    for k in range(1, pieces):
        at = text.find("\n\n", k * len(text) // pieces)
        cuts.append(at if at > cuts[-1] else cuts[-1])
    cuts.append(len(text))
    return [text[a:b].strip() for a, b in itertools.pairwise(cuts) if text[a:b].strip()]


def ingest(folder: Path, home: Path, cap: int) -> dict[str, Any]:
    env = {
        **os.environ,
        "RAG_HOME": str(home),
        "RAG_INGEST__MAX_ARTICLE_BYTES": str(cap),
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    started = time.perf_counter()
    child = subprocess.Popen(
        [RAG, "ingest", str(folder)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    out = (child.stdout.read() if child.stdout else b"").decode(errors="replace")
    err = (child.stderr.read() if child.stderr else b"").decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"rag ingest failed ({code}): {err[-2000:]}")
    return {
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: kilobytes
        "report": out.strip().splitlines()[-3:],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--mb", type=float, default=5.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    size = int(args.mb * 1_000_000)
    text = news_text(args.corpus, size)
    cap = max(size + 1_000_000, 5_000_000)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="newsrag-large-") as work:
        root = Path(work)
        one, many = root / "one", root / "many"
        one.mkdir()
        many.mkdir()
        (one / "large.txt").write_text(f"date 2024-01-01\n{text}\n", encoding="utf-8")
        for number, part in enumerate(split(text, PIECES)):
            (many / f"part-{number:03d}.txt").write_text(
                f"date 2024-01-01\n{part}\n", encoding="utf-8"
            )
        results["one_article"] = ingest(one, root / "home-one", cap)
        results["hundred_articles"] = ingest(many, root / "home-many", cap)
    ratio = results["one_article"]["seconds"] / results["hundred_articles"]["seconds"]
    record = {
        "command": "python bench/bench_large_article.py " + " ".join(argv or sys.argv[1:]),
        "bytes": len(text.encode("utf-8")),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        **results,
        "time_ratio_one_to_hundred": round(ratio, 2),
        "targets": {"time_ratio": 1.5, "peak_rss_mb": 1536},
    }
    out = args.out or ROOT / "bench" / "results" / f"large_article_{args.mb:g}mb.json"
    out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
