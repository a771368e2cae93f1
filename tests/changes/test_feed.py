"""The change feed: what each caller sees of creates, updates, moves, ends and deletions, the cursor, the long poll,
and the hold-back that keeps a late-committing change from being skipped."""

import asyncio
import time
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from tests.support.builders import ClientWith, CreateOrg, InsertKey
from tests.support.feed import read_all
from tests.support.problems import assert_problem

CHANGES = "/api/v1/changes"
MEMBERS = "/api/v1/members"
ORGS = "/api/v1/organizations"
OLD = "2015-01-01"


def seen(items: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(i["entity"], i["change"], i["event"]) for i in items]


@pytest.fixture
async def tree(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, dict[str, Any]]:
    """Province HY with commune X1 (a committee, a cell C1) and commune X2 (a cell C2)."""
    hy = await create_org(client, "HY", "provincial_committee", valid_from=OLD)
    units = {"hy": hy}
    for x in ("1", "2"):
        commune = await create_org(client, f"X{x}", "upper_level_committee", hy, valid_from=OLD)
        du = await create_org(client, f"X{x}-DU", "grassroots_committee", commune, valid_from=OLD)
        cell = await create_org(client, f"X{x}-C", "subordinate_cell", du, valid_from=OLD)
        units |= {f"x{x}": commune, f"du{x}": du, f"c{x}": cell}
    return units


