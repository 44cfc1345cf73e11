"""`rag feedback export --out FILE` and `rag feedback stats`: the chat's and the API's
feedback as a question set for `rag eval`, and a summary of it.

    rag feedback export --out feedback.jsonl && rag eval feedback.jsonl --home .rag
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag import Assistant


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    feedback = commands.add_parser(
        "feedback", help="export or summarise the feedback given on answers", parents=parents
    )
    actions = feedback.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser(
        "export", help="write the feedback as a question set `rag eval` reads", parents=parents
    )
    export.add_argument("--out", type=Path, required=True, help="the JSONL file to write")
    stats = actions.add_parser("stats", help="count the feedback", parents=parents)
    stats.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace, assistant: Assistant) -> None:
    if args.action == "export":
        records = assistant.feedback_questions()
        _write(args.out, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        abstain = sum(1 for r in records if not r["answers"])
        print(
            f"wrote {len(records)} questions to {args.out} ({abstain} the archive cannot "
            f"answer); run `rag eval {args.out} --home {assistant.settings.home}`"
        )
        return
    stats = assistant.feedback_stats()
    if args.json:
        print(json.dumps(stats))
        return
    print(
        f"feedback: {stats['feedback']} on {stats['answers']} answers "
        f"({stats['up']} up, {stats['down']} down)\n"
        f"corrected: {stats['corrected']}, no answer in the archive: {stats['no_answer']}, "
        f"with a comment: {stats['with_comment']}\n"
        f"exportable questions: {stats['exportable']} ({stats['abstaining_gold']} to abstain on)"
    )


def _write(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all (a temporary file renamed into place)."""
    from rag import InputError

    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"--out: folder {folder} does not exist", field="out")
    fd, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(name, path)
