"""Progress bars for long work: tqdm's bar on a terminal; when stderr is a log file or a
pipe (`rag ingest dir 2>log`), one plain line every `LOG_INTERVAL_S` seconds instead of
nothing (tqdm's `disable=None`) or carriage-return redraws.

>>> for article in progress_bar(articles, desc="chunking", unit="article"):  # doctest: +SKIP
...     ...
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import IO, Any, TypeVar

from tqdm import tqdm

LOG_INTERVAL_S = 5.0  # between two progress lines in a log
T = TypeVar("T")


class LineLog:
    """A file for tqdm that writes each redraw of the bar as a line of its own."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        line = text.strip()
        if line:  # a bare "\r" or a cleared bar's blanks is no line
            self._stream.write(line + "\n")
            self._stream.flush()
        return len(text)

    def flush(self) -> None:
        self._stream.flush()


def progress_bar(iterable: Iterable[T] | None = None, **options: Any) -> tqdm[T]:
    """`tqdm(iterable, **options)` on stderr, drawn as a bar on a terminal and logged as
    a line every `LOG_INTERVAL_S` seconds elsewhere."""
    stream = sys.stderr
    if stream.isatty():
        return tqdm(iterable, file=stream, **options)
    interval = {"mininterval": LOG_INTERVAL_S, "maxinterval": LOG_INTERVAL_S}
    return tqdm(iterable, file=LineLog(stream), ascii=True, ncols=100, **interval, **options)
