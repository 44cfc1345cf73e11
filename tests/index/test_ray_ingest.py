"""`rag ingest --ray`: a Ray cluster embeds, this process writes, and the index is the one a
single-process ingest builds.

The module starts a private local Ray head (tests/ray_cluster.py: usage stats and the
dashboard off, its own token) and the session's `chroma run` server; the cluster ingest
writes its vectors to the server, the single-process one to an embedded Chroma.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag import Assistant, Settings
from tests.processes import free_port
from tests.ray_cluster import RayCluster, local_ray_cluster
from ui import cli

QUESTION = "How many targets did U.S. airstrikes hit on Feb. 2?"
# Short articles beside the seed one: with 4-chunk batches the corpus is several batches,
# which two workers finish out of order.
EXTRA = {
    "harbour.txt": (
        "2024-02-12",
        "The harbour authority in Rotterdam said on Monday that container traffic fell 7 "
        "percent in January. Port director Boudewijn Siemons blamed attacks on ships in "
        "the Red Sea, which forced carriers around the Cape of Good Hope.",
    ),
    "election.txt": (
        "2024-02-14",
        "Voters in Jakarta chose a new president on Wednesday. Prabowo Subianto claimed "
        "victory after quick counts gave him 58 percent. Anies Baswedan said he would wait "
        "for the official result from the General Elections Commission.",
    ),
    "fed.txt": (
        "2024-01-31",
        "The Federal Reserve held interest rates steady on Wednesday. Jerome Powell told "
        "reporters in Washington that a cut in March was unlikely. Markets had priced in "
        "a March cut. The Fed's next meeting is in March.",
    ),
}
TABLES = {  # the catalog's rows, in a fixed order
    "articles": "SELECT * FROM articles ORDER BY id",
    "chunks": "SELECT * FROM chunks ORDER BY id",
    "readings": "SELECT * FROM readings ORDER BY chunk_id",
    "built_with": "SELECT value FROM meta WHERE key = 'built_with'",
}


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[RayCluster]:
    with local_ray_cluster(cpus=2) as cluster:
        yield cluster


@pytest.fixture
def on_cluster(ray_cluster: RayCluster, monkeypatch: pytest.MonkeyPatch) -> RayCluster:
    """This process as a driver of the cluster: its token in the environment."""
    for name, value in ray_cluster.env.items():
        monkeypatch.setenv(name, value)
    return ray_cluster


def catalog_rows(home: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(home / "catalog.sqlite") as db:
        return {table: db.execute(query).fetchall() for table, query in TABLES.items()}


def vectors(assistant: Assistant) -> dict[str, Any]:
    stored = assistant.index.vectors.collection.get(
        include=["embeddings", "metadatas", "documents"]
    )
    order = np.argsort(stored["ids"])
    return {
        "ids": [stored["ids"][i] for i in order],
        "metadatas": [stored["metadatas"][i] for i in order],
        "documents": [stored["documents"][i] for i in order],
        "embeddings": np.asarray(stored["embeddings"], dtype=np.float32)[order],
    }


def answer_shape(assistant: Assistant) -> dict[str, Any]:
    answer = assistant.ask(QUESTION).to_dict()
    del answer["timings_ms"], answer["answer_id"]
    return answer


@pytest.mark.slow
def test_a_ray_ingest_builds_the_index_one_process_builds(
    corpus: Path,
    tmp_path: Path,
    on_cluster: RayCluster,
    chroma_server: str,
    server: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("index.ingest.BATCH_CHUNKS", 4)
    for name, (date, body) in EXTRA.items():
        (corpus / name).write_text(f"date {date}\n\n{body}\n", encoding="utf-8")
    single = Assistant(Settings(home=tmp_path / "single"))
    expected = single.ingest([corpus])

    monkeypatch.setenv("RAG_CHROMA_URL", chroma_server)
    home = tmp_path / "cluster"
    argv = ["--home", str(home), "ingest", str(corpus), "--json"]
    code = cli.main([*argv, "--ray", on_cluster.address, "--ray-workers", "2"])
    report = json.loads(capsys.readouterr().out)
    cluster = Assistant(Settings(home=home, chroma_url=chroma_server))

    assert code == 0
    assert sorted(report["added"]) == sorted(expected.added) and len(expected.added) == 4
    assert report["chunks_embedded"] == expected.chunks_embedded > 4  # several batches
    assert cluster.status().store == chroma_server
    ours, theirs = vectors(cluster), vectors(single)
    assert ours["ids"] == theirs["ids"]  # chunk ids carry article, version and position
    assert ours["metadatas"] == theirs["metadatas"]  # spans and dates
    assert ours["documents"] == theirs["documents"]
    assert np.array_equal(ours["embeddings"], theirs["embeddings"])  # the same batches
    assert catalog_rows(home) == catalog_rows(single.settings.home)  # sentences, entities
    assert answer_shape(cluster) == answer_shape(single)
    assert "85 targets" in cluster.ask(QUESTION).citations[0].quote


@pytest.mark.slow
def test_a_ray_ingest_of_an_unchanged_corpus_embeds_nothing(
    corpus: Path, tmp_path: Path, on_cluster: RayCluster
) -> None:
    settings = Settings(home=tmp_path / "home", ingest={"ray_address": on_cluster.address})
    assistant = Assistant(settings)
    first = assistant.ingest([corpus])

    again = assistant.ingest([corpus])

    assert len(first.added) == 1 and first.chunks_embedded > 0
    assert again.unchanged == first.added and again.chunks_embedded == 0


@pytest.mark.slow
def test_more_workers_than_the_cluster_has_cpus_is_refused_before_any_write(
    corpus: Path, tmp_path: Path, on_cluster: RayCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    argv = ["--home", str(home), "ingest", str(corpus), "--ray", on_cluster.address]

    code = cli.main([*argv, "--ray-workers", "3"])  # the cluster has 2 CPUs

    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "has 2 CPUs; 3 encoder workers need 1 each" in err
    assert not home.exists()


@pytest.mark.slow
def test_a_failing_worker_is_one_line_naming_its_cause(
    corpus: Path,
    tmp_path: Path,
    on_cluster: RayCluster,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("RAG_NLP__SPACY_MODEL", "no_such_pipeline")  # loaded on workers only
    home = tmp_path / "home"

    code = cli.main(["--home", str(home), "ingest", str(corpus), "--ray", on_cluster.address])

    err = capsys.readouterr().err
    assert code == 1
    # Progress lines may come first (stderr is no terminal here); the error is one line.
    error = err.splitlines()[-1]
    assert error.startswith("rag: error: a Ray worker failed: OSError")
    assert "no_such_pipeline" in error and len(error) < 400 and "Traceback" not in err
    assert catalog_rows(home)["articles"] == []


@pytest.mark.parametrize("how", ["flag", "setting"])
def test_an_unreachable_cluster_is_one_line_exit_1_and_changes_nothing(
    how: str,
    corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    home = tmp_path / "home"
    argv = ["--home", str(home), "ingest", str(corpus)]
    if how == "flag":
        argv += ["--ray", address]
    else:
        monkeypatch.setenv("RAG_INGEST__RAY_ADDRESS", address)

    code = cli.main(argv)

    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("rag: error: cannot reach the Ray cluster")
    assert address in err
    assert not home.exists()


def test_a_ray_ingest_refuses_an_embedder_it_cannot_ship(tmp_path: Path, corpus: Path) -> None:
    from rag import InputError
    from tests.fakes import HashingEmbedder

    settings = Settings(home=tmp_path / "home", ingest={"ray_address": "127.0.0.1:1"})
    with pytest.raises(InputError, match="its own embedder"):
        Assistant(settings, embedder=HashingEmbedder()).ingest([corpus])
