"""Training pairs and calibration sets come from the training files only, split by
question, with the gold sentence positive and the others negative."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from eval.reader_data import answer_span, calibration_sets, in_calibration, training_pairs

NAMES = [f"Q{chr(97 + i)}x" for i in range(30)]  # one winner's name a question


def _write(path: Path, rows: Sequence[Mapping[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _training(root: Path) -> Path:
    paragraph = "Ada Lowe edits the Courier. The Courier is sold in Elmsby. It costs a pound."
    _write(
        root / "squad2-train-partial" / "corpus.jsonl",
        [{"id": "p0", "title": "Elmsby_Courier", "date": "", "text": paragraph}],
    )
    _write(
        root / "squad2-train-partial" / "questions.jsonl",
        [
            {
                "id": f"s{i}",
                "question": "Who edits the Courier?",
                "answers": ["Ada Lowe"],
                "answer_starts": [0],
                "passage": "p0",
            }
            for i in range(20)
        ]
        + [
            {
                "id": "u0",
                "question": "Who founded the Courier?",
                "answers": [],
                "answer_starts": [],
                "passage": "p0",
            }
        ],
    )
    articles = [
        {
            "id": f"a{i}",
            "title": f"Story {i}",
            "date": f"2024-01-0{1 + i % 9}",
            "text": f"Voters in Dunholt chose a mayor. Bram Hale lost the vote for mayor {i}.",
        }
        for i in range(30)
    ]
    _write(root / "realtimeqa-train" / "corpus.jsonl", articles)
    _write(
        root / "realtimeqa-train" / "questions.jsonl",
        [
            {
                "id": f"n{i}",
                "question": "Who won the vote for mayor of Dunholt?",
                "answers": [f"Mara {NAMES[i]}"],
                "choices": [f"Mara {NAMES[i]}", "Bram Hale"],
                "date": "2024-01-12",
                "type": "news-quiz",
                "evidence": f"Mara {NAMES[i]} won the vote in Dunholt. Turnout was low.",
                "answer_bearing": [],
                "retrieved": [f"a{i}"],
            }
            for i in range(30)
        ],
    )
    return root


def test_pairs_label_the_gold_sentence_and_keep_calibration_questions_out(tmp_path: Path) -> None:
    fit, held = training_pairs(_training(tmp_path), negatives=3, calibration_share=0.3, seed=1)
    assert fit and held
    assert not {p.question_id for p in fit} & {p.question_id for p in held}
    assert all(not in_calibration(p.question_id, 0.3) for p in fit)
    squad = [p for p in fit + held if p.source == "squad"]
    assert {p.context for p in squad if p.label} == {"Elmsby Courier: Ada Lowe edits the Courier."}
    assert not [p for p in squad if p.question_id == "u0" and p.label]  # unanswerable: none
    news = [p for p in fit + held if p.source == "news"]
    assert {p.context for p in news if p.label} == {
        f"Mara {name} won the vote in Dunholt." for name in NAMES
    }
    for p in fit + held:  # the span head's target: the gold answer, after the title
        if p.label:
            assert p.answer is not None
            assert p.context[p.answer[0] : p.answer[1]] in (
                "Ada Lowe",
                *[f"Mara {n}" for n in NAMES],
            )
        else:
            assert p.answer is None
    hard = [p.context for p in news if not p.label and "Bram Hale" in p.context]
    assert hard  # a sentence holding a wrong choice is a negative
    for p in news:
        if not p.label:  # never its own question's answer
            assert NAMES[int(p.question_id[1:])] not in p.context


def test_calibration_sets_hold_answerable_and_unanswerable_news(tmp_path: Path) -> None:
    squad, news = calibration_sets(
        _training(tmp_path / "t"), tmp_path / "sets", share=0.5, distractors=5, seed=1
    )
    rows = [json.loads(line) for line in (news / "questions.jsonl").read_text().splitlines()]
    corpus = [json.loads(line) for line in (news / "corpus.jsonl").read_text().splitlines()]
    answerable = {r["id"] for r in rows if r["answers"]}
    assert answerable and len(rows) > len(answerable)  # some are refused by construction
    evidence = {a["id"] for a in corpus if a["id"].startswith("evidence-")}
    assert evidence == {f"evidence-{i}" for i in answerable}
    for r in rows:
        if not r["answers"]:  # nothing of its story is in the corpus
            name = NAMES[int(r["id"][1:])]
            assert all(name not in a["text"] for a in corpus)
    assert (squad / "corpus.jsonl").is_file()
    assert all(in_calibration(r["id"], 0.5) for r in rows)
    dated = {r["id"] for r in rows if r["date"]}
    assert dated and len(dated) < len(rows)  # some asked without a date, as users ask
    assert all(r["date"] == "2024-01-12" for r in rows if r["date"])


def test_the_answer_span_is_found_in_the_sentence_not_the_title() -> None:
    context = "Ada Lowe: Ada Lowe edits  the Courier."
    assert answer_span("Ada Lowe", context, ["ada lowe"]) == (10, 18)
    assert answer_span("", "The Courier is sold in Elmsby.", ["Dunholt", "Elmsby"]) == (23, 29)
    assert answer_span("", "The Courier is sold in Elmsby.", ["Dunholt"]) is None


def test_the_span_head_targets_the_answers_word_pieces_and_skips_negatives() -> None:
    from transformers import AutoTokenizer

    from eval.reader_data import Pair
    from eval.train_reader import encode
    from index.embedding import DEFAULT_MODEL, resolve_model

    tokenizer = AutoTokenizer.from_pretrained(resolve_model(DEFAULT_MODEL))
    context = "Courier: Ada Lowe edits the Courier."
    pairs = [
        Pair(
            "q",
            "Who edits it?",
            context,
            1.0,
            "squad",
            answer_span("Courier", context, ["Ada Lowe"]),
        ),
        Pair("q", "Who edits it?", "Courier: It costs a pound.", 0.0, "squad"),
        Pair("q", "Who edits it?", context, 1.0, "news", None),  # not stated verbatim
    ]
    batch = encode(pairs, tokenizer, 64)
    ids = batch["input_ids"][0].tolist()
    start, end = int(batch["starts"][0]), int(batch["ends"][0])
    assert tokenizer.decode(ids[start : end + 1]) == "ada lowe"
    assert batch["starts"][1:].tolist() == [-100, -100]  # no span to learn from these
    assert batch["ends"][1:].tolist() == [-100, -100]


def test_generic_questions_are_fitted_on_articles_outside_the_calibration_slice(
    tmp_path: Path,
) -> None:
    root = _training(tmp_path)
    text = (
        "Mara Quill, a councillor in Dunholt, opened the bridge on March 3.\n\n"
        "Quill said the bridge had cost less than planned.\n\n"
        "The old ferry will stop running in the summer."
    )
    corpus = root / "realtimeqa-train" / "corpus.jsonl"
    rows = [json.loads(line) for line in corpus.read_text().splitlines()]
    rows += [{"id": f"g{i}", "title": "Bridge", "date": "", "text": text} for i in range(20)]
    _write(corpus, rows)
    fit, held = training_pairs(root, negatives=2, calibration_share=0.3, seed=1, generic=8)
    generic = [p for p in fit if p.source == "generic"]
    assert {p.question for p in generic} == {"Who is Mara Quill?", "What happened on March 3?"}
    assert not [p for p in held if p.source == "generic"]
    for p in generic:
        assert not in_calibration(p.question_id.split("-", 2)[2], 0.3)
        assert p.answer is None  # the support head learns them, not the span head
    positives = {p.question: p.context for p in generic if p.label}
    assert positives["Who is Mara Quill?"].startswith("Bridge: Mara Quill, a councillor")
    _, news = calibration_sets(
        root, tmp_path / "sets", share=0.3, distractors=40, seed=1, generic=4
    )
    asked = [json.loads(line) for line in (news / "questions.jsonl").read_text().splitlines()]
    generic_rows = [r for r in asked if r["id"].startswith("generic-")]
    assert generic_rows and all(r["date"] is None and r["answers"] for r in generic_rows)
    for r in generic_rows:
        assert in_calibration(r["id"].split("-", 2)[2], 0.3)
