"""What a domain function hands back for the API to send as it is."""

import uuid
from dataclasses import dataclass

from app.db.sql import Record


@dataclass(frozen=True)
class Document:
    """One resource as the API serves it: its JSON (rendered by PostgreSQL), its id and version (the ETag)."""

    id: uuid.UUID
    json: str
    version: int


def document(id: uuid.UUID, row: Record) -> Document:
    """From a row holding `doc` (JSON text) and `version`."""
    return Document(id=id, json=row["doc"], version=row["version"])
