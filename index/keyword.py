"""The keyword side of the index: BM25 over chunk texts (bm25s), saved beside the catalog.

It is rebuilt from the catalog after each ingest that changed anything; at the
sizes this tool targets (tens of thousands of chunks) a rebuild takes about a
second, far less than embedding the new chunks.
"""

from __future__ import annotations

import json
import logging
import math
import re
import shutil
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import store_failures

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeywordHit:
    chunk_id: str
    score: float


def english_stopwords() -> list[str]:
    """nltk's English stop words (bundled with llama-index), a fuller list than bm25s's 33.

    Read from the bundled file when it is there: importing `nltk.corpus` takes a second."""
    from index.sentences import bundled_nltk_file

    bundled = bundled_nltk_file("corpora/stopwords/english")
    if bundled is not None:
        return [word for word in bundled.read_text(encoding="utf-8").splitlines() if word]
    from nltk.corpus import stopwords

    from index.sentences import ensure_nltk_data

    ensure_nltk_data()
    return list(stopwords.words("english"))


_DOTTED_ACRONYM = re.compile(r"\b(?:[A-Za-z]\.){2,}")


def _normalise(text: str) -> str:
    """'U.S.' -> 'US' so dotted and undotted acronyms match (single letters are not terms)."""
    return _DOTTED_ACRONYM.sub(lambda m: m.group(0).replace(".", "") + " ", text)


class Analyzer:
    """Lower-cases, drops English stop words and stems: the same for chunks and questions."""

    @cached_property
    def _stopwords(self) -> list[str]:
        return english_stopwords()

    @cached_property
    def _stemmer(self) -> Any:
        import Stemmer

        return Stemmer.Stemmer("english")

    def terms(self, text: str) -> list[str]:
        return self.terms_many([text])[0]

    def terms_many(self, texts: Sequence[str]) -> list[list[str]]:
        """`terms` of many texts in one tokenizer call."""
        if not texts:
            return []
        return [list(t) for t in self._tokenize(texts, return_ids=False)]

    def tokenize_corpus(self, texts: list[str]) -> Any:
        """bm25s's tokenized corpus (ids and vocabulary), for building the index."""
        return self._tokenize(texts, return_ids=True)

    def _tokenize(self, texts: Sequence[str], *, return_ids: bool) -> Any:
        import bm25s

        return bm25s.tokenize(
            [_normalise(t) for t in texts],
            stopwords=self._stopwords,
            stemmer=self._stemmer,
            return_ids=return_ids,
            show_progress=False,
        )


