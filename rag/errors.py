"""The public error classes (defined with the index, which raises them too)."""

from index.errors import (
    IndexBusyError,
    IndexMismatchError,
    InputError,
    NotReadyError,
    RagError,
    StoreError,
)

__all__ = [
    "IndexBusyError",
    "IndexMismatchError",
    "InputError",
    "NotReadyError",
    "RagError",
    "StoreError",
]
