"""The README's settings table is the settings tree as it is now, and the README stays
a short page for users whose links lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.settings import Settings
from rag.settings_doc import (
    END,
    START,
    group_names,
    main,
    readme_table,
    render_table,
    rows,
    weight_variables,
)

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MAX_README_LINES = 250


def table_rows(table: str) -> dict[str, list[str]]:
    """{variable: [default, meaning]} of a rendered table."""
    found: dict[str, list[str]] = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        found[cells[0].strip("`")] = cells[1:]
    return found


def test_the_readme_table_is_the_current_settings_tree() -> None:
    readme = README.read_text(encoding="utf-8")
    assert readme_table(readme) == render_table(), (
        "README.md's settings table is stale: run `.venv/bin/python -m rag.settings_doc`"
    )


def test_every_variable_the_tree_reads_is_a_row_or_a_group() -> None:
    rows = set(table_rows(render_table()))
    groups = {r.removesuffix("__*") for r in rows if r.endswith("__*")}
    listed = {r for r in rows if not r.endswith("__*")} | set(weight_variables())
    assert listed | set(group_names()) == set(Settings.variable_names())
    assert all(v.rsplit("__", 1)[0] in groups for v in weight_variables())
    assert not listed & set(group_names()), "a group is not a row: its fields are"


def test_rows_state_the_defaults_a_user_gets() -> None:
    table = table_rows(render_table())
    defaults = Settings()
    assert table["RAG_SERVER__PORT"][0] == f"`{defaults.server.port}`"
    assert table["RAG_RETRIEVAL__TOP_K"][0] == f"`{defaults.retrieval.top_k}`"
    assert table["RAG_HOME"][0] == f"`{defaults.home}`"
    assert table["RAG_CHROMA_URL"][0] == "unset"
    assert table["RAG_RETRIEVAL__TIME_WINDOWS"][0] == "`soft`"
    assert table["RAG_RETRIEVAL__MODE"][1].startswith("One of `hybrid`, `dense`, `bm25`.")
    assert all(meaning for _, meaning in table.values()), "every setting says what it does"


class _Knobs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pipe: str = Field("a|b", description="Either a | b,\n  on two lines.")
    kind: Literal["x", "y"] | None = Field(None, description="A choice.")
    weight: float = Field(-1.234567891, description="A fitted weight.")


class _Tree(BaseModel):
    knobs: _Knobs = _Knobs()


def test_cells_stay_one_line_and_whole() -> None:
    rendered = {v: (d, m) for v, d, m in rows(_Tree, "X_")}

    assert rendered == {
        "X_KNOBS__PIPE": ("`a|b`", "Either a \\| b, on two lines."),
        "X_KNOBS__KIND": ("unset", "One of `x`, `y`. A choice."),
        "X_KNOBS__WEIGHT": ("`-1.23457`", "A fitted weight."),
    }
    assert group_names(_Tree, "X_") == ["X_KNOBS"]


def test_the_writer_replaces_only_the_block_and_check_says_when_stale(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\nbefore\n{START}\nold table\n{END}\nafter\n", encoding="utf-8")

    assert main(["--readme", str(readme), "--check"]) == 1
    assert main(["--readme", str(readme)]) == 0
    assert main(["--readme", str(readme), "--check"]) == 0

    text = readme.read_text(encoding="utf-8")
    assert text.startswith(f"# title\n\nbefore\n{START}\n| variable | default | meaning |\n")
    assert text.endswith(f"{END}\nafter\n")
    assert readme_table(text) == render_table()


def test_the_readme_is_short_and_starts_with_the_two_commands() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines"
    assert lines[0] == "# newsrag"
    assert lines[2] == "```bash"
    assert lines[3].startswith("make run    # ")
    assert lines[4].startswith("make test   # ")
    assert lines[5] == "```"


def test_the_links_of_the_docs_lead_to_files() -> None:
    for page in (README, ROOT / "bench" / "README.md", ROOT / "docs" / "design.md"):
        text = page.read_text(encoding="utf-8")
        targets = re.findall(r"\]\(([^)#]+)\)", text)
        local = [t for t in targets if not t.startswith(("http://", "https://"))]
        assert local or page == README
        for target in local:
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
