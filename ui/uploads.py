"""Uploaded article files: copied under the index home, then ingested incrementally.

Only the base name of an upload is kept, reduced to safe characters, so nothing a
user sends chooses where a file lands: everything goes to `<home>/uploads/`. A name
already taken by other content gets its content's hash (`notes-1a2b3c4d.txt`): two
different uploads named alike are two articles, never one replacing the other.
A file is copied under a name the loader skips (`.notes.txt.x1y2.part`) and renamed
into place, so a kill mid-copy leaves no truncated article to be ingested.
"""

from __future__ import annotations

import filecmp
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from rag import Assistant, IngestReport, InputError, Skipped

ALLOWED_SUFFIXES = (".txt", ".md", ".jsonl")
MAX_UPLOAD_BYTES = 20_000_000
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

Progress = Callable[[int, int], None]


def uploads_dir(assistant: Assistant) -> Path:
    return Path(assistant.settings.home) / "uploads"


def safe_name(name: str) -> str:
    """`../../etc/passwd.txt` -> `passwd.txt`; keeps letters, digits, `.`, `_` and `-`."""
    base = Path(name.replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).lstrip(".")
    return cleaned[:120] or "upload"


def add_uploads(
    assistant: Assistant, uploads: Sequence[tuple[Path, str]], progress: Progress | None = None
) -> tuple[IngestReport, dict[str, str]]:
    """Copy each `(temporary path, original name)` into the uploads folder and ingest them.

    Returns the report and a map from stored path to the name the user gave, so a
    report can speak of the user's names. Files of other types are refused up front.
    """
    if not uploads:
        raise InputError("choose one or more .txt, .md or .jsonl files first", field="files")
    folder = uploads_dir(assistant)
    folder.mkdir(parents=True, exist_ok=True)
    stored: list[Path] = []
    names: dict[str, str] = {}
    refused: list[Skipped] = []
    for temp, original in uploads:
        name = safe_name(original)
        if Path(name).suffix.lower() not in ALLOWED_SUFFIXES:
            refused.append(Skipped(original, "not a .txt, .md or .jsonl file"))
            continue
        if temp.stat().st_size > MAX_UPLOAD_BYTES:
            refused.append(Skipped(original, f"larger than {MAX_UPLOAD_BYTES // 1_000_000} MB"))
            continue
        target = _free_target(folder / name, temp)
        if not target.exists():
            _copy_into_place(temp, target)
        stored.append(target)
        names[str(target)] = original
    # An upload is the user asking for the file: one they removed before comes back.
    report = assistant.ingest(stored, progress=progress, readd=True) if stored else IngestReport()
    report.skipped.extend(refused)
    return report, names


def _free_target(wanted: Path, upload: Path) -> Path:
    """`wanted`, or where this content already is, or a name carrying its hash."""
    if not wanted.exists() or filecmp.cmp(wanted, upload, shallow=False):
        return wanted
    digest = hashlib.sha256(upload.read_bytes()).hexdigest()[:8]
    return wanted.with_name(f"{wanted.stem}-{digest}{wanted.suffix}")


def _copy_into_place(upload: Path, target: Path) -> None:
    """Copy to a temporary name in `target`'s folder, then rename it to `target`."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    partial = Path(name)
    try:
        shutil.copyfile(upload, partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
