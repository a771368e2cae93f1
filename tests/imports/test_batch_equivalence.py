"""The set-based member import against its oracle: the same file through the per-row path
(`run_rows_one_by_one`, each row through the single-record domain functions in a savepoint) and through `run_rows`
(batch.py), each in its own rolled-back transaction, gives the same report and the same rows in every table it
writes (generated ids and timestamps aside)."""

import csv
import io
import logging
import re
import uuid
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest

from app.api.imports.checks import check_member_row
from app.db.scope import WHOLE_TREE, Scope
from app.domain.access.callers import Actor, Caller, Role
from app.domain.imports import columns, files, members
from app.domain.tx import Tx, transaction
from tests.support.builders import CreateOrg

CSV = "text/csv"
HEADER = [
    "id",
    "full_name",
    "gender",
    "birth_date",
    "status",
    "organization",
    "admission_decision_date",
    "admission_ceremony_date",
    "citizen_id",
    "phone",
    "external_ids",
    "since",
    "decision_ref",
]
OPTIONS = members.Options(
    mode="commit", atomic=False, allow_same_name=False, today=date(2026, 6, 1), min_age=18, probation_months=12
)
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Khánh", "Linh", "Minh", "Nga", "Phúc", "Quân", "Sơn"]


def row(**cells: str) -> list[str]:
    return [cells.get(h, "") for h in HEADER]


def person(i: int, org: str = "A-DU-CB", **extra: str) -> list[str]:
    """A good row: an official member (every third a candidate), a unique citizen ID and external id."""
    name = f"{SURNAMES[i % 8]} Văn {GIVEN[i % 13]} {i}"
    if i % 3 == 0:
        cells = {"status": "candidate", "birth_date": f"{1990 + i % 10}-0{1 + i % 9}-1{i % 10}"}
    else:
        cells = {"status": "official", "birth_date": f"{1970 + i % 20}-0{1 + i % 9}-2{i % 8}"}
        cells["admission_decision_date"] = f"{2000 + i % 20}-03-1{i % 10}"
    cells |= {"full_name": name, "gender": "Nam" if i % 2 else "Nữ", "organization": org}
    cells |= {"citizen_id": f"0010{i:08d}", "external_ids": f"csdl:{i}", "phone": f"0912{i:06d}"}
    return row(**(cells | extra))


