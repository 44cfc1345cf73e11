"""The archive as a list: browse, search and remove articles (`Assistant.articles`,
`Assistant.remove`), with every argument checked before anything is read or deleted.

>>> page = assistant.articles(query="harbour", since="2024-03-01", limit=20)  # doctest: +SKIP
>>> assistant.remove([page.articles[0].id]).removed  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from index.articles import date_key
from index.catalog import SORTS
from index.ingest import remove as remove_articles
from index.store import Index
from rag.errors import InputError
from rag.types import ArticlePage, ArticleSummary, Removal, public_path

MAX_LIMIT = 200
MAX_QUERY_CHARS = 500
MAX_OFFSET = 1_000_000_000  # SQLite takes 64-bit integers; no archive is larger


def list_page(
    index: Index,
    *,
    query: str,
    since: date | None,
    until: date | None,
    sort: str,
    limit: int,
    offset: int,
) -> ArticlePage:
    if not isinstance(query, str) or len(query) > MAX_QUERY_CHARS:
        raise InputError(f"q must be text of at most {MAX_QUERY_CHARS} characters", field="q")
    if sort not in SORTS:
        raise InputError(f"sort must be one of {', '.join(SORTS)}, got {sort!r}", field="sort")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"limit must be between 1 and {MAX_LIMIT}, got {limit!r}", field="limit")
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise InputError(
            f"offset must be between 0 and {MAX_OFFSET}, got {offset!r}", field="offset"
        )
    if since and until and since > until:
        raise InputError(f"since ({since}) is after until ({until})", field="since")
    listing = index.catalog.list_articles(
        query=query,
        since=date_key(since.isoformat()) if since else 0,
        until=date_key(until.isoformat()) if until else 0,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    return ArticlePage(
        listing.total, offset, limit, tuple(ArticleSummary.from_row(r) for r in listing.rows)
    )


def resolve_targets(index: Index, targets: Sequence[str]) -> list[str]:
    """Article ids for `targets`, each an article id or the file it was read from (as
    given to ingest, or any path to the same file); `InputError` naming the first that
    matches nothing, before anything is deleted."""
    if isinstance(targets, str) or not targets:
        raise InputError("name one or more article ids or files to remove", field="ids")
    by_source: dict[str, list[str]] | None = None
    found: dict[str, None] = {}
    already = index.catalog.removed_ids()
    for target in targets:
        if not isinstance(target, str) or not target.strip():
            raise InputError("an article id or file name is empty", field="ids")
        # A removed id is no error: a rerun after a killed removal finishes its work.
        if target in already or index.catalog.article(target) is not None:
            found[target] = None
            continue
        if by_source is None:
            by_source = _by_resolved_source(index)
        ids = index.catalog.ids_from(target) or by_source.get(_resolved(target), [])
        if not ids:
            raise InputError(
                f"no article with id {target!r}, nor any read from a file of that name "
                "(`rag articles` lists them)",
                field="ids",
            )
        found.update(dict.fromkeys(ids))
    return list(found)


def remove(index: Index, targets: Sequence[str]) -> Removal:
    ids = resolve_targets(index, targets)
    rows = index.catalog.article_rows(ids)
    removed = [i for i in remove_articles(index, ids) if i in rows]
    on_disk = {public_path(rows[i].source) for i in removed if Path(rows[i].source).exists()}
    return Removal(tuple(ArticleSummary.from_row(rows[i]) for i in removed), tuple(sorted(on_disk)))


def _resolved(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError, ValueError):
        return path


def _by_resolved_source(index: Index) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for source, ids in index.catalog.sources().items():
        found.setdefault(_resolved(source), []).extend(ids)
    return found
