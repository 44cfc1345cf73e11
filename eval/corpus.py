"""Cached indexes of benchmark corpora, keyed by the corpus content and the index settings.

Building the index of a 1,700-article corpus takes minutes, so `rag eval --corpus C`
builds it once under the cache folder and reuses it while neither the corpus bytes,
the settings that shape the index (model, chunking) nor the index code change.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
from pathlib import Path

from rag import Assistant, Settings

logger = logging.getLogger(__name__)

CACHE_ENV = "NEWSRAG_EVAL_CACHE"
DONE_MARKER = "eval-index-complete.json"


def cache_root() -> Path:
    """`$NEWSRAG_EVAL_CACHE`, else `~/.cache/newsrag/eval`."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "newsrag" / "eval"


def corpus_digest(corpus: Path) -> str:
    """sha256 over the corpus files' names and bytes (a folder is walked in sorted order)."""
    digest = hashlib.sha256()
    files = sorted(p for p in corpus.rglob("*") if p.is_file()) if corpus.is_dir() else [corpus]
    for path in files:
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def index_code_digest() -> str:
    """sha256 of the `index` package's source: the code that cut and stored a cached index.

    Part of the cache key, so an index built by other index code is never reused (any
    edit under index/ costs a rebuild, which is the safe side). Read as files, not
    imported: eval uses `rag`'s public API only.
    """
    spec = importlib.util.find_spec("index")
    folders = spec.submodule_search_locations if spec else None
    if not folders:
        raise RuntimeError("the index package is not installed beside eval")
    digest = hashlib.sha256()
    for path in sorted(Path(next(iter(folders))).glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def index_key(corpus: Path, settings: Settings, kind: str = "newsrag") -> str:
    """Folder name of the cached index: the corpus digest plus what shapes the index."""
    shaping: dict[str, object] = {
        "kind": kind,
        # Not where or how fast the model runs, nor where its export is kept.
        "embedding": settings.embedding.model_dump(
            mode="json", exclude={"device", "threads", "onnx_cache"}
        ),
        "chunking": settings.chunking.model_dump(mode="json"),
    }
    if kind == "newsrag":  # the textbook baseline chunks with llama-index, not our code
        shaping["index_code"] = index_code_digest()
    settings_digest = hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()
    name = corpus.parent.name if corpus.stem == "corpus" else corpus.stem
    return f"{name}-{kind}-{corpus_digest(corpus)[:12]}-{settings_digest[:8]}"


def corpus_settings(corpus: Path, settings: Settings, root: Path | None = None) -> Settings:
    """`settings` with `home` pointed at the cached index of `corpus` (built if missing)."""
    home = (root or cache_root()) / index_key(corpus, settings)
    cached = settings.model_copy(update={"home": home})
    marker = home / DONE_MARKER
    if marker.exists():
        logger.info("reusing the cached index at %s", home)
        return cached
    logger.info("building an index of %s at %s", corpus, home)
    home.mkdir(parents=True, exist_ok=True)
    # A folder without the marker is a build that was interrupted: ingest is incremental
    # and crash-safe, so running it again keeps the articles already written.
    report = Assistant(cached).ingest([corpus])
    marker.write_text(
        json.dumps({"corpus": str(corpus), "articles": len(report.added) + len(report.unchanged)})
    )
    return cached