class KeywordIndex:
    """BM25 over the committed chunks, with date keys for filtering and document frequencies."""

    def __init__(self, folder: Path, analyzer: Analyzer | None = None) -> None:
        self._folder = folder
        self.analyzer = analyzer or Analyzer()
        self._loaded: tuple[Any, list[str], np.ndarray, dict[str, int]] | None = None
        self._load_lock = threading.Lock()  # a server's first questions arrive together

    def build(self, rows: Iterable[tuple[str, str, int]]) -> None:
        """Index (chunk id, text, date key) rows and save; replaces the previous index."""
        import bm25s

        # bm25s sets its own logger to DEBUG on import; its build notes are noise here.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        ids, texts, dates = [], [], []
        for chunk_id, text, date_key in rows:
            ids.append(chunk_id)
            texts.append(text)
            dates.append(date_key)
        tmp = self._folder.with_name(self._folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if ids:
            tokenized = self.analyzer.tokenize_corpus(texts)
            retriever = bm25s.BM25()
            retriever.index(tokenized, show_progress=False)
            retriever.save(str(tmp / "bm25"))
            vocab = {term: i for term, i in tokenized.vocab.items()}
            frequencies = np.zeros(len(vocab), dtype=np.int64)
            for doc in tokenized.ids:
                frequencies[np.unique(np.asarray(doc, dtype=np.int64))] += 1
            doc_freq = {term: int(frequencies[i]) for term, i in vocab.items()}
        else:
            doc_freq = {}
        (tmp / "ids.json").write_text(json.dumps(ids))
        (tmp / "doc_freq.json").write_text(json.dumps(doc_freq))
        np.save(tmp / "dates.npy", np.asarray(dates, dtype=np.int64))
        # Swap folders so a reader (or a kill) sees the old index or the new, never half.
        # Between the two renames readers use the old one (`_saved`), so it is deleted
        # only while the folder exists: after a kill there, it is the last complete index.
        old = self._old
        if self._folder.exists():
            shutil.rmtree(old, ignore_errors=True)
            self._folder.rename(old)
        tmp.rename(self._folder)
        shutil.rmtree(old, ignore_errors=True)
        self._loaded = None

    @property
    def _old(self) -> Path:
        return self._folder.with_name(self._folder.name + ".old")

    def _saved(self) -> Path | None:
        """The folder of the saved index: its own, or the previous index's while a build
        is (or was killed) between the two renames of its swap; None if there is none."""
        for folder in (self._folder, self._old):
            if (folder / "ids.json").exists():
                return folder
        return None

    @store_failures("reading the keyword index (BM25 files)")
    def _load(self) -> tuple[Any, list[str], np.ndarray, dict[str, int]]:
        loaded = self._loaded  # one read: `build` may clear it meanwhile
        if loaded is None:
            with self._load_lock:
                if self._loaded is None:
                    self._loaded = self._read()
                loaded = self._loaded
        return loaded

    def reload(self) -> None:
        """Read the saved index again on next use (another process may have rebuilt it)."""
        self._loaded = None

    def _read(self) -> tuple[Any, list[str], np.ndarray, dict[str, int]]:
        """The saved files, all from one build: another process's `build` may swap the
        folder mid-read (a new folder is a new inode), so read again if it did."""
        for _ in range(3):
            try:
                folder = self._saved() or self._folder
                before = folder.stat().st_ino
                loaded = self._read_files(folder)
                if self._saved() == folder and folder.stat().st_ino == before:
                    return loaded
            except FileNotFoundError:  # a swap moved or removed the folder meanwhile
                pass
        return self._read_files(self._saved() or self._folder)

    def _read_files(self, folder: Path) -> tuple[Any, list[str], np.ndarray, dict[str, int]]:
        import bm25s

        ids = json.loads((folder / "ids.json").read_text())
        doc_freq = json.loads((folder / "doc_freq.json").read_text())
        dates = np.load(folder / "dates.npy")
        retriever = bm25s.BM25.load(str(folder / "bm25")) if ids else None
        return (retriever, ids, dates, doc_freq)

    @property
    def exists(self) -> bool:
        return self._saved() is not None

    def search(
        self, query: str, top_k: int, since: int | None = None, until: int | None = None
    ) -> list[KeywordHit]:
        if not self.exists:
            return []
        retriever, ids, dates, _ = self._load()
        terms = self.analyzer.terms(query)
        if retriever is None or not terms:
            return []
        mask = np.ones(len(ids), dtype=bool)
        if since is not None or until is not None:
            mask &= dates > 0  # an undated article is in no date range
        if since is not None:
            mask &= dates >= since
        if until is not None:
            mask &= dates <= until
        if not mask.any():
            return []
        k = min(top_k, int(mask.sum()))
        known = [t for t in terms if t in retriever.vocab_dict]
        if not known:
            return []
        docs, scores = retriever.retrieve(
            [known], k=k, show_progress=False, weight_mask=mask.astype(np.float32)
        )
        return [
            KeywordHit(ids[int(doc)], float(score))
            for doc, score in zip(docs[0], scores[0], strict=True)
            if score > 0
        ]

    def idf(self, term: str) -> float:
        """Inverse document frequency of an analysed term (unknown terms weigh the most)."""
        if not self.exists:
            return 1.0
        _, ids, _, doc_freq = self._load()
        n = max(len(ids), 1)
        df = doc_freq.get(term, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))
