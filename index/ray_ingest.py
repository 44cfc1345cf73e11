"""Ingest on a Ray cluster: the encode step runs as a Ray Data pipeline.

This process still reads, plans and chunks the articles and writes every result
through the ingest's own crash-safe path (catalog, Chroma, BM25). What the cluster does
is the cost: each ingest batch (whole articles, ~256 chunks) becomes one row of a Ray
Data `map_batches` over a fixed pool of actors, each of which loads the embedder and the
spaCy pipeline once and runs `index.encode.encode_batch` on it, the NER beside the
encode as in one process. The batches are the single-process ingest's (see
`index.encode`), so the index built is the same, vector for vector.

Every worker needs newsrag with the `cluster` extra (`pip install 'newsrag[cluster]'`),
the same version as this process, and the model files (they come with the package).

>>> encoder = connect(index.settings, "10.0.0.5:6379", workers=2)  # doctest: +SKIP
>>> ingest(index, [Path("archive")], encoder=encoder)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import socket
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from index.embedding import build_embedder
from index.encode import Advance, ArticleChunks, EncodedBatch, encode_batch
from index.errors import ClusterError, InputError
from index.nlp import SpacyEntityRecognizer
from index.settings import EmbeddingSettings, IndexSettings, NlpSettings

logger = logging.getLogger(__name__)

RAY_MISSING = "a Ray ingest needs ray: pip install 'newsrag[cluster]' (here and on every worker)"
CONNECT_TIMEOUT_S = 5.0
RAY_CLIENT_PREFIX = "ray://"
_RAISED = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception)\b")  # "OSError: [E050] ..."


def connect(
    settings: IndexSettings, address: str, workers: int, cpus_per_worker: int = 1
) -> RayEncoder:
    """Connect this process to the Ray cluster at `address` (once per process) and check
    that it can hold `workers` actors of `cpus_per_worker` CPUs. `ClusterError` when it
    cannot: called before the ingest touches the index, so a bad address changes nothing."""
    try:
        import ray
    except ImportError as exc:
        raise ClusterError(RAY_MISSING) from exc
    if address != "auto":
        _check_reachable(address)
    # Ray's own switch; newsrag sends nothing anywhere unless the user turns it on.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if not ray.is_initialized():  # a process drives one cluster: the first it connects to
        try:
            ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
        except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError
            raise ClusterError(f"cannot connect to the Ray cluster at {address}: {exc}") from exc
    cpus = int(ray.cluster_resources().get("CPU", 0))
    if cpus < workers * cpus_per_worker:
        raise ClusterError(
            f"the Ray cluster at {address} has {cpus} CPUs; {workers} encoder workers "
            f"need {cpus_per_worker} each (lower ingest.ray_workers, --ray-workers)"
        )
    return RayEncoder(settings, workers, cpus_per_worker)


def _check_reachable(address: str) -> None:
    """Fail in seconds, with the reason, where `ray.init` would retry for a minute."""
    host, _, port = address.removeprefix(RAY_CLIENT_PREFIX).rpartition(":")
    if not host or not port.isdigit():
        raise InputError(
            f"a Ray address is host:port, ray://host:port or auto, got {address!r}",
            field="ingest.ray_address",
        )
    try:
        with socket.create_connection((host.strip("[]"), int(port)), CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ClusterError(f"cannot reach the Ray cluster at {address}: {reason}") from exc


class RayEncoder:
    """A `BatchEncoder` whose batches are encoded by `workers` Ray actors, each running
    its encoder on as many threads as it has CPUs."""

    def __init__(self, settings: IndexSettings, workers: int, cpus_per_worker: int = 1) -> None:
        threads = settings.embedding.model_copy(update={"threads": cpus_per_worker})
        self._embedding = threads.model_dump_json()
        self._nlp = settings.nlp.model_dump_json()
        self._workers = workers
        self._cpus = cpus_per_worker

    def encode(
        self, batches: Iterable[Sequence[ArticleChunks]], slice_chunks: int, advance: Advance
    ) -> Iterator[EncodedBatch]:
        import ray

        rows = [{"seq": n, "work": pickle.dumps(list(b))} for n, b in enumerate(batches)]
        if not rows:
            return
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the ingest draws its own
        context.print_on_execution_start = False
        # Ray Data's notes (progress bars off, execution finished) only with `rag -v`.
        # A worker's failure is raised here as one `ClusterError`, not logged again.
        verbose = logger.isEnabledFor(logging.INFO)
        logging.getLogger("ray.data").setLevel(logging.INFO if verbose else logging.CRITICAL)
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            _EncodeActor,
            fn_constructor_args=(self._embedding, self._nlp, slice_chunks),
            batch_size=1,
            batch_format="numpy",
            # No more actors than batches: each loads the model, and an idle one waits.
            compute=ray.data.ActorPoolStrategy(size=min(self._workers, len(rows))),
            num_cpus=self._cpus,
        )
        # Results come back as workers finish; they are written in the batches' order
        # (the order a single-process ingest writes them in).
        done: dict[int, bytes] = {}
        following = 0
        try:
            for row in dataset.iter_rows():
                done[int(row["seq"])] = row["encoded"]
                while following in done:
                    encoded: EncodedBatch = pickle.loads(done.pop(following))
                    advance(len(encoded.readings))
                    yield encoded
                    following += 1
        except ray.exceptions.RayError as exc:
            raise ClusterError(
                f"a Ray worker failed: {root_cause(exc)}; the {following} batches written "
                "before it are kept, and the next `rag ingest` embeds the rest"
            ) from exc


def root_cause(exc: BaseException) -> str:
    """The exception a worker raised, in one line. Ray sends it back as the text of a
    chained traceback (the message of its `RayTaskError`), the innermost cause first."""
    for line in str(exc).splitlines():
        if _RAISED.match(line):
            return line.strip()
    return type(exc).__name__


class _EncodeActor:
    """One worker of the pool: the encoder and the NER, loaded on the first batch."""

    def __init__(self, embedding: str, nlp: str, slice_chunks: int) -> None:
        self._embedder = build_embedder(EmbeddingSettings.model_validate_json(embedding))
        self._recognizer = SpacyEntityRecognizer(NlpSettings.model_validate_json(nlp))
        self._slice_chunks = slice_chunks

    def __call__(self, rows: dict[str, np.ndarray]) -> dict[str, Any]:
        encoded = [
            pickle.dumps(
                encode_batch(
                    self._embedder,
                    self._recognizer,
                    pickle.loads(work),
                    self._slice_chunks,
                    _count_nothing,
                )
            )
            for work in rows["work"]
        ]
        return {"seq": rows["seq"], "encoded": np.array(encoded, dtype=object)}


def _count_nothing(chunks: int) -> None:
    """Progress is counted on the driver, as batches come back."""
