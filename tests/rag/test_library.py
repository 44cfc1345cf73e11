"""The article list and removal: `Assistant.articles` and `Assistant.remove`."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import Assistant, InputError, Settings
from tests.fakes import HashingEmbedder

ARTICLES = {
    "bridge.md": (
        "2024-03-01",
        "# Elmsby opens its harbour bridge\n\nThe mayor opened the bridge.",
    ),
    "hospital.txt": ("2024-03-04", "Norwick General Hospital opened a wing. It has forty beds."),
    "festival.txt": ("2024-03-07", "The Carden apple festival drew 8,000 visitors on Saturday."),
    "storm.txt": ("", "A storm flooded the lower town of Ostend Bay. Firefighters rescued sixty."),
}


def write(folder: Path, name: str, date: str, body: str) -> Path:
    path = folder / name
    path.write_text((f"date {date}\n\n" if date else "") + body + "\n", encoding="utf-8")
    return path


@pytest.fixture
def news(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    for name, (date, body) in ARTICLES.items():
        write(folder, name, date, body)
    return folder


@pytest.fixture
def assistant(tmp_path: Path, news: Path) -> Assistant:
    helper = Assistant(Settings(home=tmp_path / "home"), embedder=HashingEmbedder())
    helper.ingest([news])
    return helper


def ids_of(assistant: Assistant, **kwargs: object) -> list[str]:
    return [a.title for a in assistant.articles(**kwargs).articles]  # type: ignore[arg-type]


def test_the_list_holds_every_article_with_what_it_holds(assistant: Assistant) -> None:
    page = assistant.articles()
    assert page.total == 4 and len(page.articles) == 4
    by_title = {a.title: a for a in page.articles}
    bridge = by_title["Elmsby opens its harbour bridge"]
    assert bridge.date == "2024-03-01" and bridge.source.endswith("bridge.md")
    assert bridge.chunks >= 1 and bridge.copies == 0 and bridge.chars > 0
    # An untitled article is called by its first sentence, not by its file name.
    assert "Norwick General Hospital opened a wing." in by_title
    assert "A storm flooded the lower town of Ostend Bay." in by_title


def test_newest_first_undated_last_when_oldest_first_and_title_order(assistant: Assistant) -> None:
    newest = ids_of(assistant)
    assert newest[0].startswith("The Carden") and newest[-1].startswith("A storm")
    oldest = ids_of(assistant, sort="oldest")
    assert oldest[0].startswith("Elmsby") and oldest[-1].startswith("A storm")
    # By title, A to Z; the untitled ones (shown by their first sentence) after them.
    assert ids_of(assistant, sort="title")[0] == "Elmsby opens its harbour bridge"


def test_search_by_title_or_text_word_prefix_and_id(assistant: Assistant) -> None:
    assert ids_of(assistant, query="harbour") == ["Elmsby opens its harbour bridge"]
    assert ids_of(assistant, query="firefight") == ["A storm flooded the lower town of Ostend Bay."]
    assert ids_of(assistant, query="apple visitors") == [
        "The Carden apple festival drew 8,000 visitors on Saturday."
    ]
    assert assistant.articles("no-such-word-anywhere").total == 0
    some = assistant.articles().articles[0]
    assert [a.id for a in assistant.articles(some.id).articles] == [some.id]


def test_date_range_and_paging(assistant: Assistant) -> None:
    assert assistant.articles(since="2024-03-02", until="2024-03-05").total == 1
    assert assistant.articles(since="2024-03-02").total == 2  # the undated one drops out
    first = assistant.articles(limit=3)
    second = assistant.articles(limit=3, offset=3)
    assert first.total == second.total == 4
    assert len(first.articles) == 3 and len(second.articles) == 1
    assert not {a.id for a in first.articles} & {a.id for a in second.articles}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 2**64}, "offset"),
        ({"sort": "size"}, "sort"),
        ({"since": "March"}, "since"),
        ({"since": "2024-03-05", "until": "2024-03-01"}, "since"),
        ({"query": "x" * 501}, "q"),
    ],
)
def test_bad_list_arguments_name_their_field(
    assistant: Assistant, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(InputError) as caught:
        assistant.articles(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_duplicate_copies_are_counted_on_the_stored_article(
    assistant: Assistant, news: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    write(other, "copy.txt", *ARTICLES["hospital.txt"])
    report = assistant.ingest([news, other])
    assert len(report.duplicates) == 1
    hospital = assistant.articles("Norwick").articles[0]
    assert hospital.copies == 1
    assert assistant.articles("Norwick").articles[0].copies == 1  # no double count
    assistant.ingest([news, other])
    assert assistant.articles("Norwick").articles[0].copies == 1  # re-read: still one
    write(other, "copy.txt", "2024-03-04", "Now a different story about a ferry.")
    assistant.ingest([news, other])
    assert assistant.articles("Norwick").articles[0].copies == 0  # no longer a copy
    (other / "copy.txt").unlink()
    write(other, "again.txt", *ARTICLES["hospital.txt"])
    assistant.ingest([news, other])
    (other / "again.txt").unlink()
    assistant.ingest([news], prune=True)
    assert assistant.articles("Norwick").articles[0].copies == 0  # its file is gone


def test_a_removed_article_is_gone_from_catalog_vectors_keywords_and_answers(
    assistant: Assistant,
) -> None:
    target = assistant.articles("festival").articles[0]
    question = "How many visitors came to the Carden apple festival?"
    assert any(c.article_id == target.id for c in assistant.ask(question).citations)

    removal = assistant.remove([target.id])

    assert [a.id for a in removal.removed] == [target.id]
    assert removal.files_on_disk == (target.source,)
    index = assistant.index
    assert index.catalog.article(target.id) is None
    assert assistant.articles().total == 3
    stored = index.vectors.collection.get(include=["metadatas"])
    assert all(m["article_id"] != target.id for m in stored["metadatas"])
    assert not index.resolve([h.chunk_id for h in index.keyword_search("apple festival", 10)])
    answer = assistant.ask(question)
    assert all(p.article_id != target.id for p in answer.passages)
    assert all(c.article_id != target.id for c in answer.citations)
    assert assistant.status().articles == 3 and not assistant.status().problems


def test_a_plain_ingest_leaves_a_removed_article_out_and_readd_brings_it_back(
    assistant: Assistant, news: Path
) -> None:
    target = assistant.articles("festival").articles[0]
    assistant.remove([target.id])

    report = assistant.ingest([news])
    assert not report.added and [w.source for w in report.withheld] == [
        f"{news / 'festival.txt'} ({target.id})"
    ]
    assert "--readd" in report.withheld[0].reason
    assert assistant.articles("festival").total == 0

    again = assistant.ingest([news], readd=True)
    assert again.added == [target.id] and not again.withheld
    assert assistant.articles("festival").total == 1
    assert not assistant.ingest([news]).withheld  # re-added: no longer withheld


def test_remove_by_file_path_as_given_or_resolved(assistant: Assistant, news: Path) -> None:
    removal = assistant.remove([str(news / "storm.txt")])
    assert [a.title for a in removal.removed] == ["A storm flooded the lower town of Ostend Bay."]
    removal = assistant.remove([str(news / ".." / "news" / "bridge.md")])
    assert [a.title for a in removal.removed] == ["Elmsby opens its harbour bridge"]
    assert assistant.articles().total == 2


def test_an_unknown_target_removes_nothing(assistant: Assistant) -> None:
    known = assistant.articles().articles[0].id
    with pytest.raises(InputError) as caught:
        assistant.remove([known, "no-such-article"])
    assert caught.value.field == "ids" and "no-such-article" in str(caught.value)
    assert assistant.articles().total == 4
    with pytest.raises(InputError):
        assistant.remove([])


def test_a_removed_article_leaves_timelines_and_example_questions(
    assistant: Assistant, news: Path
) -> None:
    from ui.examples import example_questions

    write(news, "festival2.txt", "2024-03-08", "Said Ruth Okafor, the Carden apple festival ended.")
    assistant.ingest([news])
    target = assistant.articles("festival", sort="oldest").articles[0]
    before = assistant.timeline("Carden apple festival")
    assert target.id in {e.article_id for e in before.entries}

    assistant.remove([target.id])

    after = assistant.timeline("Carden apple festival")
    assert target.id not in {e.article_id for e in after.entries}
    assert target.id not in {a.article_id for e in after.entries for a in e.also_in}
    for question in example_questions(assistant):
        cited = assistant.ask(question).citations
        assert all(c.article_id != target.id for c in cited)


def test_an_upload_of_a_removed_file_adds_it_back(assistant: Assistant, tmp_path: Path) -> None:
    from ui.uploads import add_uploads

    upload = write(tmp_path, "otter.txt", "2024-03-10", "An otter swam across Lake Tahoe.")
    report, _ = add_uploads(assistant, [(upload, "otter.txt")])
    otter = assistant.articles("otter").articles[0]
    assistant.remove([otter.id])
    report, _ = add_uploads(assistant, [(upload, "otter.txt")])
    assert report.added == [otter.id] and not report.withheld
