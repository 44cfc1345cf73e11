"""`rag sources add URL [--every 30m]`, `rag sources list`, `rag sources remove URL`: the
feeds and pages `rag serve` re-reads on a schedule (`rag.sources`)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag import Assistant, WatchedSource


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    sources = commands.add_parser(
        "sources", help="feeds and pages `rag serve` re-reads on a schedule", parents=parents
    )
    actions = sources.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="watch an RSS/Atom feed or a page", parents=parents)
    add.add_argument("url", help="http(s) URL of the feed or page")
    add.add_argument("--every", default="30m", help="how often to read it: 45s, 30m, 2h, 1d")
    listing = actions.add_parser("list", help="the watched sources", parents=parents)
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    remove = actions.add_parser("remove", help="stop watching a source", parents=parents)
    remove.add_argument("url")


def run(args: argparse.Namespace, assistant: Assistant) -> None:
    if args.action == "add":
        source = assistant.add_source(args.url, args.every)
        print(
            f"watching {source.url} every {_every(source.every_s)}: `rag serve` reads it "
            f"(`rag ingest {source.url}` reads it now)"
        )
    elif args.action == "remove":
        assistant.remove_source(args.url)
        print(f"stopped watching {args.url.strip()} (its articles stay: `rag remove` them)")
    elif args.json:
        print(json.dumps([s.to_dict() for s in assistant.sources()]))
    else:
        print("\n".join(line(s) for s in assistant.sources()) or "no watched sources")


def line(source: WatchedSource) -> str:
    """'URL every 30m, last read 2026-12-04T10:00:00+00:00: 3 added (note)'."""
    read = (
        f"last read {source.last_read}: {source.last_added} added or updated"
        if source.last_read
        else "not read yet"
    )
    note = f" ({source.last_note})" if source.last_note else ""
    return f"{source.url} every {_every(source.every_s)}, {read}{note}"


def _every(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
