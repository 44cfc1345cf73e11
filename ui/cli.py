"""The `rag` command line. Heavy modules are imported inside the commands, so
`rag --help` answers at once. Exit codes: 0 success, 2 bad input or usage, 1 failure
(a failing store too). Every error is one line `rag: error: ...` on stderr;
`RAG_DEBUG=1` shows the traceback of a failure. A reader that stops early
(`rag articles | head -2`) ends the command quietly with 141, as SIGPIPE would.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ui import cli_feedback, cli_sources, cli_timeline

if TYPE_CHECKING:
    from rag import Answer, Assistant, IngestReport, Removal, Settings

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
EXIT_BROKEN_PIPE = 128 + 13  # the shell's code for a command killed by SIGPIPE
HOME_HELP = "index folder (default: $RAG_HOME or .rag)"


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line like every other error of `rag`."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"rag: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rag", description="Question answering over a news archive, with exact citations."
    )
    parser.add_argument("--home", type=Path, help=HOME_HELP)
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # `--home` is also accepted after the command (`rag eval Q --home DIR`); SUPPRESS
    # keeps a value given before the command when it is not repeated after it.
    home = _Parser(add_help=False)
    home.add_argument("--home", type=Path, default=argparse.SUPPRESS, help=HOME_HELP)

    ingest = commands.add_parser(
        "ingest", help="add or update articles in the index", parents=[home]
    )
    ingest.add_argument(
        "paths",
        nargs="*",
        help="files or folders, or http(s) URLs of RSS/Atom feeds or article pages "
        "(default: seeds/)",
    )
    ingest.add_argument("--prune", action="store_true", help="remove articles whose files are gone")
    ingest.add_argument("--rebuild", action="store_true", help="empty the index first")
    ingest.add_argument(
        "--readd", action="store_true", help="add back articles removed with `rag remove`"
    )
    ingest.add_argument("--json", action="store_true", help="print the summary as JSON")
    ingest.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="embed on this Ray cluster (host:port of its head, ray://host:10001 or auto; "
        "default: $RAG_INGEST__RAY_ADDRESS, or this process); needs newsrag[cluster]",
    )
    ingest.add_argument(
        "--ray-workers", type=int, metavar="N", help="encoder actors on the cluster (default 1)"
    )

    ask = commands.add_parser("ask", help="answer a question from the index", parents=[home])
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--top-k", type=int, help="passages to retrieve (1-50, default 5)")
    ask.add_argument("--since", help="only articles published on or after YYYY-MM-DD")
    ask.add_argument(
        "--until",
        help="only articles published on or before YYYY-MM-DD; the question is taken as "
        "asked that day, so articles from the days before it rank higher",
    )
    ask.add_argument(
        "--as-of",
        metavar="DATE",
        help="answer as the archive stood on YYYY-MM-DD: only articles published up to "
        "it, the question asked that day (what --until does; give one of the two)",
    )
    ask.add_argument(
        "--time-window",
        action=argparse.BooleanOptionalAction,
        default=None,
        help='read a time the question names ("last week") as the dates searched '
        "(default: retrieval.time_windows, soft: articles of those dates rank higher)",
    )
    cli_timeline.add_parser(commands, [home])
    cli_feedback.add_parser(commands, [home])
    cli_sources.add_parser(commands, [home])

    articles = commands.add_parser(
        "articles", help="list the articles in the index (newest first)", parents=[home]
    )
    articles.add_argument("query", nargs="?", default="", help="words of the title or text")
    articles.add_argument("--since", help="only articles published on or after YYYY-MM-DD")
    articles.add_argument("--until", help="only articles published on or before YYYY-MM-DD")
    articles.add_argument("--sort", default="newest", help="newest (default), oldest or title")
    articles.add_argument("--limit", type=int, default=50, help="articles shown (1-200)")
    articles.add_argument("--offset", type=int, default=0, help="skip this many first")
    articles.add_argument("--json", action="store_true", help="print one JSON object")

    remove = commands.add_parser(
        "remove", help="delete articles from the index, by id or file", parents=[home]
    )
    remove.add_argument("targets", nargs="+", metavar="ID|PATH", help="article ids or files")
    remove.add_argument("--json", action="store_true", help="print one JSON object")

    status = commands.add_parser("status", help="what the index holds", parents=[home])
    status.add_argument("--json", action="store_true", help="print one JSON object")

    serve = commands.add_parser(
        "serve", help="update the index from seeds/ and serve the chat", parents=[home]
    )
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 7860)")
    serve.add_argument("--no-ingest", action="store_true", help="serve the index as it is")

    evaluate = commands.add_parser(
        "eval", help="score answers against a question set", parents=[home]
    )
    evaluate.add_argument("questions", type=Path, help="questions JSONL")
    evaluate.add_argument(
        "--corpus", type=Path, help="build (and cache) an index of this corpus (not with --home)"
    )
    evaluate.add_argument("--top-k", type=int, default=5)
    evaluate.add_argument("--out", type=Path, default=Path("eval-out"))
    evaluate.add_argument("--compare", type=Path, help="an earlier results.json")
    evaluate.add_argument("--baselines", action="store_true", help="also run the baselines")
    evaluate.add_argument("--limit", type=int, help="only the first N questions")
    evaluate.add_argument("--thresholds", type=Path, help="fail (exit 1) below these scores")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed: a code, in-process too
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from pydantic import ValidationError

    from rag.errors import InputError, RagError, StoreError

    try:
        settings = _settings(args)
        handler = _COMMANDS[args.command]
        code = handler(args, settings)
        sys.stdout.flush()  # a closed pipe shows here, not in Python's flush at exit
        return code
    except BrokenPipeError:
        return _stdout_closed()
    except (InputError, ValidationError) as exc:
        print(f"rag: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except StoreError as exc:  # Chroma, the disk, SQLite: the cause is in the traceback
        if os.environ.get("RAG_DEBUG") == "1":
            raise
        print(f"rag: error: {_one_line(exc)} (RAG_DEBUG=1 shows the traceback)", file=sys.stderr)
        return EXIT_FAILURE
    except RagError as exc:
        print(f"rag: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("rag: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a failure below the API (disk, store, model): one line
        if os.environ.get("RAG_DEBUG") == "1":
            raise
        print(
            f"rag: error: {type(exc).__name__}: {_one_line(exc)} (RAG_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


def _stdout_closed() -> int:
    """Stop writing to a reader that went away. Python flushes stdout again at exit, so
    point it at devnull first, as the docs of `signal` recommend."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _settings(args: argparse.Namespace) -> Settings:
    from rag import Settings

    overrides: dict[str, Any] = {}
    if args.home is not None:
        overrides["home"] = args.home
    cluster = {
        key: value
        for key, value in (
            ("ray_address", getattr(args, "ray", None)),
            ("ray_workers", getattr(args, "ray_workers", None)),
        )
        if value is not None
    }
    if cluster:
        overrides["ingest"] = cluster
    return Settings(**overrides)


