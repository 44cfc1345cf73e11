"""An upload killed mid-copy leaves no truncated article; its re-upload is whole."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path
from typing import Any

from index.loaders import find_article_files
from tests.index import clean_build, faults
from ui.uploads import add_uploads, uploads_dir


def _upload_killed_mid_copy(home: str, upload: str) -> None:
    """The child: upload `upload`, SIGKILLed with half of it copied."""

    def half_then_die(source: Any, target: Any, *_: Any, **__: Any) -> None:
        data = Path(source).read_bytes()
        Path(target).write_bytes(data[: len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)

    shutil.copyfile = half_then_die  # type: ignore[assignment]
    add_uploads(clean_build.assistant(Path(home)), [(Path(upload), "notes.txt")])


def test_a_kill_mid_copy_leaves_nothing_to_ingest_and_the_reupload_is_whole(
    tmp_path: Path,
) -> None:
    world = clean_build.make_world(tmp_path / "world", templates=False)
    home = tmp_path / "home"
    child = faults.context().Process(  # type: ignore[attr-defined]
        target=_upload_killed_mid_copy, args=(str(home), str(world.upload))
    )
    child.start()
    child.join(timeout=120)
    assert child.exitcode == -signal.SIGKILL
    assistant = clean_build.assistant(home)
    folder = uploads_dir(assistant)
    assert any(folder.iterdir()), "the kill left no partial copy: the test proves nothing"
    assert find_article_files([folder]) == ([], [])  # the loader takes no partial copy

    report, names = add_uploads(assistant, [(world.upload, "notes.txt")])

    assert list(names) == [str(folder / "notes.txt")]  # the name the user gave, not taken
    assert len(report.added) == 1
    stored = assistant.article(report.added[0])
    assert clean_build.UPLOAD[1] in stored.text  # all of it
    again = assistant.ingest([folder])  # what the folder holds: the one whole upload
    assert (again.added, again.unchanged) == ([], report.added)
    clean_build.close(assistant)
