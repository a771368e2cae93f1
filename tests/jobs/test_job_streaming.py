"""A job reads its file as a stream (issue 13): the same report as an answer at once in every format, duplicates
within the file found across batches (`import_job_keys`), a resumed per-row job that reads past its committed rows
without converting them, and a reader whose memory does not grow with the file."""

import tempfile
import tracemalloc
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from app.api.imports.checks import check_member_row
from app.domain.imports import columns, files, members
from app.domain.jobs import runner
from tests.support.builders import CountRows
from tests.support.import_files import FORMATS
from tests.support.jobs import URL, all_errors, generated_csv, wait_for

ASYNC = {"Prefer": "respond-async"}
HEADER = ["full_name", "gender", "birth_date", "status", "organization", "admission_decision_date"]
HEADER += ["citizen_id", "external_ids"]


def duplicated_rows(cell: str) -> list[list[str]]:
    """Nine people; with batches of 2 rows, a duplicate of an earlier batch (records 3, 4, 7, 9) and of the same
    batch (record 6)."""
    ids = ["1", "2", "1", "", "", "", "2", "", "3"]
    externals = ["x:1", "", "", "x:1", "y:2", "y:2", "", "", "x:1"]
    return [
        [f"Người lặp {i}", "Nam", f"{1 + i:02d}/03/1990", "official", cell, "01/01/2015"]
        + ([f"0010900000{int(ids[i - 1]):02d}"] if ids[i - 1] else [""])
        + [externals[i - 1]]
        for i in range(1, 10)
    ]


def duplicates_of(errors: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    return [(e["record"], e["column"], e["message"]) for e in errors if e["rule"] == "duplicate_in_file"]


ONCE = "a person is listed once."
# (record, column, the record of the first row with its value)
DUPLICATES = [(3, "citizen_id", 1), (4, "external_ids", 1), (6, "external_ids", 5), (7, "citizen_id", 2)]
DUPLICATES += [(9, "external_ids", 1)]


def expected(header_rows: int) -> list[tuple[int, str, str]]:
    """The duplicates' errors; a message names the first row as the file numbers it (CSV, XLSX: the header is row
    1; NDJSON: a line is its row)."""
    return [
        (
            record,
            column,
            f"{column}: row {first + header_rows} of this file has the same value; a person is listed once.",
        )
        for record, column, first in DUPLICATES
    ]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
async def test_a_jobs_report_is_the_answer_at_once_in_every_format(
    client: httpx.AsyncClient,
    communes: dict[str, Any],
    worker: None,
    db_pool: asyncpg.Pool,
    count_rows: CountRows,
    fmt: str,
) -> None:
    """Batches of 2 rows: the duplicates of earlier batches are the answer at once's (the same rows, columns and
    messages, with the first row's number), and the job's keys are gone once it has ended."""
    build, media = FORMATS[fmt]
    body = build(HEADER, duplicated_rows("A-DU-CB"))
    at_once = await client.post(URL, content=body, headers={"Content-Type": media})
    assert at_once.status_code == 200, at_once.text
    report = at_once.json()
    assert duplicates_of(report["errors"]) == expected(0 if fmt == "ndjson" else 1)
    for mode, atomic in (("validate", "true"), ("commit", "false")):
        response = await client.post(
            URL,
            content=body,
            headers={"Content-Type": media, **ASYNC},
            params={"mode": mode, "atomic": atomic},
        )
        assert response.status_code == 202, response.text
        done = await wait_for(client, response.json()["id"])
        assert done["status"] == "succeeded", done
        assert done["counts"] == report["counts"] and done["rows_total"] == 9
        assert await all_errors(client, done["id"]) == report["errors"]
        assert await count_rows("import_job_keys") == 0
    assert await count_rows("members") == 9 - len(DUPLICATES)


class _Killed(BaseException):
    """What a SIGKILL does to a batch: it stops in the middle, nothing of it committed, the job left running."""


async def test_a_resumed_job_reads_past_its_committed_rows_and_still_finds_their_duplicates(
    client: httpx.AsyncClient,
    communes: dict[str, Any],
    db_pool: asyncpg.Pool,
    count_rows: CountRows,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first attempt dies in its third batch (records 5-6); the second starts at record 5, converts nothing
    before it, and reports the duplicates of records 1-4 the keys of the committed batches remember."""
    build, media = FORMATS["csv"]
    body = build(HEADER, duplicated_rows("A-DU-CB"))
    at_once = (await client.post(URL, content=body, headers={"Content-Type": media})).json()
    response = await client.post(
        URL,
        content=body,
        headers={"Content-Type": media, **ASYNC},
        params={"mode": "commit", "atomic": "false"},
    )
    job_id = uuid.UUID(response.json()["id"])
    limits = runner.Limits(batch_rows=2)
    run_rows = members.run_rows
    converted: list[int] = []
    batches: list[list[int]] = []
    member_rows = columns.member_rows

    async def dies_in_the_third_batch(*args: Any, **kwargs: Any) -> None:
        batches.append([r.record for r in kwargs["rows"]])
        if len(batches) == 3:
            raise _Killed
        await run_rows(*args, **kwargs)

    def spied(table: files.Table) -> list[columns.MemberRow]:
        converted.extend(r.record for r in table.rows)
        return member_rows(table)

    monkeypatch.setattr(members, "run_rows", dies_in_the_third_batch)
    with pytest.raises(_Killed):
        await runner.run_job(db_pool, job_id, check=check_member_row, limits=limits)
    state = await db_pool.fetchrow("SELECT status, checkpoint FROM import_jobs WHERE id = $1", job_id)
    assert (state["status"], state["checkpoint"]) == ("running", 4)
    assert await count_rows("import_job_keys") == 3  # citizen IDs 1 and 2, x:1 (records 1-4)
    monkeypatch.setattr(members, "run_rows", run_rows)
    monkeypatch.setattr(columns, "member_rows", spied)
    await runner.run_job(db_pool, job_id, check=check_member_row, limits=limits)
    assert converted == [5, 6, 7, 8, 9]
    done = await wait_for(client, str(job_id))
    assert done["status"] == "succeeded" and done["attempts"] == 2
    assert done["counts"] == at_once["counts"]
    assert await all_errors(client, str(job_id)) == at_once["errors"]
    assert duplicates_of(at_once["errors"]) == expected(1)
    assert await count_rows("members") == 9 - len(DUPLICATES)
    assert await count_rows("import_job_keys") == 0


def _reading_peak(rows: int) -> tuple[int, int]:
    """(data rows, peak bytes allocated) of surveying and then reading a generated CSV in batches of 2,000."""
    with tempfile.TemporaryFile() as upload:
        upload.write(generated_csv(rows, "A-DU-CB"))
        tracemalloc.start()
        try:
            surveyed = files.survey(upload, files.CSV, max_rows=10**8)
            read = sum(len(table.rows) for table in files.batches(upload, files.CSV, surveyed, size=2_000))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert read == surveyed.rows
    return read, peak


def test_reading_a_file_takes_the_same_memory_whatever_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 64 KB (1 MB in production) so that small files are already many chunks: twice the rows, the same
    peak (a batch of rows and a chunk), where the whole file's rows would take twice as much."""
    monkeypatch.setattr(files, "_CHUNK", 64 * 1024)
    small, small_peak = _reading_peak(20_000)
    large, large_peak = _reading_peak(40_000)
    assert (small, large) == (20_000, 40_000)
    assert large_peak < small_peak * 1.1 and large_peak < 8 * 1024 * 1024, (small_peak, large_peak)
