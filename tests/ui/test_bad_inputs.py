"""At least 40 bad inputs (HTTP bodies, files, `rag` arguments, question files): each
gets a clear error, none a traceback, and none changes the index.

The cases live in `tests/ui/bad_inputs.py`; `bench/bad_inputs.py` runs the same list and
writes the tally to `bench/results/bad_inputs.json`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.ui.bad_inputs import CASES, KNOWN_GAPS, Case, Env, Verdict, check, make_env, tally

# One worker runs this file, so the cases are checked once (`make test`'s --dist loadgroup).
pytestmark = pytest.mark.xdist_group("bad-inputs")

PARAMS = [
    pytest.param(
        case,
        id=case.id,
        marks=[pytest.mark.xfail(reason=KNOWN_GAPS[case.id], strict=True)]
        if case.id in KNOWN_GAPS
        else [],
    )
    for case in CASES
]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    """One seeded index for every case: each must leave it as it found it."""
    return make_env(tmp_path_factory.mktemp("bad-inputs"))


@pytest.fixture(scope="module")
def verdicts(env: Env) -> dict[str, Verdict]:
    """Every case checked once, in the list's order, whichever test asks first."""
    return {case.id: check(case, env) for case in CASES}


@pytest.mark.parametrize("case", PARAMS)
def test_a_bad_input_gets_a_clear_error_and_changes_nothing(
    verdicts: dict[str, Verdict], case: Case
) -> None:
    verdict = verdicts[case.id]
    assert not verdict.index_changed, verdict.detail  # a known gap must not change it either
    assert verdict.clear, verdict.detail
    assert not verdict.traceback, verdict.detail


def test_the_list_is_at_least_40_distinct_inputs_of_every_kind() -> None:
    ids = [case.id for case in CASES]
    assert len(set(ids)) == len(ids) >= 40
    kinds = Counter(case.kind for case in CASES)
    assert set(kinds) == {"http", "file", "cli"} and min(kinds.values()) >= 10, kinds


def test_the_checks_catch_what_they_are_for(env: Env, tmp_path: Path) -> None:
    """The checks can fail: a good request is no clear error, an ingest is a change."""
    from tests.ui.bad_inputs import Cli, Http, Ingest

    assert not check(Http("good ask", {"question": "Who is Aron Lund?"}, status=200), env).clear
    assert not check(Cli("wrong code", ("ask", "q?", "--top-k", "0"), "got 0", code=1), env).clear
    text = b"date 2024-03-03\nA new article about something else entirely."
    added = check(Ingest("a good file", "good.txt", text, "anything"), env)
    assert added.index_changed and not added.clear


def test_the_tally_adds_up(verdicts: dict[str, Verdict]) -> None:
    """The figure the bench script writes."""
    figure = tally(list(verdicts.values()))
    assert figure["inputs"] == len(CASES) >= 40
    failing = {failure["case"] for failure in figure["failures"]}
    assert failing == set(KNOWN_GAPS), figure["failures"]
    assert figure["clear_error"] == figure["inputs"] - len(KNOWN_GAPS)
    assert figure["tracebacks"] == 0 and figure["index_changes"] == 0
