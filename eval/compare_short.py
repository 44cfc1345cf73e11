"""Compare the two short-answer designs on the same answers: the shipped candidate picker
(spaCy's entities ranked by a fitted model) against a span head (`eval.train_span`)
reading the same quoted sentences.

    python -m eval.compare_short QUESTIONS.jsonl --home HOME --span MODEL_DIR --out OUT.json

For every answerable question the assistant answers, both designs read the answer's
quotes; the report gives each one's short containment, exact match and token F1 with
bootstrap intervals, over the same questions.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from eval import metrics as m
from eval.bootstrap import mean_ci
from eval.questions import load_questions
from rag import Assistant, Settings
from rag.answer.support import context_text

MAX_ANSWER_TOKENS = 12


class SpanReader:
    """The span head on ONNX Runtime: the best answer span of a set of sentences."""

    def __init__(self, folder: Path, max_length: int = 96) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self._session = onnxruntime.InferenceSession(
            str(folder / "model.int8.onnx"), providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length)
        self._tokenizer.no_padding()

    def best_span(
        self, question: str, sentences: Sequence[tuple[str, str]], *, null: bool = True
    ) -> str | None:
        """The highest-scoring span (start + end logit, above [CLS]'s unless not `null`)
        of the sentences, each given as (title, sentence); None when [CLS] wins."""
        best: tuple[float, str] | None = None
        for title, sentence in sentences:
            context = context_text(title, sentence)
            enc = self._tokenizer.encode(question, context)
            ids = np.array([enc.ids], dtype=np.int64)
            start, end = self._session.run(
                None,
                {
                    "input_ids": ids,
                    "attention_mask": np.ones_like(ids),
                    "token_type_ids": np.array([enc.type_ids], dtype=np.int64),
                },
            )
            start, end = start[0], end[0]
            floor = float(start[0] + end[0]) if null else -1e9
            second = [i for i, s in enumerate(enc.sequence_ids) if s == 1]
            for i in second:
                for j in second:
                    if i <= j < i + MAX_ANSWER_TOKENS:
                        score = float(start[i] + end[j]) - floor
                        if score > 0 and (best is None or score > best[0]):
                            a, b = enc.offsets[i][0], enc.offsets[j][1]
                            best = (score, context[a:b])
        return best[1] if best else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.compare_short", description=__doc__)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--span", type=Path, required=True, help="eval.train_span output")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    assistant = Assistant(Settings(home=args.home))
    span = SpanReader(args.span)
    rows: dict[str, list[dict[str, float]]] = {"candidates": [], "span": [], "span_any": []}
    for q in tqdm(load_questions(args.questions), file=sys.stderr):
        if not q.answerable:
            continue
        answer = assistant.ask(q.question, until=q.date)
        if answer.abstained:
            continue
        quotes = [(c.title, c.quote) for c in answer.citations]
        for design, short in (
            ("candidates", answer.short_answer.text if answer.short_answer else None),
            ("span", span.best_span(q.question, quotes)),
            ("span_any", span.best_span(q.question, quotes, null=False)),
        ):
            rows[design].append(
                {
                    "short_containment": float(
                        bool(short) and m.contains_any(short or "", q.answers)
                    ),
                    "short_em": float(
                        bool(short)
                        and any(m.normalize(short or "") == m.normalize(g) for g in q.answers)
                    ),
                    "short_f1": m.best_token_f1(short, q.answers) if short else 0.0,
                }
            )
    report: dict[str, Any] = {"questions": str(args.questions), "answered": len(rows["span"])}
    for design, values in rows.items():
        report[design] = {
            metric: mean_ci([v[metric] for v in values])
            for metric in ("short_containment", "short_em", "short_f1")
        }
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
