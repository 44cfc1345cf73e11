"""Reading the JSON files a user hands `rag eval` (thresholds, an earlier results.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag import InputError


def read_json(path: Path, what: str) -> Any:
    """The parsed file; a missing or malformed one is an `InputError` naming `what`."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: malformed JSON: {exc.msg}") from None
