"""Front ends over `rag`'s public API: the `rag` command line, the web chat, the HTTP API."""
