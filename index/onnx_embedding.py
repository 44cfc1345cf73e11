"""The sentence-transformers model run by ONNX Runtime, in fp32 or int8.

The default model's int8 export ships with the package (`index/models/`, with its
model card), so the default install has no torch. Any other model, or fp32, is exported
once from its installed files (torch and transformers, the `torch` extra, are imported
for that step only) into a cache folder; afterwards encoding needs only `onnxruntime`
and `tokenizers`, so the query path never imports torch. The int8
variant is ONNX Runtime's dynamic quantisation with per-channel weights: on
realtimeqa-dev texts its vectors keep a cosine of about 0.99 with fp32, where
per-tensor weights kept 0.95.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from index.embedding import DEFAULT_MODEL_NAMES, QueryCachingEmbedder, pool_spans, resolve_model
from index.errors import InputError
from index.imports import HEAVY_IMPORTS
from index.settings import DEFAULT_MODEL, EmbeddingSettings

logger = logging.getLogger(__name__)
EXPORT_VERSION = 1  # bump when the export or quantisation recipe changes
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
# The default model's files for ONNX and its int8 export (`BUNDLED_INT8_FILE`).
BUNDLED_DEFAULT = Path(__file__).parent / "models" / "all-MiniLM-L6-v2-int8"
BUNDLED_INT8_FILE = "model.int8.onnx"
TORCH_EXTRA = "pip install torch==2.13.0 'newsrag[torch]'"


def default_onnx_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsrag" / "onnx"


@dataclass(frozen=True)
class ModelLayout:
    """What the ONNX path needs to know of a sentence-transformers model folder."""

    folder: Path
    max_seq_length: int
    pooling: str  # "mean" or "cls"

    @classmethod
    def read(cls, folder: Path) -> ModelLayout:
        if not (folder / "tokenizer.json").is_file():
            raise InputError(
                f"the onnx embedding backend needs a fast tokenizer (tokenizer.json) in {folder}; "
                "use embedding.backend=torch for this model",
                field="embedding.backend",
            )
        config = _read_json(folder / "sentence_bert_config.json")
        pooling = _read_json(folder / "1_Pooling" / "config.json")
        if pooling.get("pooling_mode_cls_token"):
            mode = "cls"
        elif pooling.get("pooling_mode_mean_tokens", True):
            mode = "mean"
        else:
            raise InputError(
                f"the onnx embedding backend supports mean or CLS pooling; {folder} uses "
                "another: use embedding.backend=torch for this model",
                field="embedding.backend",
            )
        model_config = _read_json(folder / "config.json")
        limit = int(
            config.get("max_seq_length") or model_config.get("max_position_embeddings", 512)
        )
        return cls(folder=folder, max_seq_length=limit, pooling=mode)

    def digest(self, quantized: bool) -> str:
        """Names the exported file: the model's files (by name, size and config bytes)."""
        digest = hashlib.sha256(f"v{EXPORT_VERSION} int8={quantized}".encode())
        for path in sorted(self.folder.rglob("*")):
            if path.is_file():
                digest.update(f"{path.relative_to(self.folder)}:{path.stat().st_size}".encode())
                if path.suffix == ".json":
                    digest.update(path.read_bytes())
        return digest.hexdigest()[:16]


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def local_model_folder(name: str) -> Path:
    """The model's files on disk: a local path, the bundled MiniLM, or the HF cache."""
    resolved = Path(resolve_model(name))
    if resolved.is_dir():
        return resolved
    if name in DEFAULT_MODEL_NAMES:
        raise InputError(
            f"only the int8 ONNX export of {DEFAULT_MODEL} is installed; its weights for "
            f"fp32 or torch come with the torch extra: {TORCH_EXTRA}",
            field="embedding.backend",
        )
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(name))


def export_onnx(layout: ModelLayout, target: Path, *, quantized: bool) -> Path:
    """Write `target` (the transformer's token vectors as ONNX, int8 if asked) once.

    Another process exporting the same model waits on a file lock and then finds the
    file; a half-written export is never seen, since the file is renamed into place.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if target.exists():
            return target
        logger.info(
            "exporting %s to ONNX (%s) at %s",
            layout.folder,
            "int8" if quantized else "fp32",
            target,
        )
        with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
            fp32 = Path(scratch) / "model.onnx"
            _export_fp32(layout.folder, fp32)
            if quantized:
                from onnxruntime.quantization import QuantType, quantize_dynamic

                int8 = Path(scratch) / "model.int8.onnx"
                root = logging.getLogger()  # ONNX Runtime advises "pre-processing" there
                root.addFilter(_quantizer_advice)
                try:
                    quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8, per_channel=True)
                finally:
                    root.removeFilter(_quantizer_advice)
                fp32 = int8
            os.replace(fp32, target)
    return target


def _quantizer_advice(record: logging.LogRecord) -> bool:
    """Drops ONNX Runtime's advice to pre-process the model, printed on every export: the
    quantised encoder's vectors are checked against fp32 instead (tests, bench)."""
    return not str(record.msg).startswith("Please consider to run pre-processing")


