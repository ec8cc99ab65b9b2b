"""Connectors: one module per kind of store (SQL, files, S3, mail). Arrives with issue 4."""
