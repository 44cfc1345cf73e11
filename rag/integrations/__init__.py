"""Adapters that let other frameworks use newsrag; each module imports its framework.

`rag.integrations.llama_index`: a llama-index retriever and query engine over an index.
Importing this package imports none of them.
"""
