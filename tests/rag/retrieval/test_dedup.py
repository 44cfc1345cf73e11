"""Retrieval over near-duplicates: a cluster is one result whose citations list the other
copies ("also in"); boilerplate pages stay out of retrieval but listed and citable;
"what's new" collapses copies by cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import Assistant, Passage, Settings
from rag.settings import RetrievalSettings
from tests.dedup_corpus import WIRE, article_id, write_corpus
from tests.fakes import HashingEmbedder

QUESTION = "How many homes did the Kestrel dam breach flood on Saturday?"
WIRE_FILES = set(WIRE)


def build(root: Path, **retrieval: bool) -> Assistant:
    settings = Settings(home=root / "home", retrieval=RetrievalSettings(**retrieval))
    assistant = Assistant(settings, embedder=HashingEmbedder())
    assistant.ingest([write_corpus(root / "news")])
    return assistant


@pytest.fixture
def collapsing(tmp_path: Path) -> Assistant:
    return build(tmp_path, collapse_duplicates=True, exclude_boilerplate=True)


def files(passages: list[Passage]) -> list[str]:
    return [Path(p.source).name for p in passages]


def test_without_collapse_copies_of_one_story_fill_the_results(tmp_path: Path) -> None:
    plain = build(tmp_path, collapse_duplicates=False)
    assert set(files(plain.search(QUESTION, top_k=5))) >= WIRE_FILES


@pytest.mark.parametrize(
    "question",
    [
        QUESTION,
        "Kestrel dam breach",
        "What happened when the dam burst near Kestrel?",
        "flooded homes evacuated residents",
        "Which rivers rose after the breach?",
    ],
)
def test_by_default_copies_of_one_story_never_take_two_of_the_five_passages(
    tmp_path: Path, question: str
) -> None:
    default = build(tmp_path)  # collapse is on unless turned off
    wire = [name for name in files(default.search(question, top_k=5)) if name in WIRE_FILES]
    assert len(wire) <= 1, wire


def test_a_cluster_is_one_result_its_representative_listing_the_other_copies(
    collapsing: Assistant,
) -> None:
    passages = collapsing.search(QUESTION, top_k=5)
    wire = [p for p in passages if Path(p.source).name in WIRE_FILES]
    assert [Path(p.source).name for p in wire] == ["local.md"]  # earliest, then longest
    assert {Path(r.source).name for r in wire[0].also_in} == {"reuters.md", "ap.md"}
    assert [r.date for r in wire[0].also_in] == ["2024-02-10", "2024-02-11"]
    assert files(passages)[0] == "local.md"  # the story keeps the best rank of its copies


def test_the_answers_citation_says_also_in_and_still_quotes_its_article_exactly(
    collapsing: Assistant,
) -> None:
    answer = collapsing.ask(QUESTION)
    cited = [c for c in answer.citations if c.article_id == article_id(collapsing, "local.md")]
    assert cited, answer.citations
    for c in cited:
        assert collapsing.article(c.article_id).text[c.start : c.end] == c.quote
        assert {r.article_id for r in c.also_in} == {
            article_id(collapsing, "reuters.md"),
            article_id(collapsing, "ap.md"),
        }
    also = answer.to_dict()["citations"][0]["also_in"]
    assert {Path(r["source"]).name for r in also} == {"reuters.md", "ap.md"}


def test_boilerplate_is_kept_out_of_retrieval_but_listed_and_citable(
    collapsing: Assistant, tmp_path: Path
) -> None:
    question = "How do I subscribe and change my cookie choices?"
    assert not {"budget.md", "football.md", "weather.md"} & set(
        files(collapsing.search(question, top_k=10))
    )
    listed = collapsing.articles("cookies")
    assert listed.total == 3  # still stored and in the article list
    page = collapsing.article(listed.articles[0].id)
    assert "We use cookies" in page.text
    plain = build(tmp_path / "plain")  # the same corpus, boilerplate not excluded
    assert {"budget.md", "football.md", "weather.md"} & set(files(plain.search(question, top_k=10)))


def test_whats_new_lists_a_cluster_once_under_its_earliest_copy(tmp_path: Path) -> None:
    plain = build(tmp_path)  # collapse off in retrieval: the timeline still uses clusters
    timeline = plain.timeline("Kestrel dam breach", newest_first=True)
    wire = [e for e in timeline.entries if Path(e.source).name in WIRE_FILES]
    assert len(wire) == 1
    assert {Path(r.source).name for r in wire[0].also_in} == WIRE_FILES - {
        Path(wire[0].source).name
    }
    assert wire[0].date == "2024-02-10"
    assert "also in:" in timeline.text
