"""Train the other short-answer design: a span head (transformers' question-answering
head) on the installed MiniLM weights, reading one quoted sentence at a time.

    python -m eval.train_span --data ../shared/training --out OUT

Examples: the sentence holding a SQuAD gold span, and the sentences of a news quiz's
evidence holding a gold answer string (its first occurrence), each with the answer's
character span in `context_text(title, sentence)`; one sentence without the answer per
question points at [CLS] (no answer here). The calibration slice of `eval.reader_data`
is kept out. Writes `OUT/model.int8.onnx` (start and end logits) and the tokenizer; the
comparison with the candidate picker is in eval/results/README.md (not adopted).
"""

from __future__ import annotations

import argparse
import logging
import random
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from eval.metrics import normalize
from eval.reader_data import in_calibration, read_jsonl
from index.embedding import DEFAULT_MODEL, resolve_model
from index.sentences import sentence_spans
from rag.answer.support import context_text

logger = logging.getLogger(__name__)

Example = tuple[str, str, int, int]  # question, context, answer start, end (0, 0: none)


def _find(text: str, answers: Sequence[str]) -> tuple[int, int] | None:
    lowered = text.lower()
    for answer in answers:
        i = lowered.find(answer.lower().strip())
        if answer.strip() and i >= 0:
            return i, i + len(answer.strip())
    return None


def examples(training: Path, share: float, rng: random.Random) -> Iterator[Example]:
    squad = training / "squad2-train-partial"
    paragraphs = {p["id"]: p for p in read_jsonl(squad / "corpus.jsonl")}
    for q in read_jsonl(squad / "questions.jsonl"):
        if in_calibration(q["id"], share) or not q["answers"]:
            continue
        paragraph = paragraphs[q["passage"]]
        text, start = paragraph["text"], q["answer_starts"][0]
        answer = q["answers"][0]
        title = paragraph["title"].replace("_", " ")
        others = []
        for s, e in sentence_spans(text):
            sentence = text[s:e]
            if s <= start and start + len(answer) <= e:
                context = context_text(title, sentence)
                found = _find(context, [answer])
                if found:
                    yield q["question"], context, *found
            else:
                others.append(sentence)
        if others:
            yield q["question"], context_text(title, rng.choice(others)), 0, 0
    news = training / "realtimeqa-train"
    for q in read_jsonl(news / "questions.jsonl"):
        if in_calibration(q["id"], share):
            continue
        evidence = q.get("evidence") or ""
        for s, e in sentence_spans(evidence):
            context = context_text("", evidence[s:e])
            found = _find(context, q["answers"])
            if found:
                yield q["question"], context, *found
            elif normalize(context) and rng.random() < 0.3:
                yield q["question"], context, 0, 0


def encode(batch: Sequence[Example], tokenizer: Any, max_length: int) -> dict[str, Any]:
    """Word-piece inputs and the start and end positions of each answer (0: [CLS])."""
    import torch

    enc = tokenizer(
        [e[0] for e in batch],
        [e[1] for e in batch],
        truncation="longest_first",
        max_length=max_length,
        padding=True,
        return_offsets_mapping=True,
        return_tensors="pt",
    )
    starts, ends = [], []
    for row, (_, _, a, b) in enumerate(batch):
        start = end = 0
        if b > a:
            sequence = enc.sequence_ids(row)
            for i, (s, e) in enumerate(enc["offset_mapping"][row].tolist()):
                if sequence[i] != 1:
                    continue
                if s <= a < e and start == 0:
                    start = i
                if s < b <= e:
                    end = i
            if not (start and end and end >= start):
                start = end = 0
        starts.append(start)
        ends.append(end)
    enc.pop("offset_mapping")
    enc["start_positions"] = torch.tensor(starts)
    enc["end_positions"] = torch.tensor(ends)
    return dict(enc)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.train_span", description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/training"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--max-examples", type=int, default=8000)
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--calibration-share", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    import torch
    from tqdm import tqdm
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    rng = random.Random(args.seed)
    torch.manual_seed(args.seed)
    data = list(examples(args.data, args.calibration_share, rng))
    rng.shuffle(data)
    data = data[: args.max_examples]
    logger.info("%d examples (%d with an answer)", len(data), sum(e[3] > 0 for e in data))
    base = resolve_model(DEFAULT_MODEL)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForQuestionAnswering.from_pretrained(base)
    steps = args.epochs * ((len(data) + args.batch_size - 1) // args.batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.learning_rate, total_steps=steps, pct_start=0.1
    )
    began = time.perf_counter()
    model.train()
    with tqdm(total=steps, desc="span head") as bar:
        for _ in range(args.epochs):
            rng.shuffle(data)
            for i in range(0, len(data), args.batch_size):
                loss = model(
                    **encode(data[i : i + args.batch_size], tokenizer, args.max_length)
                ).loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}")
    logger.info("trained in %.0f s", time.perf_counter() - began)
    model.eval()
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out / "torch")
    tokenizer.save_pretrained(args.out / "torch")
    shutil.copy(args.out / "torch" / "tokenizer.json", args.out / "tokenizer.json")
    export_span_onnx_int8(model, args.out / "model.int8.onnx")
    (args.out / "trained_seconds.txt").write_text(f"{time.perf_counter() - began:.0f}\n")
    return 0


def export_span_onnx_int8(model: Any, target: Path) -> None:
    """The start and end logits as ONNX, then ONNX Runtime's dynamic int8 quantisation."""
    import warnings

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.start_logits, out.end_logits

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = torch.ones((2, 8), dtype=torch.int64)
    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    axes |= {"start": {0: "batch", 1: "tokens"}, "end": {0: "batch", 1: "tokens"}}
    fp32 = target.with_suffix(".fp32.onnx")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Logits(),
            (sample, sample, torch.zeros_like(sample)),
            str(fp32),
            input_names=names,
            output_names=["start", "end"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    quantize_dynamic(fp32, target, weight_type=QuantType.QInt8, per_channel=True)
    fp32.unlink()


if __name__ == "__main__":
    raise SystemExit(main())
