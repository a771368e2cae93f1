"""GET /api/v1/members?format=csv|xlsx|ndjson: the whole listing as a file, in the member import's columns, so that
the file imported again changes nothing; the same members as the JSON list; sensitive columns only with pii."""

import csv
import io
import time
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
import orjson
import pytest
import python_calamine
from fastapi import FastAPI

from tests.support.builders import AddMembers, ClientWith, InsertKey
from tests.support.files import text_of
from tests.support.problems import assert_problem
from tests.support.serve import coso_serve

URL = "/api/v1/members"
IMPORT = "/api/v1/members/import"
MEDIA = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ndjson": "application/x-ndjson",
}
SENSITIVE_VI = {"Nơi thường trú", "Dân tộc", "Tôn giáo", "Số CCCD", "Số điện thoại"}
SENSITIVE_EN = {"residence", "ethnicity", "religion", "citizen_id", "phone"}


async def _register(client: httpx.AsyncClient, communes: dict[str, Any]) -> list[str]:
    """Members of A and B, with every column the import reads filled somewhere (Vietnamese text, leading zeros)."""
    people = [
        ("A-DU-CB", "Nguyễn Thị Hồng Đào", "female", "1990-03-15", "official", "01", "none", "bachelor"),
        ("A-DU-CB", "Đặng Văn Ơn", "male", "1985-11-02", "official", "04", "buddhism", "college"),
        ("A-DU-CB", "Lò Thị Mây", "female", "1999-01-09", "probationary", "03", "catholicism", "none"),
        ("B-DU-CB", "Trần Văn Bắc", "male", "1970-07-30", "official", "01", "none", "bachelor"),
    ]
    ids = []
    for i, (cell, name, gender, born, status, ethnicity, religion, level) in enumerate(people):
        body: dict[str, Any] = {
            "full_name": name,
            "gender": gender,
            "birth_date": born,
            "status": status,
            "organization_id": communes[cell]["id"],
            "citizen_id": f"001{int(gender == 'female') + (2 if born >= '2000' else 0)}{born[2:4]}{i:06d}",
            "phone": f"+84 91200{i:04d}" if i == 2 else f"091200{i:04d}",
            "residence": "Thôn Đông, xã Tân Lập, tỉnh Phú Thọ",
            "ethnicity": ethnicity,
            "religion": religion,
            "birth_place": '=HYPERLINK("http://x")' if i == 1 else "Xã Tân Lập, tỉnh Phú Thọ",
            "hometown": "Xã Hồng Phong, tỉnh Hải Phòng",
            "education": "upper_secondary",
            "professional_level": level,
            "political_theory_level": "elementary",
            "party_card_number": f"0{i}345678",
            "record_number": f"LL-2015-00{i}",
            "external_ids": [f"csdl-tinh:DV-{i:06d}", f"khac:{i}"],
        }
        if status != "candidate":
            body |= {"admission_decision_date": "2015-02-03", "admission_ceremony_date": "2015-02-10"}
        if status == "official":
            body["training_certificate_date"] = "2014-10-01"
        response = await client.post(URL, json=body)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def _table(fmt: str, body: bytes) -> list[dict[str, Any]]:
    """The file's rows as dicts of header → cell (as text, or as the reader gives it)."""
    if fmt == "csv":
        assert body.startswith(b"\xef\xbb\xbf")
        return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    if fmt == "xlsx":
        rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()
        return [dict(zip([str(h) for h in rows[0]], row, strict=True)) for row in rows[1:]]
    return [orjson.loads(line) for line in body.splitlines()]


def _ids(fmt: str, body: bytes) -> list[str]:
    return [str(row["id"]) for row in _table(fmt, body)]


