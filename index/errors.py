"""The few error classes of newsrag; `rag.errors` re-exports them as the public set.

The CLI, the HTTP API and the UI translate them into a message and a status:
`InputError` is the user's to fix (exit 2, HTTP 4xx), `StoreError` and
`NotReadyError` are HTTP 503, the rest are failures (exit 1).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager


class RagError(Exception):
    """Base class: every error newsrag raises on purpose."""


class InputError(RagError, ValueError):
    """Bad input: a question, an option, a path. The message names the bad value.

    `field` names the input at fault (`top_k`, `history[2]`, `files`), when there is one:
    the HTTP API returns it as the error's `param`.

    >>> InputError("top_k must be between 1 and 50, got 0", field="top_k").field
    'top_k'
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotReadyError(RagError):
    """The index has nothing to answer from yet."""


class IndexMismatchError(RagError):
    """The index was built with another model or chunking than the settings ask for."""


class IndexBusyError(RagError):
    """Another process (or ingest) is writing to the index right now."""


class StoreError(RagError):
    """The index store failed: Chroma, the disk, the SQLite catalog, the keyword segments."""


class ClusterError(RagError):
    """The Ray cluster of a cluster ingest cannot be reached, or Ray is not installed."""


@contextmanager
def store_failures(what: str) -> Iterator[None]:
    """Turn a failure of the store below into `StoreError` ("`what` failed: ..."); a
    locked SQLite database into `IndexBusyError`. Usable as a decorator.

    Only failures of the store are translated (Chroma's errors, SQLite's, the disk's, a
    corrupt file's); anything else, a bug included, passes through unchanged.
    """
    try:
        yield
    except RagError:
        raise
    except Exception as exc:
        if not _is_store_failure(exc):
            raise
        message = " ".join(str(exc).split()) or "no details"
        if isinstance(exc, sqlite3.OperationalError) and _is_busy(message):
            raise IndexBusyError(
                f"{what} failed: the index is locked by another process ({message}); "
                "try again when it is done"
            ) from exc
        raise StoreError(f"{what} failed: {type(exc).__name__}: {message}") from exc


def _is_store_failure(exc: Exception) -> bool:
    # A torn or corrupt store file reads as malformed JSON (catalog meta).
    if isinstance(exc, sqlite3.DatabaseError | OSError | json.JSONDecodeError):
        return True
    # Looked up, not imported: the error can only come from a module already loaded.
    chroma = sys.modules.get("chromadb.errors")
    if chroma is not None and isinstance(exc, chroma.ChromaError):
        return True
    httpx = sys.modules.get("httpx")  # a Chroma server that cannot be reached
    return httpx is not None and isinstance(exc, httpx.TransportError)


def _is_busy(message: str) -> bool:
    lowered = message.lower()
    return "database is locked" in lowered or "database is busy" in lowered
