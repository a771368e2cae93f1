"""Duplicates within a job's file, found across its batches without holding the file's keys in memory: each batch
claims its keys in `import_job_keys` (app/db/jobs/queries.py, `claim_keys`), in its own transaction, and is marked
by `members.mark_duplicates_in_file` with the keys earlier batches claimed (the answer at once marks its whole file
the same way, with none earlier)."""

from app.domain.imports import columns, members


def first_rows(rows: list[columns.MemberRow]) -> dict[str, int]:
    """Each key of the batch → the file row of the first of its rows to have it (within a batch the first row
    claims, as in the file)."""
    first: dict[str, int] = {}
    for row in rows:
        for key in members.duplicate_keys(row):
            first.setdefault(members.key_text(key), row.row)
    return first


def mark(rows: list[columns.MemberRow], earlier: dict[str, int]) -> None:
    """A row whose key an earlier batch (`earlier`: key → its first row) or an earlier row of this batch claimed
    gets the error of a duplicate within the file."""
    members.mark_duplicates_in_file(rows, earlier)
