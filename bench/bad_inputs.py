"""The bad-input figure, written to bench/results/bad_inputs.json.

    .venv/bin/python bench/bad_inputs.py

Runs every case of `tests/ui/bad_inputs.py` (the list `tests/ui/test_bad_inputs.py`
tests: HTTP bodies, uploaded and ingested files, `rag` arguments, question files)
against a fresh index of seeds/ built with the fake embedder, and tallies: inputs,
clear errors, tracebacks and changes to the index. Known gaps (cases that fail today,
with why) are listed with the failures. Exits 1 on a traceback or an index change,
or on a failure that is not a known gap.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
for name in list(os.environ):  # the developer's RAG_* settings are not the bench's
    if name.startswith("RAG_"):
        del os.environ[name]
os.environ.update(
    HF_HUB_OFFLINE="1",
    ANONYMIZED_TELEMETRY="False",
    GRADIO_ANALYTICS_ENABLED="False",
    RAG_SETTINGS_FILE=str(ROOT / "bench" / "no-such-rag.toml"),
)

from tests.ui.bad_inputs import CASES, KNOWN_GAPS, check, make_env, tally  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/bad_inputs.json")
    args = parser.parse_args()
    env = make_env(Path(tempfile.mkdtemp(prefix="bench-bad-inputs-")))
    verdicts = [check(case, env) for case in CASES]
    figure = tally(verdicts)
    for failure in figure["failures"]:
        failure["known_gap"] = KNOWN_GAPS.get(failure["case"])
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _describe(),
        "command": ".venv/bin/python bench/bad_inputs.py",
        "checks": "HTTP: the expected 4xx in the error shape, naming the field; files: "
        "reported skipped with the reason, nothing added; CLI: one `rag: error:` line, "
        "exit 2; all: no traceback (output or log), the index fingerprint unchanged",
        **figure,
        "cases": [v.case for v in verdicts],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "cases"}, indent=2))
    unexpected = [f for f in figure["failures"] if f["known_gap"] is None]
    return 1 if unexpected or figure["tracebacks"] or figure["index_changes"] else 0


def _describe() -> str:
    run = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=ROOT
    )
    return run.stdout.strip() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
