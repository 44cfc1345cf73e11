"""The README's settings table, rendered from the settings tree so it cannot go stale.

`python -m rag.settings_doc` rewrites the table between the two marker comments of
README.md; `--check` only says whether it is current (exit 1 when not). A test compares
the README's table with `render_table()` on every run.

>>> render_table().splitlines()[2].startswith("| `RAG_HOME` | `.rag` |")
True
"""

from __future__ import annotations

import argparse
import sys
import types
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from rag.settings import Settings

START = "<!-- settings-table:start -->"
END = "<!-- settings-table:end -->"
README = Path(__file__).resolve().parents[1] / "README.md"


def rows(model: type[BaseModel] = Settings, prefix: str = "RAG_") -> Iterator[tuple[str, str, str]]:
    """(variable, default, meaning) of every leaf setting, in the tree's own order. A
    nested group (`RAG_ANSWER__SHORT_ANSWER`, see `group_names`) is no row: its fields are."""
    for name, info in model.model_fields.items():
        variable = f"{prefix}{name.upper()}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if _is_weights(annotation):  # fitted numbers: one row names them all
                yield _weights_row(annotation, variable)
            else:
                yield from rows(annotation, f"{variable}__")
        else:
            yield variable, _default(info), _meaning(info)


def weight_variables(model: type[BaseModel] = Settings, prefix: str = "RAG_") -> list[str]:
    """Every variable of the fitted-weight groups, which the table lists one row a group."""
    names: list[str] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            variable = f"{prefix}{name.upper()}"
            if _is_weights(annotation):
                names += [f"{variable}__{field.upper()}" for field in annotation.model_fields]
            else:
                names += weight_variables(annotation, f"{variable}__")
    return names


def _is_weights(model: type[BaseModel]) -> bool:
    return model.__name__.endswith("Weights")


def _weights_row(model: type[BaseModel], variable: str) -> tuple[str, str, str]:
    fields = ", ".join(f"`{name.upper()}`" for name in model.model_fields)
    summary = (model.__doc__ or "").strip().split("\n\n")[0]
    return f"{variable}__*", "fitted", _cell(f"{summary} One variable per weight: {fields}.")


def group_names(model: type[BaseModel] = Settings, prefix: str = "RAG_") -> list[str]:
    """The nested groups, each of which may also be given whole, as a JSON object."""
    names: list[str] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            variable = f"{prefix}{name.upper()}"
            names.append(variable)
            names.extend(group_names(annotation, f"{variable}__"))
    return names


def render_table() -> str:
    """The Markdown table of every `RAG_*` setting: name, default, description."""
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{v}` | {d} | {m} |" for v, d, m in rows()]
    return "\n".join(lines) + "\n"


def readme_table(text: str) -> str:
    """What lies between the markers of `text` (a README), without the markers' lines."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README has no {START} ... {END} block")
    return text[text.index("\n", start) + 1 : end]


def with_table(text: str, table: str) -> str:
    """`text` with the block between its markers replaced by `table`."""
    old = readme_table(text)
    start = text.index(START)
    head = text[: text.index("\n", start) + 1]
    return head + table + text[len(head) + len(old) :]


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float):  # a fitted weight has more digits than a reader needs
        text = repr(value)
        return f"`{text if len(text) <= 8 else format(value, '.6g')}`"
    if isinstance(value, Enum):
        value = value.value
    return f"`{value}`"


def _meaning(info: FieldInfo) -> str:
    text = info.description or ""
    choices = _choices(info.annotation)
    if choices:
        text = f"One of {', '.join(f'`{c}`' for c in choices)}. {text}"
    return _cell(text)


def _cell(text: str) -> str:
    """`text` on one line, with nothing that would end a table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _choices(annotation: Any) -> list[str]:
    if get_origin(annotation) is Literal:
        return [str(arg) for arg in get_args(annotation)]
    if get_origin(annotation) in (Union, types.UnionType):
        return [c for arg in get_args(annotation) for c in _choices(arg)]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.settings_doc", description=__doc__)
    parser.add_argument("--readme", type=Path, default=README, help="default: the repo's")
    parser.add_argument("--check", action="store_true", help="exit 1 if the table is stale")
    args = parser.parse_args(argv)
    text = args.readme.read_text(encoding="utf-8")
    updated = with_table(text, render_table())
    if args.check:
        if updated != text:
            print(f"{args.readme}: the settings table is stale; run python -m rag.settings_doc")
            return 1
        return 0
    if updated != text:
        args.readme.write_text(updated, encoding="utf-8")
    print(f"{args.readme}: {len(list(rows()))} settings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
