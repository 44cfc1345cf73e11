"""newsrag: question answering over a news archive with exact, checkable citations.

The public API::

    from rag import Assistant, Settings
    assistant = Assistant(Settings(home=Path(".rag")))
    assistant.ingest(["seeds"])
    answer = assistant.ask("Who was killed on January 28?", top_k=5, since="2024-01-01")
    for c in answer.citations:
        article = assistant.article(c.article_id)
        assert article.text[c.start:c.end] == c.quote
"""

from index.dedup import DedupReport
from index.ingest import IngestReport
from index.loaders import Skipped
from rag.assistant import Assistant, parse_date_arg
from rag.errors import (
    ClusterError,
    IndexBusyError,
    IndexMismatchError,
    InputError,
    NotReadyError,
    RagError,
    StoreError,
)
from rag.settings import Settings
from rag.sources import SourceWatcher, WatchedSource
from rag.timeline import Timeline, TimelineEntry
from rag.types import (
    Answer,
    ArticlePage,
    ArticleRef,
    ArticleSummary,
    ArticleView,
    Citation,
    Passage,
    Removal,
    ReportedValue,
    SearchWindow,
    Status,
    Turn,
)

__all__ = [
    "Answer",
    "ArticlePage",
    "ArticleRef",
    "ArticleSummary",
    "ArticleView",
    "Assistant",
    "Citation",
    "ClusterError",
    "DedupReport",
    "IndexBusyError",
    "IndexMismatchError",
    "IngestReport",
    "InputError",
    "NotReadyError",
    "Passage",
    "RagError",
    "Removal",
    "ReportedValue",
    "SearchWindow",
    "Settings",
    "Skipped",
    "SourceWatcher",
    "Status",
    "StoreError",
    "Timeline",
    "TimelineEntry",
    "Turn",
    "WatchedSource",
    "parse_date_arg",
]
