"""The chat's handlers without a browser: streaming, errors as messages, uploads, examples."""

from __future__ import annotations

import html
import itertools
import re
from pathlib import Path

import gradio as gr
import pytest

from rag import Assistant
from ui import chat
from ui.examples import candidate_questions, example_questions
from ui.page import EMPTY_ARTICLE, EMPTY_SOURCES
from ui.uploads import add_uploads, safe_name, uploads_dir

QUESTION = "How many targets did U.S. airstrikes hit on Feb. 2?"


def ask(session: chat.ChatSession, question: str, answers=None, since: str = "") -> list:
    return list(session.respond(question, [], answers or [], 5, since, ""))


def test_answers_stream_in_growing_prefixes_then_fill_the_sources(
    seeded_fake_assistant: Assistant,
) -> None:
    updates = ask(chat.ChatSession(seeded_fake_assistant), QUESTION)
    texts = [u[0][-1]["content"] for u in updates]
    assert len(updates) > 2
    assert all(len(a) <= len(b) for a, b in itertools.pairwise(texts))
    messages, answers, sources, copied, question_box, _ = updates[-1]
    assert "85 targets" in messages[-1]["content"] and "#cite-0-1" in messages[-1]["content"]
    assert len(answers) == 1 and "85 targets" in copied and question_box == ""
    assert "<mark" in sources


def test_input_errors_and_an_empty_index_become_messages(fake_assistant: Assistant) -> None:
    session = chat.ChatSession(fake_assistant)
    empty_index = ask(session, QUESTION)[-1][0][-1]["content"]
    assert "rag-error" in empty_index and "empty" in empty_index


def test_the_corpus_panel_of_an_empty_index(fake_assistant: Assistant) -> None:
    status, examples = chat.ChatSession(fake_assistant).corpus()
    assert "0 articles" in status and examples.samples == []


def test_a_bad_date_is_reported_in_the_chat(seeded_fake_assistant: Assistant) -> None:
    last = ask(chat.ChatSession(seeded_fake_assistant), QUESTION, since="10/02/2024")[-1]
    assert "rag-error" in last[0][-1]["content"] and "since" in last[0][-1]["content"]


def test_follow_ups_carry_the_conversation(seeded_fake_assistant: Assistant) -> None:
    session = chat.ChatSession(seeded_fake_assistant)
    first = ask(session, "Who is Aron Lund?")[-1]
    second = ask(session, "And what did he say about Gaza?", answers=first[1])[-1]
    assert len(second[1]) == 2
    assert [t.role for t in chat.history(second[1])] == ["user", "assistant"] * 2


def test_opening_a_citation_highlights_its_span(seeded_fake_assistant: Assistant) -> None:
    session = chat.ChatSession(seeded_fake_assistant)
    answers = ask(session, QUESTION)[-1][1]
    sources, article = session.open_citation("0-1-7", answers)
    citation = answers[0].citations[0]
    assert 'id="rag-focus"' in article and citation.quote in article
    assert "<mark" in sources


def test_answers_stay_aligned_with_questions_after_an_error(
    seeded_fake_assistant: Assistant,
) -> None:
    session = chat.ChatSession(seeded_fake_assistant)
    failed = ask(session, QUESTION, since="not a date")[-1][1]
    assert failed == [None]
    messages, answers = ask(session, QUESTION, answers=failed)[-1][:2]
    assert "#cite-1-1" in messages[-1]["content"]
    sources, article = session.open_citation("1-1-1", answers)
    assert 'id="rag-focus"' in article and "<mark" in sources
    assert session.open_citation("0-1-2", answers) == (gr.skip(), gr.skip())
    assert len(chat.history(answers)) == 2


@pytest.mark.parametrize(
    ("pick", "shows_sources"), [("", False), ("x", False), ("5-1-1", False), ("0-9-1", True)]
)
def test_a_stale_or_odd_pick_changes_nothing_harmful(
    seeded_fake_assistant: Assistant, pick: str, shows_sources: bool
) -> None:
    session = chat.ChatSession(seeded_fake_assistant)
    answers = ask(session, QUESTION)[-1][1]
    sources, article = session.open_citation(pick, answers)
    assert article == gr.skip()  # no article opens for a pick that names no citation
    if shows_sources:  # the answer exists: its sources show, citation 9 does not
        assert isinstance(sources, str) and "<mark" in sources
    else:
        assert sources == gr.skip()


