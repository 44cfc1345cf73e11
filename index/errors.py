"""The few error classes of newsrag; `rag.errors` re-exports them as the public set.

The CLI, the HTTP API and the UI translate them into a message and a status:
`InputError` is the user's to fix (exit 2, HTTP 4xx), the rest are failures (exit 1).
"""


class RagError(Exception):
    """Base class: every error newsrag raises on purpose."""


class InputError(RagError, ValueError):
    """Bad input: a question, an option, a path. The message names the bad value."""


class NotReadyError(RagError):
    """The index has nothing to answer from yet."""


class IndexMismatchError(RagError):
    """The index was built with another model or chunking than the settings ask for."""


class IndexBusyError(RagError):
    """Another process (or ingest) is writing to the index right now."""
