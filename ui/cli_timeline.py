"""`rag timeline TOPIC`, and the line of `rag ask` that says which dates it searched.

rag timeline "Kestrel Valley dam" [--since 2024-01-01] [--until ...] [--limit 20]
    [--newest-first] [--json]
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag import Answer, Assistant
    from rag.timeline import Timeline


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    timeline = commands.add_parser(
        "timeline",
        help="a topic's articles in date order, key sentences quoted",
        parents=parents,
    )
    timeline.add_argument("topic", help='what the timeline is about, e.g. "Kataib Hezbollah"')
    timeline.add_argument("--since", help="only articles published on or after YYYY-MM-DD")
    timeline.add_argument("--until", help="only articles published on or before YYYY-MM-DD")
    timeline.add_argument("--limit", type=int, help="most articles shown (1-50, default 20)")
    timeline.add_argument(
        "--newest-first", action="store_true", help="newest first (what's new), not oldest"
    )
    timeline.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace, assistant: Assistant) -> None:
    timeline = assistant.timeline(
        args.topic,
        since=args.since,
        until=args.until,
        limit=args.limit,
        newest_first=args.newest_first,
    )
    if args.json:
        print(json.dumps(timeline.to_dict(), ensure_ascii=False))
    else:
        print(format_timeline(timeline))


def format_timeline(timeline: Timeline) -> str:
    """One block per article: its date and title, the quoted sentences with their spans,
    the other copies of the story."""
    dates = timeline.date_range
    span = f", {dates[0]} to {dates[1]}" if dates else ""
    count = len(timeline.entries)
    lines = [f'Timeline of "{timeline.topic}": {count} article{"s" * (count != 1)}{span}']
    if timeline.window:
        lines.append(timeline.window.text)
    if not timeline.entries:
        lines.append(timeline.text)
    for e in timeline.entries:
        lines.append(f"\n{e.date or 'undated'}  {e.title or e.article_id} ({e.source})")
        lines.extend(f"  [{c.n}] {c.quote} [{c.start}:{c.end}]" for c in e.sentences)
        if e.also_in:
            copies = ", ".join(f"{r.title or r.source} {r.date or 'undated'}" for r in e.also_in)
            lines.append(f"  also in: {copies}")
    if timeline.left_out:
        lines.append(f"\n... and {timeline.left_out} more articles (raise --limit)")
    return "\n".join(lines)


def window_line(answer: Answer) -> list[str]:
    """'Searched articles from 2024-02-03 to 2024-02-10 ("last week").', and any notes."""
    lines = [f"{answer.window.text[0].upper()}{answer.window.text[1:]}."] if answer.window else []
    return lines + [f"Note: {note}" for note in answer.notes]