def test_uploads_land_in_the_home_and_report_what_was_skipped(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    good = tmp_path / "in" / "good.md"
    good.parent.mkdir()
    good.write_text("date 2024-03-01\n# Otters\n\nThe otter Bob swam 12 miles on Monday.\n")
    empty = tmp_path / "in" / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "in" / "photo.png"
    binary.write_bytes(b"\x89PNG")
    uploads = [(good, "../../good.md"), (empty, "empty.txt"), (binary, "photo.png")]
    report, names = add_uploads(fake_assistant, uploads)
    assert len(report.added) == 1
    skipped = {s.source: s.reason for s in report.skipped}
    assert "photo.png" in skipped and any("empty" in s for s in skipped)
    assert (uploads_dir(fake_assistant) / "good.md").exists()
    assert all(Path(p).parent == uploads_dir(fake_assistant) for p in names)


def test_two_different_uploads_with_one_name_are_two_articles(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    first, second = tmp_path / "a" / "notes.txt", tmp_path / "b" / "notes.txt"
    for path, body in ((first, "Otters swam in Elmsby."), (second, "Beavers built a dam.")):
        path.parent.mkdir()
        path.write_text(f"date 2024-03-01\n\n{body}\n")
    added = add_uploads(fake_assistant, [(first, "notes.txt")])[0].added
    added += add_uploads(fake_assistant, [(second, "notes.txt")])[0].added
    again = add_uploads(fake_assistant, [(second, "notes.txt")])[0]  # the same file twice
    assert len(added) == 2 and again.unchanged and not again.added
    texts = {fake_assistant.article(a).text for a in added}
    assert texts == {"Otters swam in Elmsby.", "Beavers built a dam."}
    assert len(list(uploads_dir(fake_assistant).iterdir())) == 2


def test_the_upload_handler_reports_in_the_page(fake_assistant: Assistant, tmp_path: Path) -> None:
    session = chat.ChatSession(fake_assistant)
    report, *_ = session.upload(None)
    assert "rag-error" in report and "choose" in report
    article = tmp_path / "otter.txt"
    article.write_text("date 2024-03-01\n\nThe otter Bob swam 12 miles on Monday.\n")
    report, status, _, cleared = session.upload([str(article)])
    assert report.startswith("Added 1") and "1 article" in status and cleared is None


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\x\\a b.md", "a_b.md"),
        (".hidden.txt", "hidden.txt"),
    ],
)
def test_safe_name_keeps_only_a_plain_base_name(name: str, safe: str) -> None:
    assert safe_name(name) == safe


def test_examples_come_from_the_corpus_and_get_answers(seeded_fake_assistant: Assistant) -> None:
    examples = example_questions(seeded_fake_assistant)
    assert examples and "Who is Aron Lund?" in examples
    assert all(not seeded_fake_assistant.ask(q).abstained for q in examples)


def test_examples_are_worked_out_again_only_after_the_index_changes(
    seeded_fake_assistant: Assistant, tmp_path: Path
) -> None:
    session = chat.ChatSession(seeded_fake_assistant)
    first = session.examples(seeded_fake_assistant.status())
    assert session.examples(seeded_fake_assistant.status()) is first
    extra = tmp_path / "extra.txt"
    extra.write_text("date 2024-03-01\n\nThe river rose, said Maria Lopez, on March 1.\n")
    seeded_fake_assistant.ingest([extra])
    assert session.examples(seeded_fake_assistant.status()) is not first


def test_a_date_range_without_articles_abstains(seeded_fake_assistant: Assistant) -> None:
    messages, answers, sources = ask(
        chat.ChatSession(seeded_fake_assistant), QUESTION, since="2030-01-01"
    )[-1][:3]
    assert answers[0] is not None and answers[0].abstained
    assert "rag-abstain" in messages[-1]["content"] and "<mark" not in sources


def test_candidate_questions_skip_sentence_openers() -> None:
    text = "For Iran, the aim is clear, said Aron Lund. Strikes began on Feb. 2 at dawn."
    assert candidate_questions(text) == ["Who is Aron Lund?", "What happened on February 2?"]


def test_one_date_spelt_two_ways_is_one_candidate() -> None:
    text = "Strikes began on Feb. 2. More came on February 2 and on Sept. 03."
    assert candidate_questions(text) == [
        "What happened on February 2?",
        "What happened on September 3?",
    ]


def test_examples_are_diverse_and_answered(seeded_fake_assistant: Assistant) -> None:
    examples = example_questions(seeded_fake_assistant)
    assert len(examples) >= 2
    assert len({" ".join(q.split()[:2]) for q in examples}) >= 2  # not all one form
    firsts = [seeded_fake_assistant.ask(q).citations[0] for q in examples]
    assert len({(c.article_id, c.start) for c in firsts}) == len(examples)  # no rephrasings


def test_stream_prefixes_end_before_the_whole_text() -> None:
    text = "one two three four five six seven"
    prefixes = list(chat.stream_prefixes(text, words=2))
    assert prefixes == ["one two ", "one two three four ", "one two three four five six "]


def marked(article_html: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r"<mark[^>]*>(.*?)</mark>", article_html)]


def test_the_article_panel_follows_the_newest_answer(seeded_fake_assistant: Assistant) -> None:
    session = chat.ChatSession(seeded_fake_assistant)
    first = ask(session, QUESTION)
    assert all(update[5] == EMPTY_ARTICLE for update in first[:-1])  # cleared while streaming
    answers = first[-1][1]
    cited = answers[0].citations[0]
    assert cited.quote in marked(first[-1][5]) and 'id="rag-focus"' in first[-1][5]

    second = ask(session, "Who is Aron Lund?", answers=answers)[-1]
    latest = second[1][-1]
    panel = second[5]
    same_article = [
        c.quote for c in latest.citations if c.article_id == latest.citations[0].article_id
    ]
    assert marked(panel) == sorted(same_article, key=panel.index)  # only this answer's spans
    assert cited.quote not in marked(panel)

    failed = ask(session, QUESTION, answers=second[1], since="not a date")[-1]
    assert failed[2] == EMPTY_SOURCES and failed[5] == EMPTY_ARTICLE


def test_selecting_an_earlier_answer_brings_back_its_article(
    seeded_fake_assistant: Assistant,
) -> None:
    session = chat.ChatSession(seeded_fake_assistant)
    answers = ask(session, QUESTION)[-1][1]
    answers = ask(session, "Who is Aron Lund?", answers=answers)[-1][1]
    sources, copied, article = session.select_answer(
        answers, gr.SelectData(None, {"index": 1, "value": ""})
    )
    assert answers[0].citations[0].quote in marked(article)
    assert "85 targets" in copied and "<mark" in sources
