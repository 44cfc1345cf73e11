"""The public error classes (defined with the index, which raises them too)."""

from index.errors import (
    ClusterError,
    IndexBusyError,
    IndexMismatchError,
    InputError,
    NotReadyError,
    RagError,
    StoreError,
)

__all__ = [
    "ClusterError",
    "IndexBusyError",
    "IndexMismatchError",
    "InputError",
    "NotReadyError",
    "RagError",
    "StoreError",
]
