"""Duplicates within a job's file, found across its batches without holding the file's keys in memory: each batch
claims its keys in `import_job_keys` (app/db/jobs/queries.py, `claim_keys`), in its own transaction. The rule, the
column and the message are those of `members.mark_duplicates_in_file` (the answer at once), which holds every key of
the file in a dict: tests/jobs/test_job_duplicates.py compares the two."""

from app.domain.imports import columns


def keys_of(row: columns.MemberRow) -> list[tuple[str, str]]:
    """The keys a person is found by (the same as `members.mark_duplicates_in_file`'s), in its order."""
    keys: list[tuple[str, str]] = [(f, str(row.values[f])) for f in ("id", "citizen_id") if f in row.values]
    keys += [("external_ids", e) for e in row.values.get("external_ids", [])]
    return keys


def key_text(key: tuple[str, str]) -> str:
    return f"{key[0]}:{key[1]}"


def first_rows(rows: list[columns.MemberRow]) -> dict[str, int]:
    """Each key of the batch → the file row of the first of its rows to have it (within a batch the first row
    claims, as in the file)."""
    first: dict[str, int] = {}
    for row in rows:
        for key in keys_of(row):
            first.setdefault(key_text(key), row.row)
    return first


def mark(rows: list[columns.MemberRow], earlier: dict[str, int]) -> None:
    """A row whose key an earlier batch (`earlier`: key → its first row) or an earlier row of this batch claimed
    gets the error `members.mark_duplicates_in_file` gives."""
    first = dict(earlier)
    for row in rows:
        for key in keys_of(row):
            text = key_text(key)
            if text in first:
                column = row.columns.get(key[0], key[0])
                row.errors.append(
                    columns.CellError(
                        key[0],
                        column,
                        "duplicate_in_file",
                        f"{column}: row {first[text]} of this file has the same value; a person is listed once.",
                    )
                )
            else:
                first[text] = row.row