def _export_fp32(folder: Path, path: Path) -> None:
    try:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as transformers_logging
    except ImportError as missing:
        raise InputError(
            f"exporting {folder} to ONNX needs torch and transformers ({missing}): {TORCH_EXTRA}",
            field="embedding.backend",
        ) from missing

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(folder)).eval()

    class TokenVectors(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            output = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return output.last_hidden_state

    sample = torch.ones((2, 8), dtype=torch.int64)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUT_NAMES, "token_vectors")}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on shapes that are fixed per call
        torch.onnx.export(
            TokenVectors(),
            (sample, sample, torch.zeros_like(sample)),
            str(path),
            input_names=list(INPUT_NAMES),
            output_names=["token_vectors"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,  # the torch.export path needs onnxscript and gains nothing here
        )


class OnnxEmbedder(QueryCachingEmbedder):
    """A sentence-transformers model on ONNX Runtime; `quantized` picks int8 weights.

    >>> embedder = OnnxEmbedder(EmbeddingSettings(backend="onnx-int8"))
    >>> embedder.embed_query("Who leads Hezbollah?").shape  # doctest: +SKIP
    (384,)
    """

    def __init__(self, settings: EmbeddingSettings) -> None:
        super().__init__()
        self._settings = settings
        self._quantized = settings.backend == "onnx-int8"
        self._lock = threading.Lock()
        self._session: Any = None

    @property
    def name(self) -> str:
        """int8 vectors differ from fp32 ones, so an int8 index records its own name;
        fp32 ONNX vectors equal torch's (cosine 1 - 1e-7) and share the model's name."""
        return f"{self._settings.model} (onnx-int8)" if self._quantized else self._settings.model

    @cached_property
    def layout(self) -> ModelLayout:
        if self._quantized and self._settings.model in DEFAULT_MODEL_NAMES:
            return ModelLayout.read(BUNDLED_DEFAULT)
        return ModelLayout.read(local_model_folder(self._settings.model))

    @property
    def session(self) -> Any:
        with self._lock, HEAVY_IMPORTS:  # an export imports torch and transformers
            if self._session is None:
                import onnxruntime

                layout = self.layout
                cache = self._settings.onnx_cache or default_onnx_cache()
                suffix = "int8" if self._quantized else "fp32"
                path = layout.folder / BUNDLED_INT8_FILE
                if not (self._quantized and path.is_file()):
                    path = export_onnx(
                        layout,
                        Path(cache)
                        / f"{layout.folder.name}-{layout.digest(self._quantized)}-{suffix}.onnx",
                        quantized=self._quantized,
                    )
                options = onnxruntime.SessionOptions()
                options.log_severity_level = 3
                # Idle pool threads sleep instead of spinning: the question's parse runs
                # beside the query encode, and an ingest beside a server, on few cores.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                if self._settings.threads is not None:
                    options.intra_op_num_threads = self._settings.threads
                self._session = onnxruntime.InferenceSession(
                    str(path), options, providers=["CPUExecutionProvider"]
                )
            return self._session

    @cached_property
    def _model_tokenizer(self) -> Any:
        """Truncates to the model's reach and pads a batch; used only for encoding."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.layout.folder / "tokenizer.json"))
        tokenizer.enable_truncation(self.layout.max_seq_length)
        tokenizer.no_padding()
        return tokenizer

    @cached_property
    def _offsets_tokenizer(self) -> Any:
        """Never truncates: measuring an article reads all of it."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.layout.folder / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer

    @property
    def max_tokens(self) -> int:
        special = self._model_tokenizer.num_special_tokens_to_add(False)
        return int(self.layout.max_seq_length) - int(special)

    @property
    def dimensions(self) -> int:
        return int(self.embed_query("dimensions").shape[0])

    def token_offsets(self, text: str) -> Sequence[tuple[int, int]]:
        encoded = self._offsets_tokenizer.encode(text, add_special_tokens=False)
        return [(int(start), int(end)) for start, end in encoded.offsets]

    def _token_vectors(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Each text's contextual word-piece vectors, [CLS] and [SEP] included, in
        batches of similar length so little padding is computed."""
        encodings = self._model_tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda row: len(encodings[row].ids))
        vectors: list[np.ndarray] = [np.empty(0)] * len(texts)
        session = self.session
        for start in range(0, len(order), self._settings.batch_size):
            rows = order[start : start + self._settings.batch_size]
            width = max(len(encodings[row].ids) for row in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            types = np.zeros((len(rows), width), dtype=np.int64)
            for line, row in enumerate(rows):
                encoding = encodings[row]
                ids[line, : len(encoding.ids)] = encoding.ids
                mask[line, : len(encoding.ids)] = 1
                types[line, : len(encoding.ids)] = encoding.type_ids
            (output,) = session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            )
            for line, row in enumerate(rows):
                vectors[row] = np.asarray(output[line, : len(encodings[row].ids)], dtype=np.float32)
        return vectors

    def _pool(self, tokens: np.ndarray) -> np.ndarray:
        vector = tokens[0] if self.layout.pooling == "cls" else tokens.mean(axis=0)
        return vector / max(float(np.linalg.norm(vector)), 1e-12)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        token_vectors = self._token_vectors(texts)
        if not token_vectors:
            return np.empty((0, 0), dtype=np.float32)
        return np.stack([self._pool(tokens) for tokens in token_vectors]).astype(np.float32)

    def embed_chunks(
        self, texts: Sequence[str], sentences: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """As `SentenceTransformerEmbedder.embed_chunks`: one pass gives the chunk vectors
        and the sentence vectors pooled from its word-piece vectors."""
        token_vectors = self._token_vectors(texts)
        chunk_vectors = np.stack([self._pool(tokens) for tokens in token_vectors]).astype(
            np.float32
        )
        sentence_vectors = [
            pool_spans(tokens[1:], self.token_offsets(text), spans, chunk_vectors[row])
            for row, (text, spans, tokens) in enumerate(
                zip(texts, sentences, token_vectors, strict=True)
            )
        ]
        return chunk_vectors, sentence_vectors

    def _load(self) -> object:
        return self.session