def _assistant(settings: Settings) -> Assistant:
    from rag import Assistant

    return Assistant(settings)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from rag.errors import InputError

    if not args.paths and not Path(settings.seeds).exists():
        raise InputError(
            f"no path given, and the default corpus folder {str(settings.seeds)!r} is not "
            "here: pass the files or folders to ingest, e.g. `rag ingest ~/news` "
            "(.txt, .md or .jsonl articles)",
            field="paths",
        )
    paths = args.paths or [settings.seeds]
    report = _assistant(settings).ingest(
        paths, prune=args.prune, rebuild=args.rebuild, readd=args.readd
    )
    if args.json:
        print(json.dumps(report_to_dict(report), indent=2))
    else:
        print(format_report(report))
    return EXIT_OK


def report_to_dict(report: IngestReport) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(report)


def format_report(report: IngestReport) -> str:
    from rag import Skipped
    from ui.render import plural

    chunks = plural(report.chunks_embedded, "chunk")
    lines = [
        f"added {len(report.added)}, updated {len(report.updated)}, "
        f"unchanged {len(report.unchanged)}, removed {len(report.removed)}, "
        f"duplicates {len(report.duplicates)}, skipped {len(report.skipped)}"
        + (f", withheld {len(report.withheld)}" if report.withheld else "")
        + f" ({chunks} embedded)"
    ]
    if report.recovered:
        lines.append(f"cleaned up {report.recovered} writes left by an interrupted ingest")
    lines.append(dedup_line(report.dedup.clusters, report.dedup.clustered_articles))
    if report.dedup.sketched:
        lines[-1] += f" ({plural(report.dedup.sketched, 'article')} sketched)"
    removed = [Skipped(article_id, "its file is gone (--prune)") for article_id in report.removed]
    boilerplate = [
        Skipped(name, "its text is read under other titles too")
        for name in report.dedup.boilerplate
    ]
    for title, items in (
        ("removed", removed),
        ("withheld (removed with `rag remove`; --readd adds them again)", report.withheld),
        ("skipped", report.skipped),
        ("duplicates", report.duplicates),
        ("warnings", report.warnings),
        ("boilerplate (kept, listed; out of retrieval with exclude_boilerplate)", boilerplate),
    ):
        if items:
            lines.append(f"{title}:")
            lines.extend(f"  {item.source}: {item.reason}" for item in items[:50])
            if len(items) > 50:
                lines.append(f"  ... and {len(items) - 50} more (see --json)")
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from rag.errors import InputError

    if args.as_of and args.until:
        raise InputError("give --as-of or --until, not both: they name the same day", field="as_of")
    answer = _assistant(settings).ask(
        args.question,
        top_k=args.top_k,
        since=args.since,
        until=args.as_of or args.until,
        time_window=args.time_window,
    )
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        print(format_answer(answer))
    return EXIT_OK


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    cli_sources.run(args, _assistant(settings))
    return EXIT_OK


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    cli_feedback.run(args, _assistant(settings))
    return EXIT_OK


