"""Keep the index in step with a set of article files: add, update, skip, prune.

Crash safety: an article version is written in this order, per batch:
1. the intent log records (article id, new hash);
2. its chunk vectors go to Chroma under ids that carry the hash, its chunk readings
   to the catalog under the same ids, and its keyword segment to a file;
3. one SQLite transaction commits the article text and its chunk spans;
4. the old version's vectors are deleted; 5. the intent is cleared.
A kill at any step leaves the catalog on the old or the new version, and search
results are resolved through the catalog, so the index keeps answering. The next
ingest first replays the intent log to delete vectors and readings that no version owns.

An article longer than a batch is written in parts of `BATCH_CHUNKS` chunks, step 2
once per part and step 3 after its last: memory stays that of one batch, whatever the
article's size.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from index.articles import Article
from index.catalog import chunk_id
from index.chunking import ChunkSpan
from index.dedup import DedupReport, refresh_dedup
from index.encode import ArticleChunks, BatchEncoder, EncodedBatch, LocalEncoder
from index.errors import InputError
from index.loaders import Skipped, find_article_files, is_url, load_articles
from index.progress import progress_bar
from index.segments import SegmentEntry
from index.store import Index

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (chunks embedded so far, chunks in all)
BATCH_CHUNKS = 256


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    duplicates: list[Skipped] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Skipped] = field(default_factory=list)
    # Articles removed with `rag remove` whose files are still read: not added back
    # unless the ingest is asked to (`readd`, `rag ingest --readd`).
    withheld: list[Skipped] = field(default_factory=list)
    chunks_embedded: int = 0
    recovered: int = 0  # articles whose interrupted write was cleaned up
    dedup: DedupReport = field(default_factory=DedupReport)  # near-duplicates, boilerplate

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.recovered)


@dataclass(frozen=True)
class _Planned:
    article: Article
    spans: list[ChunkSpan]
    replaces_version: bool


@dataclass(frozen=True)
class _Part:
    """Chunks `first` to `first + len(spans)` of a planned article: all of them, or one
    batch-sized part of an article longer than a batch."""

    item: _Planned
    first: int
    spans: list[ChunkSpan]

    @property
    def is_last(self) -> bool:
        return self.first + len(self.spans) == len(self.item.spans)


def ingest(
    index: Index,
    paths: Sequence[Path],
    *,
    urls: Sequence[str] = (),
    prune: bool = False,
    readd: bool = False,
    progress: Progress | None = None,
    encoder: BatchEncoder | None = None,
) -> IngestReport:
    """Bring `index` in step with the articles under `paths` (files or folders) and at
    `urls` (RSS/Atom feeds or article pages, `index.web`; read before the writer lock).

    An article the user removed (`remove`) is withheld unless `readd`. `encoder` embeds
    and reads the chunks (default: in this process; `index.ray_ingest` on a cluster).
    `prune` never removes an article read from the web: feeds drop old entries."""
    files = article_files(paths) if paths or not urls else []
    loaded = load_articles(files, index.settings.ingest.max_article_bytes)
    if urls:
        from index.web import read_urls

        fetched = read_urls(urls, index.settings.ingest)
        loaded.articles.extend(fetched.articles)
        loaded.skipped.extend(fetched.skipped)
        loaded.warnings.extend(fetched.warnings)
    report = IngestReport(skipped=list(loaded.skipped), warnings=list(loaded.warnings))
    with index.writing():
        report.recovered = _recover(index)
        withheld = set() if readd else index.catalog.removed_ids()
        copies: list[tuple[str, str]] = []
        planned, removed = _plan(
            index, loaded.articles, loaded.files, prune, report, withheld, copies
        )
        _write(index, planned, report, progress, encoder or _local(index))
        read = [str(path) for path in loaded.files] + list(urls)
        _record_copies(index, copies, read, prune)
        _remove(index, removed)
        report.removed = removed
        index.keyword.maintain()
        report.dedup = refresh_dedup(
            index.catalog, index.settings.dedup, loaded.articles, read, index.sketches
        )
    return report


def _local(index: Index) -> BatchEncoder:
    return LocalEncoder(index.embedder, index.recognizer)


WITHHELD = "removed with `rag remove`; `rag ingest --readd` adds it again"


def remove(index: Index, article_ids: Sequence[str]) -> list[str]:
    """Delete articles from the catalog, Chroma and BM25, crash-safely, and remember that
    they were removed, so that a plain ingest of a folder still holding their files does
    not add them back. Unknown ids are ignored; returns the ids removed.

    The catalog transaction is the commit point: from it on, search (which resolves every
    hit through the catalog) never returns the articles; the intent log lets the next
    writer finish a killed removal's vector deletes. The keyword index needs no step of
    its own: the catalog says which of its chunks are live.
    """
    with index.writing():
        _recover(index)
        known = index.catalog.versions_of(article_ids)
        ids = sorted(known)
        _remove(index, ids, forget=True)
        index.keyword.maintain()
    return ids


def _record_copies(
    index: Index, copies: list[tuple[str, str]], read: list[str], prune: bool
) -> None:
    """Remember which files hold a stored article's text again (the article list's count):
    the copies found in the files just read replace what was known of those files, and
    `prune` forgets copies whose file is gone."""
    if not copies and not index.catalog.has_copies():
        return  # the usual case: no write at all
    with index.catalog.transaction():
        index.catalog.forget_copies(read, gone=prune)
        index.catalog.record_copies(copies)


def article_files(paths: Sequence[Path]) -> list[Path]:
    """The article files under `paths`; `InputError` if a path is missing or holds none."""
    files, missing = find_article_files(paths)
    if missing:
        raise InputError(f"path does not exist: {missing[0].source}")
    if not files:
        shown = ", ".join(str(p) for p in paths)
        raise InputError(f"no article files (.txt, .md, .jsonl) found in {shown}")
    return files


def _recover(index: Index) -> int:
    """Finish a killed rebuild; delete vectors of writes a killed ingest left unfinished.

    Runs under the writer lock, so every pending write it finds is a dead writer's.
    """
    index.finish_reset()
    index.keyword.upgrade()  # before any write: an old-format index becomes segments
    pending = index.catalog.pending()
    versions = index.catalog.versions_of(pending)
    for article_id in pending:
        committed = versions.get(article_id)
        index.vectors.delete_article(article_id, keep_hash=committed[0] if committed else None)
        index.catalog.drop_unowned_readings(article_id)
    index.catalog.clear_pending(pending)
    if pending:
        logger.info("cleaned up %d interrupted article writes", len(pending))
    return len(pending)


def _plan(
    index: Index,
    articles: Sequence[Article],
    files: Sequence[Path],
    prune: bool,
    report: IngestReport,
    withheld: set[str],
    copies: list[tuple[str, str]],
) -> tuple[list[_Planned], list[str]]:
    """What to write and remove; duplicates go to `report` and `copies` (owner, source)."""
    # The rows of the articles read and of their texts' owners, not the whole catalog:
    # adding one article to a large archive reads a few rows (all of them to prune).
    catalog = index.catalog
    versions = catalog.versions() if prune else catalog.versions_of(a.id for a in articles)
    owner_of_hash = catalog.owners_of(a.content_hash for a in articles)
    versions |= catalog.versions_of(set(owner_of_hash.values()) - versions.keys())
    seen_ids: dict[str, str] = {}
    planned: list[_Planned] = []
    for article in progress_bar(articles, desc="chunking", unit="article", leave=False):
        where = f"{article.source} ({article.id})"
        if article.id in seen_ids:
            report.skipped.append(
                Skipped(where, f"id {article.id!r} already used by {seen_ids[article.id]}")
            )
            continue
        seen_ids[article.id] = article.source
        if article.id in withheld:
            report.withheld.append(Skipped(where, WITHHELD))
            continue
        owner = owner_of_hash.get(article.content_hash)
        if owner is not None and owner != article.id:
            owner_source = versions[owner][1] if owner in versions else "this ingest"
            report.duplicates.append(
                Skipped(where, f"same text as article {owner!r} ({owner_source}): stored once")
            )
            copies.append((owner, article.source))
            continue
        owner_of_hash[article.content_hash] = article.id
        stored = versions.get(article.id)
        if stored is not None and stored[0] == article.content_hash:
            report.unchanged.append(article.id)
            continue
        (report.updated if stored else report.added).append(article.id)
        planned.append(_Planned(article, index.chunker.split(article.text), stored is not None))
    removed = _gone(index, versions, files, seen_ids) if prune else []
    return planned, removed


def _gone(
    index: Index,
    versions: dict[str, tuple[str, str]],
    files: Sequence[Path],
    seen_ids: dict[str, str],
) -> list[str]:
    """Stored articles whose file is gone, or that a re-read file no longer contains."""
    read = {str(path) for path in files}
    return sorted(
        article_id
        for article_id, (_, source) in versions.items()
        if article_id not in seen_ids
        and not is_url(source)
        and (source in read or not Path(source).exists())
    )


def _batches(planned: list[_Planned]) -> Iterator[list[_Part]]:
    """Whole articles, about `BATCH_CHUNKS` chunks a batch; an article longer than that
    alone, a part of `BATCH_CHUNKS` chunks per batch."""
    batch: list[_Part] = []
    size = 0
    for item in planned:
        if len(item.spans) > BATCH_CHUNKS:
            if batch:
                yield batch
                batch, size = [], 0
            for first in range(0, len(item.spans), BATCH_CHUNKS):
                yield [_Part(item, first, item.spans[first : first + BATCH_CHUNKS])]
            continue
        batch.append(_Part(item, 0, item.spans))
        size += len(item.spans)
        if size >= BATCH_CHUNKS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _write(
    index: Index,
    planned: list[_Planned],
    report: IngestReport,
    progress: Progress | None,
    encoder: BatchEncoder,
) -> None:
    if not planned:
        return
    total = sum(len(item.spans) for item in planned)
    index.record_built_with()
    with progress_bar(total=total, desc="embedding", unit="chunk") as bar:

        def advance(chunks: int) -> None:
            report.chunks_embedded += chunks
            bar.update(chunks)
            if progress is not None:
                progress(report.chunks_embedded, total)

        batches = list(_batches(planned))
        work = ([_work(part) for part in batch] for batch in batches)
        encoded = encoder.encode(work, BATCH_CHUNKS, advance)
        uncommitted: list[SegmentEntry] = []  # keyword segments of a long article's earlier parts
        for batch, vectors in zip(batches, encoded, strict=True):
            _store_batch(index, batch, vectors, uncommitted)


def _work(part: _Part) -> ArticleChunks:
    """What the encoder reads of `part`: a long article's part carries only its own stretch
    of the text (a Ray ingest ships each batch to a worker)."""
    text = part.item.article.text
    if len(part.spans) == len(part.item.spans) or not part.spans:
        return ArticleChunks(text, part.spans)
    start = part.spans[0].start
    return ArticleChunks(text[start : part.spans[-1].end], part.spans, start)


def _store_batch(
    index: Index, batch: list[_Part], encoded: EncodedBatch, uncommitted: list[SegmentEntry]
) -> None:
    """Steps 1-2 for the batch's chunks; steps 3-5 for the articles it completes."""
    catalog = index.catalog
    catalog.mark_pending(
        (part.item.article.id, part.item.article.content_hash) for part in batch if part.first == 0
    )
    ids: list[str] = []
    owners: list[str] = []
    metadatas: list[dict[str, str | int]] = []
    for part in batch:
        article = part.item.article
        for position, span in enumerate(part.spans, start=part.first):
            ids.append(chunk_id(article.id, article.content_hash, position))
            owners.append(article.id)
            metadatas.append(
                {
                    "article_id": article.id,
                    "content_hash": article.content_hash,
                    "date_key": article.date_key,
                    "start": span.start,
                    "end": span.end,
                }
            )
    texts = [span.text for part in batch for span in part.spans]
    index.vectors.upsert(ids, encoded.vectors, metadatas, texts)
    # Saved before the catalog commit, named by it: a kill between leaves an unnamed file.
    dates = [int(meta["date_key"]) for meta in metadatas]
    segment = index.keyword.write_segment(zip(ids, texts, dates, strict=True))
    uncommitted.append(segment.entry)
    done = [part.item for part in batch if part.is_last]
    with catalog.transaction():
        catalog.stage_readings(zip(ids, owners, encoded.readings, strict=True))
        for item in done:
            catalog.put_article(item.article, [(s.start, s.end) for s in item.spans])
        if done:
            index.keyword.commit(uncommitted)
            uncommitted.clear()
            catalog.bump_generation()
    for item in done:
        if item.replaces_version:
            index.vectors.delete_article(item.article.id, keep_hash=item.article.content_hash)
    catalog.clear_pending(item.article.id for item in done)


def _remove(index: Index, article_ids: list[str], *, forget: bool = False) -> None:
    if not article_ids:
        return
    index.catalog.mark_pending((article_id, "") for article_id in article_ids)
    with index.catalog.transaction():
        if forget:
            index.catalog.record_removed(article_ids)
        for article_id in article_ids:
            index.catalog.delete_article(article_id)
        index.catalog.bump_generation()
    for article_id in article_ids:
        index.vectors.delete_article(article_id)
    index.catalog.clear_pending(article_ids)
