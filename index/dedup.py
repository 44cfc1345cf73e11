"""Near-duplicate articles and boilerplate pages, found at ingest with MinHash LSH.

Every stored article gets a MinHash sketch of its word shingles (`sketches` table).
An ingest sketches only the articles whose sketch is missing or older than their text
(new and updated ones; every article on the first ingest after an upgrade, with a
progress bar) and checks each against the stored sketches through an LSH index:
pairs whose estimated Jaccard similarity reaches `dedup.threshold` are stored
(`near_pairs`). Clusters are the connected groups of pairs, so removing an article
(its pairs go with it) splits or shrinks its cluster without any recomputation.

A text carried by many articles under different titles (the same cookie notice under
each headline of a scraped site) is boilerplate: counted over a cluster's members and
the exact copies stored once (`copy_titles`). Nothing is dropped: every article stays
stored, listed and citable; retrieval may collapse clusters and leave boilerplate out
(`rag.retrieval.dedup`).

>>> clusters = load_clusters(index.catalog, index.settings.dedup)  # doctest: +SKIP
>>> clusters.others("a1")  # the other copies of a1's story  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.articles import Article, date_key, headline
from index.catalog import Catalog
from index.progress import progress_bar
from index.settings import DedupSettings

logger = logging.getLogger(__name__)

_WORDS = re.compile(r"\w+")
_SPACE = re.compile(r"\s")
LOWER_SLICE = 1 << 20  # characters lower-cased at once
SKETCH_SLICE = 4096  # shingles hashed per call: 4 MB of work arrays at 128 permutations
_PARAMS = "dedup_params"  # catalog meta: the settings the stored sketches were made with
_SEED = 1
# datasketch 2's 32-bit permutations (its default, named so stored sketches stay readable).
_SCHEME = "affine32"
_BATCH = 500


@dataclass(frozen=True)
class Member:
    """A stored article as a cluster sees it."""

    id: str
    title: str
    date: str
    source: str
    chars: int

    @property
    def order(self) -> tuple[int, int, str]:
        """The representative comes first: the earliest (undated last), then the longest."""
        key = date_key(self.date)
        return (key if key else 99_999_999, -self.chars, self.id)


@dataclass(frozen=True)
class Clusters:
    """The near-duplicate clusters of an index and its boilerplate articles."""

    members: dict[str, Member] = field(default_factory=dict)  # every clustered or flagged id
    cluster_of: dict[str, int] = field(default_factory=dict)  # article id -> cluster number
    groups: tuple[tuple[str, ...], ...] = ()  # each cluster's ids, representative first
    boilerplate: frozenset[str] = frozenset()

    def others(self, article_id: str) -> tuple[Member, ...]:
        """The other articles of `article_id`'s cluster, representative first."""
        number = self.cluster_of.get(article_id)
        if number is None:
            return ()
        return tuple(self.members[i] for i in self.groups[number] if i != article_id)

    def representative(self, article_id: str) -> str:
        number = self.cluster_of.get(article_id)
        return article_id if number is None else self.groups[number][0]


@dataclass
class DedupReport:
    """What an ingest found: the clusters and boilerplate articles of the whole index."""

    sketched: int = 0  # articles sketched by this ingest (new, changed, or backfilled)
    clusters: int = 0
    clustered_articles: int = 0
    boilerplate: list[str] = field(default_factory=list)  # "title (id)"


def shingles(text: str, words: int) -> Iterator[bytes]:
    """The article's runs of `words` consecutive lower-cased words, in text order, made one
    at a time; a text of fewer words is one run. A run that recurs comes again: MinHash
    keeps each permutation's minimum, so a repeat changes nothing."""
    run: deque[str] = deque(maxlen=words)
    for piece in _lowered(text):
        for match in _WORDS.finditer(piece):
            run.append(match.group())
            if len(run) == words:
                yield " ".join(run).encode("utf-8")
    if len(run) < words:
        yield " ".join(run).encode("utf-8")


def _lowered(text: str) -> Iterator[str]:
    """`text.lower()` in pieces of about `LOWER_SLICE` characters, each ending after a
    whitespace character, so that no word is cut and every letter keeps its context (a
    final sigma). At once, `str.lower` of any non-ASCII text takes 13-16 bytes of work
    memory per character: 480 MB for a 30 MB article with emoji."""
    start = 0
    while start < len(text):
        cut = _SPACE.search(text, start + LOWER_SLICE)
        end = cut.end() if cut else len(text)
        yield text[start:end].lower()
        start = end


