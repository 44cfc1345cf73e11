"""The shipped reader model: the files its card names, unchanged, loading offline; its
support logit and its span head."""

from __future__ import annotations

import json

from rag.answer.support import (
    MODEL_FOLDER,
    SupportScorer,
    context_map,
    context_text,
    file_sha256,
    read_card,
)


def test_the_shipped_files_match_the_hashes_of_the_model_card() -> None:
    card = read_card()
    assert set(card["files"]) == {"model", "tokenizer"}
    for entry in card["files"].values():
        path = MODEL_FOLDER / entry["name"]
        assert path.stat().st_size == entry["bytes"]
        assert file_sha256(path) == entry["sha256"]
    total = sum(entry["bytes"] for entry in card["files"].values())
    assert total <= 30 * 1024 * 1024  # int8: the whole model ships in at most 30 MB
    readme = (MODEL_FOLDER / "README.md").read_text(encoding="utf-8")
    for entry in card["files"].values():
        assert entry["sha256"] in readme  # the human card names the same files
    assert json.loads(json.dumps(card["held_out"]))  # the card reports held-out scores


def test_the_model_loads_offline_and_scores_the_answering_sentence_higher() -> None:
    scorer = SupportScorer(MODEL_FOLDER)  # HF_HUB_OFFLINE=1 (conftest): nothing is fetched
    question = "Which blog does Joel Wing write?"
    logits = scorer.logits(
        question,
        [
            context_text("Iraq analysis", "Joel Wing writes the blog Musings on Iraq."),
            context_text("Iraq analysis", "The US Air Force flew 85 sorties over the region."),
        ],
    )
    assert logits.shape == (2,) and logits[0] > logits[1]
    assert scorer.logits(question, []).shape == (0,)


def test_the_context_maps_back_to_the_sentence_through_folded_whitespace() -> None:
    context, where = context_map("Results", "  Ann   Lee\nwon.")
    assert context == "Results: Ann Lee won."
    assert where[: len("Results: ")] == [-1] * len("Results: ")  # the title is no sentence
    sentence = "  Ann   Lee\nwon."
    assert "".join(sentence[i] if sentence[i].strip() else " " for i in where[9:]) == "Ann Lee won."
    assert context_text("", sentence) == "Ann Lee won."


def test_the_span_head_points_into_the_sentence_and_skips_what_keep_refuses() -> None:
    scorer = SupportScorer(MODEL_FOLDER)
    sentence = "The Elmsby Courier  named\nAda Lowe its editor on Monday."
    (reading,) = scorer.read("Who did the Elmsby Courier name editor?", [("Media", sentence)])
    assert reading.span is not None
    assert sentence[reading.span.start : reading.span.end] == "Ada Lowe"
    (other,) = scorer.read(
        "Who did the Elmsby Courier name editor?",
        [("Media", sentence)],
        keep=lambda text: "Ada" not in text,
    )
    assert other.span is not None and "Ada" not in sentence[other.span.start : other.span.end]
    assert other.span.score < reading.span.score
    assert scorer.read("Who?", []) == []
