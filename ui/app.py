"""The web application: the Gradio chat at `/`, room for JSON routers under `/v1`.

>>> app = create_app(Assistant(settings), settings)  # doctest: +SKIP
>>> uvicorn.run(app, host="127.0.0.1", port=7860)  # doctest: +SKIP
"""

from __future__ import annotations

import fastapi
import gradio as gr

from rag import Assistant, Settings
from ui.assets import page_assets
from ui.chat import build_chat
from ui.uploads import MAX_UPLOAD_BYTES


def create_app(assistant: Assistant, settings: Settings) -> fastapi.FastAPI:
    app = fastapi.FastAPI(title="newsrag", docs_url=None, redoc_url=None, openapi_url=None)
    # Routers (e.g. the /v1 JSON API) go here: the Gradio mount at "/" below catches every
    # path that no earlier route matched, so it must stay last.
    return gr.mount_gradio_app(
        app,
        build_chat(assistant),
        path="/",
        server_name=settings.server.host,
        server_port=settings.server.port,
        max_file_size=MAX_UPLOAD_BYTES,
        footer_links=["api"],
        **page_assets(),
    )
