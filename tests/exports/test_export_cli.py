"""`coso export`: the operator's file is the API's file (same columns, rows and order), written to a file or to
standard output; a refusal is a one-line message and a non-zero exit, not a traceback."""

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import python_calamine

from tests.support.builders import AddMembers


def _coso(database_url: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(  # noqa: S603 - coso itself, on the test database
        [sys.executable, "-m", "app.cli", "export", *args], env=env, capture_output=True, timeout=120, check=False
    )


async def test_the_operators_file_is_the_apis_file(
    client: httpx.AsyncClient, communes: dict[str, Any], add_members: AddMembers, database_url: str, tmp_path: Path
) -> None:
    await add_members(communes["A-DU-CB"], 30, "cli")
    await add_members(communes["B-DU-CB"], 5, "cli-b")
    code = communes["A"]["code"]
    api = await client.get("/api/v1/members", params={"format": "csv", "headers": "en", "within": code})
    assert api.status_code == 200, api.text
    done = _coso(database_url, "--kind", "members", "--within", code, "--headers", "en", "--pii", "--format", "csv")
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == api.content
    assert done.stdout.count(b"\n") == 31  # the header and A's 30 (B's 5 are outside)
    assert b"coso export: members_" in done.stderr  # the progress line names the file

    target = tmp_path / "units.xlsx"  # the format from the extension
    done = _coso(database_url, "--kind", "organizations", "--within", code, "-o", str(target))
    assert done.returncode == 0, done.stderr.decode()
    api = await client.get("/api/v1/organizations", params={"format": "xlsx", "within": code})
    assert api.status_code == 200, api.text
    assert _sheet(target.read_bytes()) == _sheet(api.content)  # the bytes differ only by the time of writing
    assert len(_sheet(api.content)) == 4  # the header, A, its committee and its cell


def _sheet(body: bytes) -> list[list[Any]]:
    rows: list[list[Any]] = (
        python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()
    )
    return rows


async def test_a_refusal_is_a_sentence_and_an_exit_code(database_url: str) -> None:
    done = _coso(database_url, "--kind", "members", "--within", "NO-SUCH-UNIT")
    assert done.returncode == 1
    assert (
        done.stderr.decode().strip().splitlines()[-1] == "coso export: No organisation with code 'NO-SUCH-UNIT' exists."
    )
    assert b"Traceback" not in done.stderr and done.stdout == b""