def csv_of(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


def parsed(data: bytes) -> list[columns.MemberRow]:
    rows = columns.member_rows(files.read_table(data, CSV, max_rows=100_000))
    members.mark_duplicates_in_file(rows)
    return rows


def actor_of(scopes: tuple[uuid.UUID, ...], request_id: str = "req-1") -> Actor:
    caller = Caller(kind="key", id="importer", name="Importer", role=Role.editor, scopes=scopes, pii=True)
    return Actor(caller=caller, request_id=request_id)


async def seed(db_pool: asyncpg.Pool, rows: list[list[str]]) -> None:
    """Records created as an import of the whole tree creates them (committed)."""
    async with transaction(db_pool) as tx:
        report = await members.run(
            tx,
            actor=actor_of((), "seed"),
            scope=WHOLE_TREE,
            rows=parsed(csv_of(rows)),
            check=check_member_row,
            options=OPTIONS,
            media=CSV,
        )
        assert report.counts.failed == 0, report.errors


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# Every table the import writes, each row named by what identifies it rather than by generated ids.
SNAPSHOT = {
    "members": "SELECT to_jsonb(m) - 'id' - 'created_at' - 'updated_at' FROM members m",
    "member_periods": "SELECT to_jsonb(p) - 'id' - 'member_id' || jsonb_build_object('who', m.record) "
    "FROM member_periods p JOIN (SELECT id, full_name || '|' || birth_date || '|' || coalesce(citizen_id, '') "
    "AS record FROM members) m ON m.id = p.member_id",
    "member_events": "SELECT to_jsonb(e) - 'id' - 'member_id' - 'recorded_at' - 'created_at' "
    "|| jsonb_build_object('who', m.record) FROM member_events e JOIN (SELECT id, full_name || '|' || birth_date "
    "|| '|' || coalesce(citizen_id, '') AS record FROM members) m ON m.id = e.member_id",
    "member_external_ids": "SELECT jsonb_build_object('e', x.external_id, 'who', m.full_name || '|' || m.birth_date) "
    "FROM member_external_ids x JOIN members m ON m.id = x.member_id",
    "audit_log": "SELECT to_jsonb(a) - 'id' - 'entity_id' - 'at' - 'created_at' "
    "|| jsonb_build_object('before', a.before - 'id' - 'version' - 'updated_at' - 'created_at', "
    "'after', a.after - 'id' - 'version' - 'updated_at' - 'created_at') FROM audit_log a",
}


async def tables(conn: asyncpg.Connection) -> dict[str, list[str]]:
    return {name: sorted(str(r[0]) for r in await conn.fetch(sql)) for name, sql in SNAPSHOT.items()}


async def outcome(db_pool: asyncpg.Pool, data: bytes, scope: Scope, *, one_by_one: bool) -> dict[str, Any]:
    """The report and the tables after the file's rows, in a transaction then rolled back."""
    run = members.run_rows_one_by_one if one_by_one else members.run_rows
    async with db_pool.acquire() as conn:
        known = {str(r[0]) for r in await conn.fetch("SELECT id FROM members UNION ALL SELECT id FROM organizations")}
        txn = conn.transaction()
        await txn.start()
        try:
            report = members.new_report(OPTIONS, CSV)
            rows = parsed(data)
            half = len(rows) // 2  # two batches, as a background job sends them
            for part in (rows[:half], rows[half:]):
                await run(
                    Tx(conn=conn),
                    actor=actor_of(scope.roots or ()),
                    scope=scope,
                    rows=part,
                    check=check_member_row,
                    options=OPTIONS,
                    report=report,
                )
            written = await tables(conn)
        finally:
            await txn.rollback()
    said = report.as_dict()
    for error in said["errors"]:
        error["message"] = UUID.sub(lambda m: m[0] if m[0] in known else "<new>", error["message"])
    return {"report": said, **written}


def one_by_one(caplog: pytest.LogCaptureFixture) -> int:
    """How many rows the set-based path left to the per-row path (it says so in its debug line); none of its
    writes may have been refused (a silent fallback would make the equivalence trivial)."""
    assert not [r for r in caplog.records if "refused" in r.getMessage()]
    said = [r.args for r in caplog.records if r.getMessage().startswith("import batch:")]
    assert said
    return sum(int(str(a[1])) for a in said if isinstance(a, tuple))


async def test_the_set_based_path_gives_the_per_row_outcome(
    client: httpx.AsyncClient,
    create_org: CreateOrg,
    communes: dict[str, Any],
    db_pool: asyncpg.Pool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="coso.imports")
    a = communes["A"]
    old = await create_org(client, "A-OLD", "subordinate_cell", communes["A-DU"], valid_from="2020-01-01")
    await create_org(client, "A-NEW", "subordinate_cell", communes["A-DU"], valid_from="2026-01-01")
    await db_pool.execute("UPDATE organizations SET valid_to = '2025-01-01' WHERE id = $1", uuid.UUID(old["id"]))
    stored = [person(i) for i in range(1000, 1030)]
    await seed(db_pool, [*stored, person(2000, "B-DU-CB"), person(2001, "B-DU-CB")])

    rows: list[list[str]] = [person(i) for i in range(300)]  # registrations
    rows += stored[:15]  # unchanged (a re-imported export)
    rows += [person(1015 + i, phone=f"0987{i:06d}") for i in range(5)]  # corrections: updated
    rows += [person(1021, status="candidate")]  # a status changes through events
    # One record named by two rows through different keys: the first corrects it, the second (as stored before)
    # corrects it back; decided before the first ran, it would be `unchanged`.
    rows += [person(1028, citizen_id="", phone="0900000028"), person(1028, external_ids="")]
    rows += [
        person(400, birth_date="31/02/1990"),  # a cell that is no date
        person(401, org="NOPE"),  # no such unit
        person(402, org="B-DU-CB"),  # outside the scope
        person(403, org="A-DU"),  # not a cell
        person(404, org="A-OLD"),  # dissolved
        person(405, org="A-NEW", since="2020-01-01"),  # before the cell was founded
        person(406, org=communes["B-DU-CB"]["id"]),  # an id outside the scope
        person(407, citizen_id=stored[0][HEADER.index("citizen_id")], external_ids=""),  # same citizen ID: matched
        person(408, citizen_id=person(2000)[HEADER.index("citizen_id")]),  # same citizen ID, outside the scope
        person(409, citizen_id=person(5)[HEADER.index("citizen_id")]),  # same citizen ID earlier in the file
        person(410, full_name=stored[3][1], birth_date=stored[3][3], citizen_id="", external_ids=""),  # same person
        person(411, full_name=person(7)[1], birth_date=person(7)[3], citizen_id="", external_ids=""),  # in the file
        person(412, external_ids="csdl:2001"),  # external id of a member outside the scope
        person(413, external_ids="csdl:9; csdl:413"),  # external id earlier in the file
        person(414, status="candidate", birth_date="2015-01-01", admission_decision_date=""),  # too young
        person(415, gender="", external_ids="", citizen_id=""),  # a required value missing
        person(416, status="official", admission_decision_date=""),  # admission date missing
        person(
            417, status="official", admission_decision_date="2001-01-01", admission_ceremony_date="1999-01-01"
        ),  # ceremony before the decision
        person(418, id=str(uuid.uuid4())),  # no member with this id
        person(419, external_ids="csdl:1026", citizen_id=stored[25][HEADER.index("citizen_id")]),  # two members
        person(420, citizen_id="999999999999"),  # no such province
        person(421, since="1990-01-01"),  # placed before the admission
        person(422, decision_ref="12-QĐ/ĐU", since="2021-05-05"),
        person(423, full_name="  ", citizen_id=""),
    ]
    rows += [person(500 + i, full_name=person(600)[1], birth_date=person(600)[3]) for i in range(3)]  # same name
    data = csv_of(rows)
    scope = Scope(roots=(uuid.UUID(a["id"]),))

    oracle = await outcome(db_pool, data, scope, one_by_one=True)
    caplog.clear()
    batched = await outcome(db_pool, data, scope, one_by_one=False)
    # The updates, rows sharing a key with an earlier row that writes, and the rows after those: a few dozen.
    assert one_by_one(caplog) < 40

    counts = oracle["report"]["counts"]
    assert counts["created"] > 250 and counts["unchanged"] == 15 and counts["updated"] == 7
    rules = {e["rule"] for e in oracle["report"]["errors"]}
    for rule in (
        "invalid_date",
        "organization_not_found",
        "not_a_cell",
        "organization_dissolved",
        "before_organization_founded",
        "duplicate_citizen_id",
        "duplicate_in_file",
        "possible_duplicate",
        "duplicate_external_id",
        "candidate_too_young",
        "required",
        "admission_date_required",
        "ceremony_before_decision",
        "member_not_found",
        "ambiguous_match",
        "changes_through_events",
    ):
        assert rule in rules, rule
    assert batched["report"] == oracle["report"]
    for table in SNAPSHOT:
        assert batched[table] == oracle[table], table
    entries = [e for e in oracle["audit_log"] if '"request_id": "req-1"' in e]
    assert len(entries) == counts["created"] + counts["updated"]


async def test_a_reimported_export_is_unchanged_set_wise(
    client: httpx.AsyncClient, communes: dict[str, Any], db_pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="coso.imports")
    stored = [person(i) for i in range(40)]
    await seed(db_pool, stored)
    batched = await outcome(db_pool, csv_of(stored), Scope(roots=(uuid.UUID(communes["A"]["id"]),)), one_by_one=False)
    assert one_by_one(caplog) == 0
    assert batched["report"]["counts"] == {"rows": 40, "created": 0, "updated": 0, "unchanged": 40, "failed": 0}
