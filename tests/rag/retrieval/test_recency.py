from __future__ import annotations

from datetime import date

import pytest

from rag.retrieval import DateFilter, HybridRetriever, RecencyPrior
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


def test_boost_halves_every_half_life_and_ignores_undated_articles() -> None:
    prior = RecencyPrior(half_life_days=14, weight=0.5)
    assert prior.boost("2024-03-15", ASKED) == pytest.approx(1.5)
    assert prior.boost("2024-03-01", ASKED) == pytest.approx(1.25)
    assert prior.boost("2023-03-15", ASKED) == pytest.approx(1.0, abs=1e-6)
    assert prior.boost("", ASKED) == 1.0
    assert RecencyPrior(weight=0).boost("2024-03-15", ASKED) == 1.0


@pytest.mark.parametrize(("half_life_days", "weight"), [(0, 0.5), (-1, 0.5), (14, -0.1)])
def test_nonsense_settings_are_refused(half_life_days: float, weight: float) -> None:
    with pytest.raises(ValueError, match=r"half_life_days|weight"):
        RecencyPrior(half_life_days, weight)


def test_recent_article_wins_a_close_race_only_when_the_question_is_dated() -> None:
    old, recent = passage("old", "2023-01-10"), passage("recent", "2024-03-14")
    # `old` is first in one ranking, `recent` in the other: a tie broken by list order.
    hybrid = HybridRetriever([Ranked(old, recent), Ranked(recent, old)], recency=RecencyPrior())
    undated = hybrid.retrieve("q", 2)
    assert [p.chunk_id for p in undated] == ["old", "recent"]
    dated = hybrid.retrieve("q", 2, DateFilter(until=ASKED))
    assert [p.chunk_id for p in dated] == ["recent", "old"]
    assert dated[0].score > undated[1].score


def test_a_much_better_old_match_still_ranks_first() -> None:
    old = passage("old", "2020-01-01")
    others = [passage(f"p{i}", "2024-03-14") for i in range(10)]
    # `old` tops both rankings; the recent passages trail far behind in one ranking only.
    hybrid = HybridRetriever([Ranked(old, *others), Ranked(old)], recency=RecencyPrior())
    assert hybrid.retrieve("q", 3, DateFilter(until=ASKED))[0].chunk_id == "old"