def sketch(text: str, settings: DedupSettings) -> np.ndarray:
    """The MinHash signature of `text`: `num_perm` uint32 values."""
    from datasketch import MinHash

    minhash = MinHash(
        num_perm=settings.num_perm,
        seed=_SEED,
        scheme=_SCHEME,
        permutations=_permutations(settings.num_perm),
    )
    # In slices: one call hashes its shingles into a (shingles x num_perm) uint64 array,
    # 174 MB for a 1 MB article read at once. The shingles are made as they are hashed,
    # never held all at once.
    runs = shingles(text, settings.shingle_words)
    while piece := list(itertools.islice(runs, SKETCH_SLICE)):
        minhash.update_batch(piece)
    return np.asarray(minhash.hashvalues, dtype=np.uint32)


@functools.cache
def _permutations(num_perm: int) -> Any:
    """The random permutations of `num_perm`, drawn once (a new MinHash draws them again)."""
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, seed=_SEED, scheme=_SCHEME).permutations


def _params(settings: DedupSettings) -> dict[str, object]:
    return {
        "shingle_words": settings.shingle_words,
        "num_perm": settings.num_perm,
        "threshold": settings.threshold,
    }


def refresh_dedup(
    catalog: Catalog,
    settings: DedupSettings,
    loaded: Sequence[Article],
    read: Sequence[str],
    sketches: SketchIndex | None = None,
) -> DedupReport:
    """Sketch the stored articles that need it, store their near-duplicate pairs, and
    record the titles under which `loaded` articles repeat a stored text (the files
    `read` are what was just ingested). Under the writer lock; one transaction, and
    none at all when nothing changed (a re-ingest of an unchanged corpus). `sketches`
    keeps the LSH index for the next ingest of the same process."""
    renew = catalog.get_meta(_PARAMS) != _params(settings)
    # Only the articles to sketch are read (all of them when the settings changed).
    stale = {i: h for i, (h, _) in catalog.versions().items()} if renew else catalog.unsketched()
    index = sketches or SketchIndex()
    if renew:
        index.forget()
    signatures, pairs = _sketch(catalog, settings, sorted(stale), index)
    titles = _copy_titles(catalog, loaded)
    titles_changed = set(titles) != catalog.copy_titles_from(read)
    if renew or signatures or titles_changed:
        with catalog.transaction():
            if renew:
                catalog.clear_sketches()
                catalog.set_meta(_PARAMS, _params(settings))
            for article_id, values in signatures.items():
                catalog.put_sketch(article_id, stale[article_id], values.tobytes())
            catalog.add_near_pairs(pairs)
            catalog.record_copy_titles(read, titles)
            catalog.bump_generation()  # readers elsewhere reload the clusters
        if signatures:  # what the index held plus these: what the catalog now stores
            index.synced(catalog)
    if pairs:
        logger.info("%d near-duplicate pairs among %d new sketches", len(pairs), len(stale))
    clusters = load_clusters(catalog, settings)
    return DedupReport(
        sketched=len(signatures),
        clusters=len(clusters.groups),
        clustered_articles=len(clusters.cluster_of),
        boilerplate=[f"{clusters.members[i].title} ({i})" for i in sorted(clusters.boilerplate)],
    )


class SketchIndex:
    """The stored sketches as an LSH index, kept in memory between the ingests of one
    process: an ingest of one article then checks it against the index instead of
    reading and indexing every stored sketch again (1.6 s of a 3.3 s one-article ingest
    at 9,300 articles). Rebuilt from the catalog whenever a stored sketch went or came
    since it was last in step (`Catalog.sketch_version`: another process wrote, this one
    removed an article, or the settings changed). Used under the writer lock."""

    def __init__(self) -> None:
        self._lsh: Any = None
        self._lean: dict[str, Any] = {}
        self._params: dict[str, object] | None = None
        self._version: int | None = None  # the catalog's sketch version it is in step with

    def forget(self) -> None:
        """Drop what is held: the next `against` reads the stored sketches again."""
        self._version = None

    def synced(self, catalog: Catalog) -> None:
        """Record that the catalog now stores what is held: its owner just committed the
        sketches it added since `against`."""
        self._version = catalog.sketch_version()

    def against(
        self, catalog: Catalog, settings: DedupSettings, stale: Sequence[str]
    ) -> tuple[Any, dict[str, Any]]:
        """(LSH index, id -> LeanMinHash) of the stored sketches of current texts, the
        `stale` articles (about to be sketched again) left out."""
        from datasketch import LeanMinHash, MinHashLSH

        version = catalog.sketch_version()
        if self._params == _params(settings) and self._version == version:
            for article_id in stale:  # updated articles are sketched again
                if article_id in self._lean:
                    self._lsh.remove(article_id)
                    del self._lean[article_id]
            return self._lsh, self._lean
        self._lsh = MinHashLSH(threshold=settings.threshold, num_perm=settings.num_perm)
        self._lean = {}
        self._params, self._version = _params(settings), version
        left_out = set(stale)
        for article_id, signature in catalog.sketches().items():
            if article_id not in left_out:
                values = np.frombuffer(signature, dtype=np.uint32)
                minhash = LeanMinHash(seed=_SEED, hashvalues=values, scheme=_SCHEME)
                self._lean[article_id] = minhash
                self._lsh.insert(article_id, minhash, check_duplication=False)
        return self._lsh, self._lean


