"""The six-article corpus of the fault tests, the homes each operation starts from, and
what "equal to a clean build" compares.

A snapshot holds what a user relies on, with ids made comparable across homes (an
upload's id derives from its path under the home): articles and their hashes, chunk ids
and spans, vectors and their metadata, the BM25 ids and the hits of a few searches, the
citations of three answers, and what `rag status` reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from index.ingest import IngestReport
from rag import Assistant, Settings
from tests.fakes import HashingEmbedder

Operation = Literal["ingest", "update", "rebuild", "delete", "upload"]
OPERATIONS: tuple[Operation, ...] = ("ingest", "update", "rebuild", "delete", "upload")

# --- the corpus -------------------------------------------------------------------------
ARTICLES = {
    "elmsby.txt": (
        "2024-03-01",
        "The mayor of Elmsby, Clara Voss, opened the new harbour bridge on Monday. "
        "The bridge cost 12 million dollars and took three years to build. "
        "Fishermen had asked for a crossing since the old ferry sank in 2019. "
        "Voss said the bridge would cut the drive to Norwick by half an hour. "
        "Traffic was heavy on the first day, and police closed one lane at noon. "
        "A brass band from the school played at the opening ceremony.",
    ),
    "norwick.txt": (
        "2024-03-04",
        "Norwick General Hospital opened a children's wing on Thursday. "
        "The wing has forty beds and a playground on its roof. "
        "Dr. Amir Haddad, who leads the hospital, thanked the donors by name. "
        "The project cost 30 million dollars, most of it raised by local families. "
        "Nurses will start moving the first patients next week. "
        "The old ward will become a training centre for medical students.",
    ),
    "carden.txt": (
        "2024-03-07",
        "The Carden apple festival started on Saturday with a parade of tractors. "
        "More than 8,000 visitors came to taste cider and pies. "
        "The festival was founded in 1952 by a group of orchard owners. "
        "This year the prize for the largest apple went to Ruth Okafor. "
        "Her apple weighed 1.4 kilograms, a record for the county. "
        "Rain on Sunday afternoon sent the crowds home early.",
    ),
    "dunmore.txt": (
        "2024-03-09",
        "Dunmore council voted to close the coal power station by 2027. "
        "The station employs 400 people and burns coal from the Welsh valleys. "
        "Councillor Peter Lindqvist said wind farms offshore would replace it. "
        "Unions asked for retraining money for every worker at the site. "
        "The vote passed by eleven votes to four after a long debate. "
        "The station first produced power in 1968.",
    ),
    "halvard.txt": (
        "2024-03-12",
        "Halvard University named Maria Santos as its new president on Tuesday. "
        "Santos, a chemist, has taught at the university for twenty years. "
        "She replaces Thomas Berg, who retired in January after a decade in charge. "
        "Students welcomed the choice at a meeting in the main hall. "
        "Santos promised to build cheaper housing for students near the campus. "
        "Her term begins on the first of April.",
    ),
    "ostend.txt": (
        "2024-03-15",
        "A storm flooded the lower town of Ostend Bay on Wednesday night. "
        "Water rose two metres above the harbour wall, the highest in fifty years. "
        "Firefighters rescued sixty people from their homes by boat. "
        "No one was hurt, but the seafront shops were badly damaged. "
        "The council opened the sports hall as a shelter for families. "
        "Engineers will inspect the harbour wall before the next high tide.",
    ),
}
OLD_CARDEN = ARTICLES["carden.txt"][1].replace("8,000 visitors", "6,000 visitors")
EXTRA = (
    "2024-03-02",
    "The Elmsby library will close for repairs in May. The roof leaks and the "
    "shelves must be moved. Readers can borrow books from the town hall until June.",
)
UPLOAD = (
    "2024-03-18",
    "The Norwick ferry returned to service on Monday after a refit. It carries two "
    "hundred passengers and forty cars. The ferry company said tickets will cost the "
    "same as last year.",
)
QUESTIONS = (
    "Who opened the harbour bridge in Elmsby?",
    "How much did the children's wing at Norwick General Hospital cost?",
    "How many visitors came to the Carden apple festival?",
)
KEYWORD_QUERIES = ("bridge", "hospital wing donors", "apple festival visitors", "ferry")


def article_text(date: str, body: str) -> str:
    return f"date {date}\n\n{body}\n"


@dataclass(frozen=True)
class World:
    """The files every point shares: the corpus, the upload, the pre-built homes."""

    root: Path

    @property
    def corpus(self) -> Path:
        return self.root / "corpus"

    @property
    def upload(self) -> Path:
        return self.root / "upload" / "notes.txt"

    def template(self, operation: Operation) -> Path:
        return self.root / "templates" / operation


def settings(home: Path) -> Settings:
    """Small chunks (about three per article), so that batches hold few articles."""
    return Settings(home=home, chunking={"chunk_tokens": 32, "overlap_tokens": 4})


def assistant(home: Path) -> Assistant:
    return Assistant(settings(home), embedder=HashingEmbedder())


def close(helper: Assistant) -> None:
    """Let go of Chroma and SQLite, as a finished process does."""
    helper.index.vectors.close()
    helper.index.close()


def make_world(root: Path, *, templates: bool = True) -> World:
    """Write the corpus and (`templates`) build, per operation, the home it starts from."""
    world = World(root)
    world.corpus.mkdir(parents=True)
    for name, (date, body) in ARTICLES.items():
        (world.corpus / name).write_text(article_text(date, body), encoding="utf-8")
    world.upload.parent.mkdir()
    world.upload.write_text(article_text(*UPLOAD), encoding="utf-8")
    if not templates:
        return world
    carden = world.corpus / "carden.txt"
    carden.write_text(article_text(ARTICLES["carden.txt"][0], OLD_CARDEN), encoding="utf-8")
    for operation in ("update", "rebuild"):  # an older version of one article is stored
        _build(world.template(operation), [world.corpus])
    carden.write_text(article_text(*ARTICLES["carden.txt"]), encoding="utf-8")
    extra = root / "gone" / "library.txt"  # stored, then its file is deleted
    extra.parent.mkdir()
    extra.write_text(article_text(*EXTRA), encoding="utf-8")
    _build(world.template("delete"), [world.corpus, extra])
    extra.unlink()
    _build(world.template("upload"), [world.corpus])
    world.template("ingest").mkdir(parents=True)  # a new home
    return world


def _build(home: Path, paths: list[Path]) -> None:
    builder = assistant(home)
    builder.ingest(paths)
    close(builder)


def operate(operation: Operation, helper: Assistant, world: World) -> IngestReport:
    """What the user ran, or reruns after the kill: a rebuild is rerun as a plain ingest."""
    if operation == "upload":
        from ui.uploads import add_uploads

        return add_uploads(helper, [(world.upload, "notes.txt")])[0]
    return helper.ingest([world.corpus], prune=operation == "delete")


def first_run(operation: Operation, helper: Assistant, world: World) -> IngestReport:
    if operation == "rebuild":
        return helper.ingest([world.corpus], rebuild=True)
    return operate(operation, helper, world)


# --- comparing with a clean build -------------------------------------------------------
@dataclass
class Snapshot:
    """What a user relies on, with ids made comparable across homes (an upload's id
    derives from its path under the home)."""

    articles: list[tuple[str, str]]
    chunks: list[tuple[str, int, int]]
    vectors: dict[str, tuple[np.ndarray, tuple[tuple[str, object], ...]]]
    keyword_ids: list[str]
    keyword_hits: list[list[tuple[str, float]]]
    answers: list[tuple[str, tuple[tuple[str, int, int], ...]]]
    problems: tuple[str, ...]
    pending: list[str] = field(default_factory=list)


def snapshot(helper: Assistant) -> Snapshot:
    index = helper.index
    home = Path(helper.settings.home).resolve()
    versions = index.catalog.versions()
    names = {aid: _portable(aid, source, home) for aid, (_, source) in versions.items()}

    def article(aid: str) -> str:
        return names.get(aid, f"(not in the catalog) {aid}")

    def chunk(cid: str) -> str:
        aid, version, position = cid.rsplit(":", 2)
        return f"{article(aid)}:{version}:{position}"

    stored = index.vectors.collection.get(include=["embeddings", "metadatas"])
    vectors = {
        chunk(cid): (
            np.asarray(vector, dtype=np.float32),
            tuple(sorted({**meta, "article_id": article(str(meta["article_id"]))}.items())),
        )
        for cid, vector, meta in zip(
            stored["ids"], stored["embeddings"], stored["metadatas"], strict=True
        )
    }
    keyword_ids = (
        sorted(chunk(c) for c in index.keyword.live_ids())
        if index.keyword.exists
        else ["(missing)"]
    )
    hits = [
        sorted(
            ((chunk(h.chunk_id), round(h.score, 5)) for h in index.keyword_search(q, 10)),
            key=lambda x: (-x[1], x[0]),
        )
        for q in KEYWORD_QUERIES
    ]
    answers = []
    for question in QUESTIONS:
        answer = helper.ask(question)
        cited = tuple((article(c.article_id), c.start, c.end) for c in answer.citations)
        answers.append((answer.text, cited))
    return Snapshot(
        articles=sorted((names[aid], digest) for aid, (digest, _) in versions.items()),
        chunks=sorted((chunk(c.id), c.start, c.end) for c, _, _ in index.catalog.all_chunks()),
        vectors=vectors,
        keyword_ids=keyword_ids,
        keyword_hits=hits,
        answers=answers,
        problems=index.status().problems,
        pending=index.catalog.pending(),
    )


def _portable(article_id: str, source: str, home: Path) -> str:
    path = Path(source).resolve()
    if path.is_relative_to(home):
        return f"<home>/{path.relative_to(home)}"
    return article_id


def differences(clean: Snapshot, got: Snapshot) -> list[str]:
    """What differs from the clean build, one line per part (empty: equal)."""
    found = []
    for part in (
        "articles",
        "chunks",
        "keyword_ids",
        "keyword_hits",
        "answers",
        "problems",
        "pending",
    ):
        want, have = getattr(clean, part), getattr(got, part)
        if want != have:
            found.append(f"{part}: clean {want!r}, got {have!r}")
    if sorted(clean.vectors) != sorted(got.vectors):
        missing = sorted(set(clean.vectors) - set(got.vectors))
        extra = sorted(set(got.vectors) - set(clean.vectors))
        found.append(f"vector ids: missing {missing}, extra {extra}")
    else:
        for cid, (vector, meta) in clean.vectors.items():
            other, other_meta = got.vectors[cid]
            if not np.allclose(vector, other, atol=1e-6) or meta != other_meta:
                found.append(f"vector {cid} differs")
    return found


def clean_snapshot(world: World, home: Path) -> Snapshot:
    """The corpus built in a fresh `home`."""
    plain = assistant(home)
    plain.ingest([world.corpus])
    try:
        return snapshot(plain)
    finally:
        close(plain)


def clean_snapshots(world: World, scratch: Path) -> dict[Operation, Snapshot]:
    """Each operation's end state, built in a fresh home without any fault."""
    corpus_home, upload_home = scratch / "clean-corpus", scratch / "clean-upload"
    plain = assistant(corpus_home)
    plain.ingest([world.corpus])
    with_upload = assistant(upload_home)
    with_upload.ingest([world.corpus])
    operate("upload", with_upload, world)
    clean = {"corpus": snapshot(plain), "upload": snapshot(with_upload)}
    close(plain)
    close(with_upload)
    return {op: clean["upload" if op == "upload" else "corpus"] for op in OPERATIONS}
