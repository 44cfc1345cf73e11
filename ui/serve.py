"""`rag serve`: bring the index in step with `seeds/`, then serve the chat with uvicorn
while the watched sources (`rag sources`) are re-read in the background."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from rag import Assistant, RagError, Settings, SourceWatcher

if TYPE_CHECKING:
    import uvicorn
    from starlette.types import ASGIApp


def serve(
    settings: Settings, host: str | None = None, port: int | None = None, ingest: bool = True
) -> int:
    import uvicorn
    from tqdm import tqdm

    from ui.app import create_app
    from ui.cli import format_report
    from ui.http_api import check_bind
    from ui.render import plural

    check_bind(host or settings.server.host, settings)  # before the slow part
    assistant = Assistant(settings)
    if ingest:
        if settings.seeds.exists():
            with tqdm(desc=f"indexing {settings.seeds}", unit="chunk", file=sys.stderr) as bar:

                def progress(done: int, total: int) -> None:
                    bar.total = total
                    bar.update(done - bar.n)

                report = assistant.ingest([settings.seeds], progress=progress)
            print(format_report(report))
        else:
            print(f"no {settings.seeds}/ folder: serving the index as it is", file=sys.stderr)
    try:
        status = assistant.status()
        # Before the first request: the chat page sends several at once.
        assistant.warm_up()
    except RagError as exc:
        print(f"rag: error: {exc}", file=sys.stderr)
        return 1
    host = host or settings.server.host
    port = port or settings.server.port
    counts = f"{plural(status.articles, 'article')}, {plural(status.chunks, 'chunk')}"
    print(f"{counts}; chat at http://{host}:{port}/")
    watcher = SourceWatcher(assistant)
    watcher.start()
    try:
        uvicorn.Server(server_config(create_app(assistant, settings), host, port)).run()
    finally:
        watcher.stop()
    return 0


def server_config(app: ASGIApp, host: str, port: int, **options: Any) -> uvicorn.Config:
    """How `rag serve` (and the tests' servers) run `app`: uvicorn, its own 400s in the
    API's JSON error shape (`ui.protocol`)."""
    import uvicorn

    from ui.protocol import JsonErrorH11

    return uvicorn.Config(
        app, host=host, port=port, log_level="warning", http=JsonErrorH11, **options
    )