async def new_member(client: httpx.AsyncClient, cell: dict[str, Any], name: str) -> dict[str, Any]:
    body = {
        "full_name": name,
        "gender": "female",
        "birth_date": "1985-03-04",
        "status": "official",
        "organization_id": cell["id"],
        "admission_decision_date": "2010-06-01",
        "citizen_id": f"0011850{abs(hash(name)) % 100000:05d}",
    }
    response = await client.post(MEMBERS, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_what_each_caller_sees_of_a_members_life(
    app: FastAPI,
    client: httpx.AsyncClient,
    client_with: ClientWith,
    insert_key: InsertKey,
    tree: dict[str, dict[str, Any]],
) -> None:
    start, start_cursor = await read_all(client)
    assert sorted(seen(start)) == [("organization", "created", "created")] * 7
    assert all(i["data"]["id"] == i["id"] and i["url"] == f"{ORGS}/{i['id']}" for i in start)

    x1_key = await insert_key(role="editor", scopes=[tree["x1"]["id"]], pii=False)
    x2_key = await insert_key(role="editor", scopes=[tree["x2"]["id"]], pii=False)
    async with client_with(app, x1_key) as x1, client_with(app, x2_key) as x2:
        _, x1_cursor = await read_all(x1)
        _, x2_cursor = await read_all(x2)
        member = await new_member(client, tree["c1"], "Nguyễn Thị Theo Dõi")
        patched = await client.patch(f"{MEMBERS}/{member['id']}", json={"hometown": "Hưng Yên"})
        assert patched.status_code == 200, patched.text
        moved = await client.post(
            f"{MEMBERS}/{member['id']}/events",
            json={"kind": "transfer", "date": "2024-04-01", "to_organization_id": tree["c2"]["id"]},
        )
        assert moved.status_code == 201, moved.text

        # The whole tree: created, updated, moved; the document is today's, sensitive fields as the caller may.
        admin, _ = await read_all(client, start_cursor)
        assert seen(admin) == [
            ("member", "created", "created"),
            ("member", "updated", "updated"),
            ("member", "updated", "moved"),
        ]
        assert [i["version"] for i in admin] == [1, 2, 3]
        assert admin[-1]["data"]["organization_id"] == tree["c2"]["id"]
        assert admin[-1]["data"]["citizen_id"] == member["citizen_id"]

        # X1 saw it come and go (a tombstone, without the record); X2 sees it arrive, without the citizen ID.
        left, _ = await read_all(x1, x1_cursor)
        assert seen(left) == [
            ("member", "created", "created"),
            ("member", "updated", "updated"),
            ("member", "deleted", "moved"),
        ]
        assert left[-1]["tombstone"] is True and left[-1]["data"] is None and left[-1]["url"] is None
        arrived, x2_cursor = await read_all(x2, x2_cursor)
        assert seen(arrived) == [("member", "created", "moved")]
        assert arrived[0]["data"]["citizen_id"] is None and arrived[0]["data"]["pii_hidden"] is True

        # Dying ends the record: a tombstone for X2, who holds it now.
        assert (
            await client.post(f"{MEMBERS}/{member['id']}/events", json={"kind": "die", "date": "2024-12-01"})
        ).status_code == 201
        ended, _ = await read_all(x2, x2_cursor)
        assert seen(ended) == [("member", "deleted", "ended")]


async def test_a_unit_moved_takes_its_subtree_out_of_scope(
    app: FastAPI,
    client: httpx.AsyncClient,
    client_with: ClientWith,
    insert_key: InsertKey,
    tree: dict[str, dict[str, Any]],
) -> None:
    member = await new_member(client, tree["c1"], "Trần Văn Đi Cùng")
    x1_key = await insert_key(role="viewer", scopes=[tree["x1"]["id"]], pii=False)
    x2_key = await insert_key(role="viewer", scopes=[tree["x2"]["id"]], pii=False)
    async with client_with(app, x1_key) as x1, client_with(app, x2_key) as x2:
        _, x1_cursor = await read_all(x1)
        _, x2_cursor = await read_all(x2)
        response = await client.post(
            f"{ORGS}/{tree['du1']['id']}/move", json={"parent_id": tree["x2"]["id"], "effective_date": "2025-07-01"}
        )
        assert response.status_code == 200, response.text
        gone, _ = await read_all(x1, x1_cursor)
        came, _ = await read_all(x2, x2_cursor)
    moved = {tree["du1"]["id"], tree["c1"]["id"], member["id"]}
    assert {i["id"] for i in gone} == moved and {i["change"] for i in gone} == {"deleted"}
    assert {i["id"] for i in came} == moved and {i["change"] for i in came} == {"created"}
    assert {i["event"] for i in came} == {"moved"}

    dissolved = await client.post(f"{ORGS}/{tree['c2']['id']}/dissolve", json={"effective_date": "2025-08-01"})
    assert dissolved.status_code == 200, dissolved.text
    everything, _ = await read_all(client, entity="organization")
    assert everything[-1]["id"] == tree["c2"]["id"] and everything[-1]["event"] == "ended"
    assert everything[-1]["tombstone"] is True


async def test_a_change_committing_late_is_held_back_not_skipped(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, tree: dict[str, dict[str, Any]]
) -> None:
    first = await new_member(client, tree["c1"], "Người Viết Chậm")
    _, cursor = await read_all(client)
    slow = await db_pool.acquire()
    try:
        transaction = slow.transaction()
        await transaction.start()
        # The slow writer takes its transaction id first, then a fast one commits after it.
        await slow.execute("UPDATE members SET version = version + 1, hometown = 'Chậm' WHERE id = $1", first["id"])
        fast = await new_member(client, tree["c2"], "Người Viết Nhanh")
        held, held_cursor = await read_all(client, cursor)
        assert held == [], "a change above the oldest running transaction is held back"
        await transaction.commit()
    finally:
        await db_pool.release(slow)
    after, _ = await read_all(client, held_cursor)
    assert [i["id"] for i in after] == [first["id"], fast["id"]]


async def test_now_the_long_poll_and_bad_requests(client: httpx.AsyncClient, tree: dict[str, dict[str, Any]]) -> None:
    nothing = await client.get(CHANGES, params={"after": "now"})
    assert nothing.status_code == 200 and nothing.json()["items"] == []
    cursor = nothing.json()["next_cursor"]

    async def write_soon() -> None:
        await asyncio.sleep(0.5)
        await new_member(client, tree["c1"], "Người Đến Sau")

    started = time.monotonic()
    waited, _ = await asyncio.gather(client.get(CHANGES, params={"after": cursor, "wait": 10}), write_soon())
    assert waited.status_code == 200, waited.text
    assert [i["entity"] for i in waited.json()["items"]] == ["member"]
    assert time.monotonic() - started < 5, "the long poll answers when the change commits, not at its end"

    assert_problem(await client.get(CHANGES, params={"after": "abc.def"}), 400, "invalid_cursor")
    assert_problem(await client.get(CHANGES, params={"entity": "member,person"}), 422, "invalid_value")
    assert_problem(await client.get(CHANGES, params={"wait": 31}), 422, "validation_error")
    only_members = await client.get(CHANGES, params={"entity": "member"})
    assert {i["entity"] for i in only_members.json()["items"]} == {"member"}


async def test_a_bulk_import_appears_like_any_other_write(
    client: httpx.AsyncClient, tree: dict[str, dict[str, Any]]
) -> None:
    _, cursor = await read_all(client)
    rows = [f"Nhập Khẩu Số {i},female,1990-01-{i + 10:02d},official,X1-C,2015-02-03" for i in range(12)]
    body = "full_name,gender,birth_date,status,organization,admission_decision_date\r\n" + "\r\n".join(rows)
    response = await client.post(
        "/api/v1/members/import", content=body.encode(), headers={"Content-Type": "text/csv"}, params={"mode": "commit"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["created"] == 12
    imported, _ = await read_all(client, cursor)
    assert seen(imported) == [("member", "created", "created")] * 12
    assert sorted(i["data"]["full_name"] for i in imported) == sorted(r.split(",")[0] for r in rows)