async def _json_ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    found: list[str] = []
    cursor = None
    while True:
        page = await client.get(URL, params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        found += [m["id"] for m in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return found


@pytest.mark.parametrize(
    ("fmt", "headers"), [("csv", "vi"), ("csv", "en"), ("xlsx", "vi"), ("xlsx", "en"), ("ndjson", "vi")]
)
async def test_an_export_imported_again_changes_nothing(
    client: httpx.AsyncClient, communes: dict[str, Any], fmt: str, headers: str
) -> None:
    ids = await _register(client, communes)
    exported = await client.get(URL, params={"format": fmt, "headers": headers})
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].split(";")[0] == MEDIA[fmt]
    assert sorted(_ids(fmt, exported.content)) == sorted(ids)
    report = await client.post(
        IMPORT, content=exported.content, headers={"Content-Type": MEDIA[fmt]}, params={"mode": "validate"}
    )
    assert report.status_code == 200, report.text
    assert report.json()["counts"] == {"rows": 4, "created": 0, "updated": 0, "unchanged": 4, "failed": 0}


async def test_the_columns_are_the_imports_in_the_words_of_an_office_or_of_the_api(
    client: httpx.AsyncClient, communes: dict[str, Any]
) -> None:
    """`vi` (the default): the template's headers, labels, ISO dates; `en`: field names and codes. No columns of a
    registration only (`since`, `decision_ref`)."""
    await _register(client, communes)
    template = await client.get(f"{IMPORT}/template", params={"format": "csv"})
    template_header = next(csv.reader(io.StringIO(template.content.decode("utf-8-sig"))))
    vi = _table("csv", (await client.get(URL, params={"format": "csv", "within": communes["A"]["id"]})).content)
    assert list(vi[0]) == [h for h in template_header if h not in ("Sinh hoạt từ ngày", "Số quyết định")]
    dao = next(row for row in vi if row["Họ và tên"] == "Nguyễn Thị Hồng Đào")
    assert (dao["Giới tính"], dao["Dân tộc"], dao["Tôn giáo"], dao["Chi bộ"]) == ("Nữ", "Kinh", "Không", "A-DU-CB")
    assert (dao["Ngày sinh"], dao["Ngày vào Đảng"], dao["Số CCCD"][:3]) == ("1990-03-15", "2015-02-03", "001")
    assert dao["Mã hệ thống khác"] == "csdl-tinh:DV-000000; khac:0"
    # What Excel would run as a formula is written as text (the import reads the apostrophe past: round trip above)
    on = next(row for row in vi if row["Họ và tên"] == "Đặng Văn Ơn")
    assert on["Nơi sinh"] == '\'=HYPERLINK("http://x")'
    assert next(row for row in vi if row["Họ và tên"] == "Lò Thị Mây")["Số điện thoại"] == "'+84 912000002"
    en = _table("csv", (await client.get(URL, params={"format": "csv", "headers": "en"})).content)
    assert "since" not in en[0] and "decision_ref" not in en[0]
    dao_en = next(row for row in en if row["full_name"] == "Nguyễn Thị Hồng Đào")
    assert (dao_en["gender"], dao_en["ethnicity"], dao_en["status"]) == ("female", "01", "official")
    lines = _table("ndjson", (await client.get(URL, params={"format": "ndjson"})).content)
    assert next(m for m in lines if m["full_name"] == "Nguyễn Thị Hồng Đào")["external_ids"] == [
        "csdl-tinh:DV-000000",
        "khac:0",
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ndjson"])
async def test_filters_as_of_and_scope_give_the_json_lists_members(
    client: httpx.AsyncClient,
    app: FastAPI,
    communes: dict[str, Any],
    client_with: ClientWith,
    insert_key: InsertKey,
    fmt: str,
) -> None:
    await _register(client, communes)
    cases: list[dict[str, Any]] = [
        {},
        {"within": communes["A"]["id"]},
        {"organization_id": communes["B-DU-CB"]["id"]},
        {"status": "probationary"},
        {"gender": "female", "min_age": 20},
        {"q": "van"},
        {"as_of": "2015-06-01"},
        {"ethnicity": "01"},
    ]
    for params in cases:
        exported = await client.get(URL, params={**params, "format": fmt})
        assert exported.status_code == 200, (params, exported.text)
        expected = await _json_ids(client, **params)
        assert expected or "as_of" in params, params  # a filter that finds nothing would prove little
        assert sorted(_ids(fmt, exported.content)) == sorted(expected), params
        if "q" not in params:  # the listing's order (a search is ranked in JSON, in name order in a file)
            assert _ids(fmt, exported.content) == expected, params
    token = await insert_key(role="viewer", scopes=[communes["A"]["id"]], pii=False)
    async with client_with(app, token) as a_reader:
        exported = await a_reader.get(URL, params={"format": fmt})
        assert exported.status_code == 200
        assert _ids(fmt, exported.content) == await _json_ids(a_reader)
        assert len(_ids(fmt, exported.content)) == 3
        outside = await a_reader.get(URL, params={"format": fmt, "within": communes["B"]["id"]})
        assert_problem(outside, 422, "within_not_found")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ndjson"])
async def test_sensitive_columns_are_left_out_without_pii(
    client: httpx.AsyncClient,
    app: FastAPI,
    communes: dict[str, Any],
    client_with: ClientWith,
    insert_key: InsertKey,
    fmt: str,
) -> None:
    await _register(client, communes)
    with_pii = _table(fmt, (await client.get(URL, params={"format": fmt})).content)
    expected = SENSITIVE_EN if fmt == "ndjson" else SENSITIVE_VI
    assert expected <= set(with_pii[0])
    token = await insert_key(role="editor", pii=False)
    async with client_with(app, token) as reader:
        response = await reader.get(URL, params={"format": fmt})
        assert response.status_code == 200
        without = _table(fmt, response.content)
        assert not expected & set(without[0])
        assert set(without[0]) == set(with_pii[0]) - expected
        shown = text_of(fmt, response.content)  # an XLSX's bytes are a zip: its cells are read back
        assert "0912000" not in shown and "Thôn Đông" not in shown
        assert_problem(await reader.get(URL, params={"format": fmt, "ethnicity": "01"}), 403, "pii_required")
        # Imported back without pii: unchanged as well (the columns it has are as recorded).
        report = await reader.post(
            IMPORT, content=response.content, headers={"Content-Type": MEDIA[fmt]}, params={"mode": "validate"}
        )
        assert report.status_code == 200, report.text
        assert report.json()["counts"]["unchanged"] == 4


async def test_a_persons_export_with_pii_is_one_sensitive_read_with_the_count(
    settings: Any,
    database_url: str,
    db_pool: asyncpg.Pool,
    communes: dict[str, Any],
    client: httpx.AsyncClient,
    client_with: ClientWith,
) -> None:
    from app.main import create_app

    await _register(client, communes)
    secret = "a-shared-secret-of-at-least-32-bytes!!"
    app = create_app(settings.model_copy(update={"jwt_secret": secret}), database_url=database_url)

    def token(pii: bool) -> str:
        claims = {"sub": "can.bo", "exp": int(time.time()) + 300, "role": "viewer", "org_scopes": ["*"], "pii": pii}
        return jwt.encode(claims, secret, algorithm="HS256")

    async with app.router.lifespan_context(app):
        async with client_with(app, token(False)) as c:
            assert (await c.get(URL, params={"format": "csv"})).status_code == 200
        assert await db_pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'read_sensitive'") == 0
        async with client_with(app, token(True)) as c:
            response = await c.get(URL, params={"format": "xlsx", "within": communes["A"]["id"]})
            assert response.status_code == 200
    reads = await db_pool.fetch("SELECT * FROM audit_log WHERE action = 'read_sensitive'")
    assert len(reads) == 1
    after = orjson.loads(reads[0]["after"])
    assert (reads[0]["actor_id"], reads[0]["entity"], after["export"], after["count"]) == (
        "can.bo",
        "member",
        "xlsx",
        3,
    )
    assert after["file"].startswith("members_A_")


async def test_the_format_comes_from_format_or_accept(client: httpx.AsyncClient, communes: dict[str, Any]) -> None:
    await _register(client, communes)
    for fmt, media in MEDIA.items():
        response = await client.get(URL, headers={"Accept": f"{media}, application/json;q=0.5"})
        assert response.headers["content-type"].split(";")[0] == media
        assert len(_ids(fmt, response.content)) == 4
    assert (await client.get(URL, headers={"Accept": "application/json, text/csv"})).json()["items"]
    assert (await client.get(URL, headers={"Accept": "text/csv"}, params={"format": "json"})).json()["items"]
    unknown = await client.get(URL, params={"format": "pdf"})
    assert_problem(unknown, 422)
    paged = await client.get(URL, params={"format": "csv", "limit": 10})
    assert_problem(paged, 422, "export_not_paged")
    assert "limit" in paged.json()["detail"]


async def test_the_file_name_says_what_and_when(client: httpx.AsyncClient, communes: dict[str, Any]) -> None:
    today = (await client.get(URL, params={"format": "csv"})).headers["content-disposition"]
    assert today.startswith('attachment; filename="members_all_20') and today.endswith('.csv"')
    within = await client.get(URL, params={"format": "xlsx", "within": communes["A"]["id"], "as_of": "2024-01-01"})
    assert within.headers["content-disposition"] == 'attachment; filename="members_A_2024-01-01.xlsx"'
    cell = await client.get(URL, params={"format": "ndjson", "organization_id": communes["B-DU-CB"]["id"]})
    assert cell.headers["content-disposition"].startswith('attachment; filename="members_B-DU-CB_')


async def test_thousands_of_rows_are_streamed(
    client: httpx.AsyncClient, communes: dict[str, Any], add_members: AddMembers
) -> None:
    """Sent as written (no Content-Length: the size is not known before the end), every row once, in order."""
    await add_members(communes["A-DU-CB"], 3000, "Phạm Văn")
    for fmt in MEDIA:
        response = await client.get(URL, params={"format": fmt})
        assert response.status_code == 200
        assert "content-length" not in response.headers
        rows = _table(fmt, response.content)
        assert len(rows) == 3000
        assert len({str(r["id"]) for r in rows}) == 3000


async def test_an_export_is_one_snapshot_whatever_commits_while_it_is_sent(
    db_pool: asyncpg.Pool, communes: dict[str, Any], add_members: AddMembers
) -> None:
    """Renames committed after the first rows were sent do not reach the rows still to come: the file is the
    database as it stood when the export began."""
    from app.db.scope import WHOLE_TREE
    from app.domain.access.callers import Caller, Role
    from app.domain.exports import members as exports
    from app.domain.members.reads import MemberFilters

    await add_members(communes["A-DU-CB"], 1500, "Phạm Văn")
    export = await exports.export_members(
        db_pool,
        caller=Caller(kind="key", id="k", name="test", role=Role.viewer),
        scope=WHOLE_TREE,
        filters=MemberFilters(),
        fmt="csv",
        headers="en",
        today=date.today(),
        request_id=None,
    )
    chunks = [await anext(export.body), await anext(export.body)]  # the header, then the first batch
    await db_pool.execute("UPDATE members SET full_name = 'Đổi Tên', updated_at = now()")
    assert await db_pool.fetchval("SELECT count(*) FROM members WHERE full_name = 'Đổi Tên'") == 1500
    chunks += [chunk async for chunk in export.body]
    rows = _table("csv", b"".join(chunks))
    assert len(rows) == 1500
    assert not [r for r in rows if r["full_name"] == "Đổi Tên"]


async def test_a_real_server_sends_an_export_in_chunks(
    database_url: str, tmp_path: Path, communes: dict[str, Any], add_members: AddMembers, insert_key: InsertKey
) -> None:
    """Through uvicorn: `Transfer-Encoding: chunked`, no Content-Length, the file arriving in many pieces."""
    await add_members(communes["A-DU-CB"], 3000, "Vũ Thị")
    token = await insert_key(role="viewer", pii=False)
    with coso_serve(database_url, tmp_path) as base:
        async with (
            httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http,
            http.stream("GET", URL, params={"format": "csv"}) as response,
        ):
            assert response.status_code == 200
            assert response.headers["transfer-encoding"] == "chunked"
            assert "content-length" not in response.headers
            chunks = [chunk async for chunk in response.aiter_raw()]
    assert len(chunks) > 3
    assert len(_table("csv", b"".join(chunks))) == 3000


async def test_a_client_gone_mid_file_gives_the_snapshot_back_at_once(
    db_pool: asyncpg.Pool, communes: dict[str, Any], add_members: AddMembers
) -> None:
    """The sending fails after the first batch (the client went away): the rows' transaction is closed and its
    connection back in the pool then, not when the garbage collector gets to the generators."""
    from app.api.exports import ExportResponse, ExportSlots
    from app.db.scope import WHOLE_TREE
    from app.domain.access.callers import Caller, Role
    from app.domain.exports import members as exports
    from app.domain.members.reads import MemberFilters

    await add_members(communes["A-DU-CB"], 1200, "Phạm Văn")
    export = await exports.export_members(
        db_pool,
        caller=Caller(kind="key", id="k", name="test", role=Role.viewer),
        scope=WHOLE_TREE,
        filters=MemberFilters(),
        fmt="csv",
        headers="en",
        today=date.today(),
        request_id=None,
    )
    sent: list[Any] = []
    open_transactions = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'"
    )

    async def send(message: Any) -> None:
        sent.append(message)
        if len(sent) == 3:  # the start, the header, the first batch: then the socket is gone
            assert await db_pool.fetchval(open_transactions) == 1  # the snapshot, mid-file
            raise OSError("connection reset by peer")

    slots = ExportSlots(1)
    assert slots.take()
    with pytest.raises(OSError):
        await ExportResponse(export.body, slots=slots, media_type="text/csv").stream_response(send)
    assert getattr(export.body, "ag_frame", True) is None  # closed
    assert slots.taken == 0  # and its place among the concurrent exports given back
    assert await db_pool.fetchval(open_transactions) == 0
