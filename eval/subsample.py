"""Cut a smaller benchmark out of a large one when there is no time to index it all.

The first `n` questions, up to `sources` articles per question that contain one of its
gold answers and are not dated after it (its possible sources), and random distractors
(seeded) up to `size` articles. Fewer distractors make retrieval easier for every
pipeline alike, so compare pipelines on it, not with full-corpus numbers.

    python -m eval.subsample BENCH_DIR OUT_DIR --questions 60 --size 300
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

from eval.metrics import contains_any


def subsample(
    questions: list[dict[str, Any]],
    articles: list[dict[str, Any]],
    *,
    n: int,
    size: int,
    sources: int = 2,
    seed: int = 0,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the first `n` questions, a corpus of about `size` articles for them)."""
    chosen_questions = questions[:n]
    keep: dict[str, dict[str, Any]] = {}
    for question in chosen_questions:
        found = 0
        asked = question.get("date") or "9999"
        for article in articles:
            if found >= sources:
                break
            date = str(article.get("date") or "").replace("/", "-")
            if date <= asked and contains_any(article["text"], question["answers"]):
                keep.setdefault(article["id"], article)
                found += 1
    rest = [a for a in articles if a["id"] not in keep]
    random.Random(seed).shuffle(rest)
    corpus = list(keep.values()) + rest[: max(0, size - len(keep))]
    return chosen_questions, corpus


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _write(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    qs, corpus = subsample(
        _read(args.bench / "questions.jsonl"),
        _read(args.bench / "corpus.jsonl"),
        n=args.questions,
        size=args.size,
        seed=args.seed,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    _write(args.out / "questions.jsonl", qs)
    _write(args.out / "corpus.jsonl", corpus)
    print(f"{len(qs)} questions, {len(corpus)} articles in {args.out}")