def _sketch(
    catalog: Catalog,
    settings: DedupSettings,
    stale: list[str],
    sketches: SketchIndex,
) -> tuple[dict[str, np.ndarray], list[tuple[str, str, float]]]:
    """Sketches of the `stale` articles, and their pairs with the other stored ones and
    with each other, found through the LSH index of the stored sketches."""
    if not stale:
        return {}, []
    from datasketch import LeanMinHash

    lsh, lean = sketches.against(catalog, settings, stale)
    signatures: dict[str, np.ndarray] = {}
    pairs: list[tuple[str, str, float]] = []
    with progress_bar(total=len(stale), desc="near-duplicates", unit="article") as bar:
        for start in range(0, len(stale), _BATCH):
            texts = catalog.articles(stale[start : start + _BATCH])
            for article_id in stale[start : start + _BATCH]:
                values = sketch(texts[article_id].text, settings)
                signatures[article_id] = values
                minhash = LeanMinHash(seed=_SEED, hashvalues=values, scheme=_SCHEME)
                for other in lsh.query(minhash):
                    similarity = float(minhash.jaccard(lean[other]))
                    if similarity >= settings.threshold:
                        pairs.append((article_id, other, similarity))
                lean[article_id] = minhash
                lsh.insert(article_id, minhash, check_duplication=False)
                bar.update(1)
    return signatures, pairs


def _copy_titles(catalog: Catalog, loaded: Sequence[Article]) -> list[tuple[str, str, str]]:
    """(owner, source, title) of each loaded article whose text is a stored article's,
    under another id: its title counts for boilerplate."""
    owner_of_hash = catalog.owners_of(a.content_hash for a in loaded)
    rows = []
    for article in loaded:
        owner = owner_of_hash.get(article.content_hash)
        if owner is not None and owner != article.id:
            rows.append((owner, article.source, headline(article.title, article.text)))
    return rows


def load_clusters(catalog: Catalog, settings: DedupSettings) -> Clusters:
    """The clusters (connected groups of stored pairs) and the boilerplate articles."""
    pairs = catalog.near_pairs()
    copy_titles = catalog.copy_titles()
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, _ in pairs:
        parent[root(a)] = root(b)
    wanted = set(parent) | set(copy_titles)
    rows = catalog.article_rows(sorted(wanted)) if wanted else {}
    members = {
        i: Member(i, headline(r.title, r.opening), r.date, r.source, r.chars)
        for i, r in rows.items()
    }
    grouped: dict[str, list[str]] = {}
    for article_id in parent:
        if article_id in members:
            grouped.setdefault(root(article_id), []).append(article_id)
    groups = sorted(
        (tuple(sorted(g, key=lambda i: members[i].order)) for g in grouped.values() if len(g) > 1),
        key=lambda g: members[g[0]].order,
    )
    cluster_of = {i: n for n, g in enumerate(groups) for i in g}
    boilerplate: set[str] = set()
    for group in [*groups, *((i,) for i in copy_titles if i in members and i not in cluster_of)]:
        titles = [members[i].title for i in group]
        titles += [t for i in group for t in sorted(copy_titles.get(i, ()))]
        if distinct_titles(titles) >= settings.boilerplate_titles:
            boilerplate.update(group)
    return Clusters(members, cluster_of, tuple(groups), frozenset(boilerplate))


def distinct_titles(titles: Iterable[str]) -> int:
    """How many of `titles` differ: a title sharing half its words with one already
    counted is the same title (wire copies' headlines vary by a word or two)."""
    counted: list[set[str]] = []
    for title in titles:
        words = set(_WORDS.findall(title.lower()))
        if not any(_jaccard(words, seen) >= 0.5 for seen in counted):
            counted.append(words)
    return len(counted)


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0
