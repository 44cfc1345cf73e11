"""Writers killed at 20 points, each rerun compared with a clean build: bench/results/faults.json.

    .venv/bin/python bench/bench_faults.py            # 10 named steps + 10 random (seed 13)

Runs the points of `tests/index/test_faults.py` (same machinery, `tests/index/faults.py`):
ingest, update, `--rebuild`, `--prune` delete and upload over a six-article corpus with
the hashing embedder, each SIGKILLed in a child process at a named step or at a write
step drawn from a seeded RNG; then the rerun a user would make, and a comparison with a
clean build in a fresh home (articles and hashes, chunk ids and spans, vectors, the BM25
ids and hits, the citations of three answers). Exits 1 if any rerun differs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from tests.index import clean_build, faults  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--random", type=int, default=10, help="random points (default 10)")
    parser.add_argument("--seed", type=int, default=faults.SEED, help="seed of the random points")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/faults.json")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        world = clean_build.make_world(root / "world")
        clean = clean_build.clean_snapshots(world, root)
        steps = faults.count_steps(world, root)
        points = [*faults.INJECTED, *faults.random_points(steps, args.random, args.seed)]
        rows: list[dict[str, Any]] = []
        for number, point in enumerate(points):
            outcome = faults.run_point(point, world, clean, root / f"point-{number}")
            rows.append(
                {
                    "point": point.name,
                    "kind": "random" if point.fault.step == "any" else "named step",
                    "operation": point.operation,
                    "fault": f"{point.fault.when} {point.fault.step} #{point.fault.occurrence}",
                    "interrupted": outcome.interrupted,
                    "intents_left": outcome.pending,
                    "recovered": outcome.recovered,
                    "recovery_as_expected": outcome.recovery_ok,
                    "status_before_rerun": list(outcome.problems_before),
                    "equal_to_clean_build": outcome.equal,
                    "differences": outcome.differences,
                }
            )
            print(f"{'ok  ' if outcome.equal else 'DIFF'} {point.name}", flush=True)
    equal = sum(row["equal_to_clean_build"] for row in rows)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python bench/bench_faults.py",
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "corpus": f"{len(clean_build.ARTICLES)} articles (+1 updated, +1 deleted, +1 uploaded)",
        "write_steps_per_operation": steps,
        "seed": args.seed,
        "points_tried": len(rows),
        "named_steps": sum(row["kind"] == "named step" for row in rows),
        "random_steps": sum(row["kind"] == "random" for row in rows),
        "interrupted": sum(row["interrupted"] for row in rows),
        "reruns_equal_to_clean_build": equal,
        "recoveries_as_expected": sum(row["recovery_as_expected"] for row in rows),
        "wall_s": round(time.perf_counter() - started, 1),
        "points": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{equal} of {len(rows)} reruns equal to a clean build -> {args.out}")
    return 0 if equal == len(rows) and result["interrupted"] == len(rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
