"""The public error classes (defined with the index, which raises them too)."""

from index.errors import IndexMismatchError, InputError, NotReadyError, RagError

__all__ = ["IndexMismatchError", "InputError", "NotReadyError", "RagError"]
