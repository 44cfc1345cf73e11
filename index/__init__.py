"""Ingest: load articles, chunk them in model tokens, embed, and store in Chroma + BM25."""
