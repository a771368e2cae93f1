"""`coso import`: the operator's file becomes a job like the API's, run in the command's own process with a
progress bar; the exit status says whether every row went through."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.support.import_files import csv_bytes

HEADER = ["Họ và tên", "Giới tính", "Ngày sinh", "Trạng thái", "Chi bộ", "Ngày vào Đảng"]


def _coso(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(  # noqa: S603 - coso itself, on the test database
        [sys.executable, "-m", "app.cli", "import", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


async def test_a_file_is_a_job_run_here_and_listed_with_the_others(
    client: httpx.AsyncClient, communes: dict[str, Any], database_url: str, tmp_path: Path
) -> None:
    cell = communes["A-DU-CB"]["code"]
    rows = [
        [f"Đỗ Văn Lệnh {i}", "Nam", f"0{1 + i % 9}/03/1980", "Đảng viên chính thức", cell, "01/02/2010"]
        for i in range(30)
    ]
    path = tmp_path / "dang-vien.csv"
    path.write_bytes(csv_bytes(HEADER, rows))

    checked = _coso(database_url, str(path), "--kind", "members")  # validate: the default
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["counts"]["created"] == 30
    assert "100% 30/30 rows" in checked.stderr
    listed = await client.get("/api/v1/members", params={"organization_id": communes["A-DU-CB"]["id"], "limit": 100})
    assert not [m for m in listed.json()["items"] if m["full_name"].startswith("Đỗ Văn Lệnh")]

    done = _coso(database_url, str(path), "--kind", "members", "--mode", "commit")
    assert done.returncode == 0, done.stderr
    job = json.loads(done.stdout)
    assert job["status"] == "succeeded" and job["counts"]["created"] == 30
    listed = await client.get("/api/v1/members", params={"organization_id": communes["A-DU-CB"]["id"], "limit": 100})
    assert len([m for m in listed.json()["items"] if m["full_name"].startswith("Đỗ Văn Lệnh")]) == 30
    seen = await client.get(f"/api/v1/jobs/{job['job']}")  # the same job resource as an upload's
    assert seen.status_code == 200 and seen.json()["status"] == "succeeded"


async def test_bad_rows_exit_2_with_the_rows_listed_and_the_whole_report_on_request(
    communes: dict[str, Any], database_url: str, tmp_path: Path
) -> None:
    cell = communes["A-DU-CB"]["code"]
    rows = [
        ["Đỗ Thị Hai", "Nữ", "31/02/1980", "Đảng viên chính thức", cell, "01/02/2010"],
        ["Đỗ Thị Ba", "Nữ", "01/02/1980", "Đảng viên chính thức", "NO-SUCH-CELL", "01/02/2010"],
    ]
    path = tmp_path / "loi.csv"
    path.write_bytes(csv_bytes(HEADER, rows))
    report = tmp_path / "report.json"
    done = _coso(database_url, str(path), "--kind", "members", "--mode", "commit", "--report", str(report))
    assert done.returncode == 2
    assert json.loads(done.stdout)["status"] == "failed"  # atomic: nothing written
    assert "row 2, Ngày sinh: invalid_date" in done.stderr and "row 3, Chi bộ: organization_not_found" in done.stderr
    assert [(e["row"], e["rule"]) for e in json.loads(report.read_text())["errors"]] == [
        (2, "invalid_date"),
        (3, "organization_not_found"),
    ]

    refused = _coso(database_url, str(tmp_path / "missing.csv"), "--kind", "members")
    assert refused.returncode == 1 and refused.stderr.strip().endswith("missing.csv: no such file.")
    odd = tmp_path / "file.pdf"
    odd.write_bytes(b"%PDF")
    refused = _coso(database_url, str(odd), "--kind", "members")
    assert refused.returncode == 1 and "name a .csv, .xlsx or .ndjson file" in refused.stderr
