"""Bulk imports: a file (CSV, XLSX, NDJSON) → rows of named values → the same domain functions as the API, row by
row, in one transaction (ARCHITECTURE.md, "Imports")."""