def cmd_timeline(args: argparse.Namespace, settings: Settings) -> int:
    cli_timeline.run(args, _assistant(settings))
    return EXIT_OK


def format_answer(answer: Answer) -> str:
    from rag.types import also_in_text

    lines = [answer.text, *cli_timeline.window_line(answer), ""]
    if answer.citations:
        lines.append("Sources:")
        for c in answer.citations:
            title = c.title or c.article_id
            lines.append(
                f"  [{c.n}] {title} ({c.date or 'undated'}), {c.source} [{c.start}:{c.end}]"
            )
            if c.also_in:
                lines.append(f"      {also_in_text(c.also_in)}")
    else:
        lines.append("Closest passages:")
        for p in answer.passages[:3]:
            snippet = " ".join(p.text.split())[:160]
            lines.append(f"  - {p.title or p.article_id} ({p.date or 'undated'}): {snippet}…")
    return "\n".join(lines)


def dedup_line(clusters: int, articles: int) -> str:
    from ui.render import plural

    return f"near-duplicates: {plural(clusters, 'cluster')} of {plural(articles, 'article')}"


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    status = _assistant(settings).status()
    if args.json:
        print(json.dumps(status.to_dict()))
        return EXIT_OK
    dates = f"{status.date_from} to {status.date_to}" if status.date_from else "no dated articles"
    print(
        f"articles: {status.articles}\nchunks: {status.chunks}\ndates: {dates}\n"
        f"model: {status.model} ({status.chunk_tokens}-token chunks)\n"
        f"store: {status.store}\nhome: {status.home}\n"
        + dedup_line(status.clusters, status.clustered_articles)
    )
    for name in status.boilerplate:
        print(f"boilerplate: {name}")
    for problem in status.problems:
        print(f"problem: {problem}")
    return EXIT_FAILURE if status.problems else EXIT_OK


def cmd_articles(args: argparse.Namespace, settings: Settings) -> int:
    page = _assistant(settings).articles(
        args.query,
        since=args.since,
        until=args.until,
        sort=args.sort,
        limit=args.limit,
        offset=args.offset,
    )
    if args.json:
        print(json.dumps(page.to_dict(), ensure_ascii=False))
        return EXIT_OK
    from ui.render import plural

    shown = f"{page.offset + 1}-{page.offset + len(page.articles)}" if page.articles else "none"
    matches = plural(page.total, "article") + (" matches" if page.total == 1 else " match")
    print(f"{matches}; showing {shown}")
    for a in page.articles:
        noun = "copy" if a.copies == 1 else "copies"
        copies = f", {a.copies} duplicate {noun}" if a.copies else ""
        copies += f", updated {a.updated}" if a.updated else ""
        where = f"{a.outlet}, {a.source}" if a.outlet else a.source
        print(
            f"{a.id}\t{a.date or 'undated'}\t{a.title}\t"
            f"({where}, {plural(a.chunks, 'chunk')}{copies})"
        )
    if page.offset + len(page.articles) < page.total:
        print(f"more: --offset {page.offset + len(page.articles)}")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    removal = _assistant(settings).remove(args.targets)
    if args.json:
        print(json.dumps(removal.to_dict(), ensure_ascii=False))
        return EXIT_OK
    print(format_removal(removal))
    return EXIT_OK


def format_removal(removal: Removal) -> str:
    if not removal.removed:
        return "nothing to remove: already removed (any unfinished part of it is now done)"
    count = len(removal.removed)
    lines = [f"removed {count} article{'s' if count != 1 else ''}:"]
    lines += [f"  {a.id}: {a.title} ({a.date or 'undated'}, {a.source})" for a in removal.removed]
    if removal.files_on_disk:
        lines.append(
            "their files are still on disk ("
            + ", ".join(removal.files_on_disk)
            + "): a plain `rag ingest` leaves them out; `rag ingest --readd PATH` adds them back"
        )
    return "\n".join(lines)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from ui.serve import serve

    return serve(settings, host=args.host, port=args.port, ingest=not args.no_ingest)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from eval.runner import run_from_cli

    return run_from_cli(args, settings)


_COMMANDS = {
    "ingest": cmd_ingest,
    "ask": cmd_ask,
    "timeline": cmd_timeline,
    "feedback": cmd_feedback,
    "sources": cmd_sources,
    "status": cmd_status,
    "articles": cmd_articles,
    "remove": cmd_remove,
    "serve": cmd_serve,
    "eval": cmd_eval,
}


if __name__ == "__main__":
    sys.exit(main())
