from __future__ import annotations

from datetime import date

import pytest

from rag.retrieval import DateFilter, HybridRetriever, SoftWindow
from rag.retrieval.base import NO_FILTER
from rag.types import Passage


def passage(chunk_id: str, published: str) -> Passage:
    return Passage(chunk_id, chunk_id, "", published, "s", "text", 0, 4, 0.0)


class Ranked:
    """A retriever that returns a fixed ranking, whatever the query."""

    def __init__(self, *passages: Passage) -> None:
        self.passages = list(passages)

    def retrieve(self, query: str, top_k: int, filters: DateFilter = NO_FILTER) -> list[Passage]:
        return self.passages[:top_k]


ASKED = date(2024, 3, 15)


def test_recency_halves_every_half_life_and_ignores_undated_articles() -> None:
    prior = SoftWindow.recency(ASKED, half_life_days=14, weight=0.5)
    assert prior.boost("2024-03-15") == pytest.approx(1.5)
    assert prior.boost("2024-03-20") == pytest.approx(1.5)  # after the day asked: no age
    assert prior.boost("2024-03-01") == pytest.approx(1.25)
    assert prior.boost("2023-03-15") == pytest.approx(1.0, abs=1e-6)
    assert prior.boost("") == 1.0
    assert SoftWindow.recency(ASKED, weight=0).boost("2024-03-15") == 1.0


def test_a_window_boosts_inside_fully_and_outside_by_distance_on_both_sides() -> None:
    window = SoftWindow(date(2024, 3, 1), date(2024, 3, 7), half_life_days=7, weight=1.0)
    assert window.boost("2024-03-01") == window.boost("2024-03-07") == pytest.approx(2.0)
    assert window.boost("2024-02-23") == pytest.approx(1.5)  # a half-life before
    assert window.boost("2024-03-14") == pytest.approx(1.5)  # a half-life after
    assert window.boost("2024-03-21") == pytest.approx(1.25)
    assert SoftWindow(None, date(2024, 3, 7)).boost("1999-01-01") > 1.0 + 0.5 - 1e-9
    assert (window.distance_of("2024-03-05"), window.distance_of("2024-03-10")) == (0, 3)
    assert window.distance_of("") is None


@pytest.mark.parametrize(("half_life_days", "weight"), [(0, 0.5), (-1, 0.5), (14, -0.1)])
def test_nonsense_settings_are_refused(half_life_days: float, weight: float) -> None:
    with pytest.raises(ValueError, match=r"half_life_days|weight"):
        SoftWindow(None, ASKED, half_life_days, weight)


def test_a_preferred_article_wins_a_close_race_only_when_a_window_is_given() -> None:
    old, recent = passage("old", "2023-01-10"), passage("recent", "2024-03-14")
    # `old` is first in one ranking, `recent` in the other: a tie broken by list order.
    hybrid = HybridRetriever([Ranked(old, recent), Ranked(recent, old)])
    plain = hybrid.retrieve("q", 2, DateFilter(until=ASKED))
    assert [p.chunk_id for p in plain] == ["old", "recent"]
    dated = hybrid.retrieve("q", 2, DateFilter(until=ASKED, prefer=SoftWindow.recency(ASKED)))
    assert [p.chunk_id for p in dated] == ["recent", "old"]
    assert dated[0].score > plain[1].score
    last_year = SoftWindow(date(2023, 1, 1), date(2023, 1, 31))
    assert hybrid.retrieve("q", 2, DateFilter(prefer=last_year))[0].chunk_id == "old"


def test_a_much_better_match_outside_the_window_still_ranks_first() -> None:
    old = passage("old", "2020-01-01")
    others = [passage(f"p{i}", "2024-03-14") for i in range(10)]
    # `old` tops both rankings; the recent passages trail far behind in one ranking only.
    hybrid = HybridRetriever([Ranked(old, *others), Ranked(old)])
    filters = DateFilter(until=ASKED, prefer=SoftWindow.recency(ASKED))
    assert hybrid.retrieve("q", 3, filters)[0].chunk_id == "old"
