"""`updated_since` on the lists: only the records changed at or after an instant, paged by the same keyset cursor,
served by an index on the big lists; an instant that is not RFC 3339 with its zone is refused (422, naming it)."""

import uuid
from datetime import UTC, datetime
from typing import Any, cast

import asyncpg
import httpx
import orjson
import pytest

from app.db.members.reads import MemberQuery, list_members
from app.db.scope import WHOLE_TREE
from tests.support.builders import AddMembers, CreateOrg
from tests.support.problems import assert_problem

SINCE = "2026-01-01T00:00:00Z"
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


async def _walk(client: httpx.AsyncClient, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of a list, two items at a time."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await client.get(url, params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


async def _age(pool: asyncpg.Pool, table: str, ids: list[str]) -> None:
    """These records last changed long ago."""
    await pool.execute(f"UPDATE {table} SET updated_at = $2 WHERE id = ANY($1::uuid[])", ids, LONG_AGO)  # noqa: S608 (a table name of the test)


async def test_members_changed_since_are_paged_alone(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    communes: dict[str, dict[str, Any]],
    add_members: AddMembers,
) -> None:
    ids = await add_members(communes["B-DU-CB"], 9, "Đảng viên")
    await _age(db_pool, "members", ids[::2])
    recent = set(ids[1::2])
    found = await _walk(client, "/api/v1/members", updated_since=SINCE)
    assert [m["id"] for m in found] == sorted(recent, key=[m for m in ids].index)  # name order, each once
    assert all(m["updated_at"] >= SINCE.replace("Z", "") for m in found)
    # Within a subtree (unit by unit), and with a zone other than UTC: the same instant.
    inside = await _walk(
        client, "/api/v1/members", updated_since="2026-01-01T07:00:00+07:00", within=communes["B"]["id"]
    )
    assert {m["id"] for m in inside} == recent
    # A correction brings an old record back into the list.
    changed = await client.patch(f"/api/v1/members/{ids[0]}", json={"hometown": "Quê mới"})
    assert changed.status_code == 200, changed.text
    assert {m["id"] for m in await _walk(client, "/api/v1/members", updated_since=SINCE)} == recent | {ids[0]}
    # The instant is inclusive: a record stamped exactly then is listed.
    exactly = (await client.get(f"/api/v1/members/{ids[0]}")).json()["updated_at"]
    listed = await client.get("/api/v1/members", params={"updated_since": exactly})
    assert ids[0] in {m["id"] for m in listed.json()["items"]}


async def test_a_cursor_belongs_to_its_updated_since(
    client: httpx.AsyncClient, communes: dict[str, dict[str, Any]], add_members: AddMembers
) -> None:
    await add_members(communes["B-DU-CB"], 3, "Đảng viên")
    page = (await client.get("/api/v1/members", params={"limit": 1, "updated_since": SINCE})).json()
    other = await client.get(
        "/api/v1/members", params={"limit": 1, "cursor": page["next_cursor"], "updated_since": "2026-01-02T00:00:00Z"}
    )
    assert_problem(other, 400, "invalid_cursor")


async def test_organizations_changed_since(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, communes: dict[str, dict[str, Any]]
) -> None:
    old = [communes[c]["id"] for c in ("P", "A", "A-DU", "B-DU-CB")]
    await _age(db_pool, "organizations", old)
    recent = {communes[c]["id"] for c in ("B", "B-DU", "A-DU-CB")}
    assert {o["id"] for o in await _walk(client, "/api/v1/organizations", updated_since=SINCE)} == recent
    children = await _walk(client, f"/api/v1/organizations/{communes['P']['id']}/children", updated_since=SINCE)
    assert {o["id"] for o in children} == {communes["B"]["id"]}
    subtree = await _walk(client, f"/api/v1/organizations/{communes['A']['id']}/subtree", updated_since=SINCE)
    assert {o["id"] for o in subtree} == {communes["A-DU-CB"]["id"]}


async def test_a_move_changes_every_unit_it_places_anew(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, communes: dict[str, dict[str, Any]]
) -> None:
    """The units under a moved one are placed anew (a placement from the day of the move, its depth): a new
    version each, listed as changed."""
    await _age(db_pool, "organizations", [o["id"] for o in communes.values()])
    before = (await client.get(f"/api/v1/organizations/{communes['A-DU-CB']['id']}")).json()
    moved = await client.post(
        f"/api/v1/organizations/{communes['A-DU']['id']}/move", json={"parent_id": communes["B"]["id"]}
    )
    assert moved.status_code == 200, moved.text
    after = (await client.get(f"/api/v1/organizations/{communes['A-DU-CB']['id']}")).json()
    assert after["placed_from"] != before["placed_from"] and after["version"] == before["version"] + 1
    changed = {o["id"] for o in await _walk(client, "/api/v1/organizations", updated_since=SINCE)}
    assert changed == {communes["A-DU"]["id"], communes["A-DU-CB"]["id"]}


async def test_plans_and_bodies_changed_since(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, b_names: dict[str, str]
) -> None:
    other = await client.post("/api/v1/plans", json={"organization_id": b_names["A"], "title": "Kế hoạch của xã A"})
    await _age(db_pool, "plans", [b_names["B_PLAN"]])
    plans = await _walk(client, "/api/v1/plans", updated_since=SINCE)
    assert [p["id"] for p in plans] == [other.json()["id"]]
    bodies = await _walk(client, "/api/v1/bodies", updated_since=SINCE)
    assert b_names["B_BODY"] in {b["id"] for b in bodies}
    await _age(db_pool, "bodies", [b["id"] for b in bodies[1:]])
    assert await _walk(client, "/api/v1/bodies", updated_since=SINCE) == bodies[:1]


async def test_ratings_changed_since(client: httpx.AsyncClient, db_pool: asyncpg.Pool, b_names: dict[str, str]) -> None:
    """A member's ratings, a unit's own, and a unit's member ratings of a period (paged, and as a file)."""
    member, unit = b_names["B_MEMBER"], b_names["B"]
    newer = await client.post(f"/api/v1/members/{member}/ratings", json={"period": "2023", "score": 80})
    assert newer.status_code == 201, newer.text
    await db_pool.execute("UPDATE ratings SET updated_at = $2 WHERE id <> $1", uuid.UUID(newer.json()["id"]), LONG_AGO)
    mine = await client.get(f"/api/v1/members/{member}/ratings", params={"updated_since": SINCE})
    assert [r["id"] for r in mine.json()["items"]] == [newer.json()["id"]]
    own = await client.get(f"/api/v1/organizations/{unit}/ratings", params={"updated_since": SINCE})
    assert own.json()["items"] == []
    assert len((await client.get(f"/api/v1/organizations/{unit}/ratings")).json()["items"]) == 1
    of_2023 = await _walk(client, f"/api/v1/organizations/{unit}/member_ratings", period="2023", updated_since=SINCE)
    assert [r["id"] for r in of_2023] == [newer.json()["id"]]
    of_2024 = await _walk(client, f"/api/v1/organizations/{unit}/member_ratings", period="2024", updated_since=SINCE)
    assert of_2024 == []
    as_file = await client.get(f"/api/v1/members/{member}/ratings", params={"updated_since": SINCE, "format": "ndjson"})
    assert as_file.status_code == 200, as_file.text
    assert [orjson.loads(line)["period"] for line in as_file.content.splitlines()] == ["2023"]


async def test_a_list_as_a_file_keeps_updated_since(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, b_names: dict[str, str]
) -> None:
    other = await client.post("/api/v1/plans", json={"organization_id": b_names["A"], "title": "Kế hoạch của xã A"})
    await _age(db_pool, "plans", [b_names["B_PLAN"]])
    plans = await client.get("/api/v1/plans", params={"updated_since": SINCE, "format": "ndjson", "headers": "en"})
    assert plans.status_code == 200, plans.text
    assert [orjson.loads(line)["id"] for line in plans.content.splitlines()] == [other.json()["id"]]


@pytest.mark.parametrize(
    "url", ["/api/v1/members", "/api/v1/organizations", "/api/v1/plans", "/api/v1/bodies"], ids=lambda u: u
)
@pytest.mark.parametrize(
    "sent", ["yesterday", "2026-12-01", "2026-12-01T08:00:00", "2026-13-01T00:00:00Z", "1700000000", ""]
)
async def test_an_instant_that_is_not_rfc_3339_is_refused(client: httpx.AsyncClient, url: str, sent: str) -> None:
    body = assert_problem(await client.get(url, params={"updated_since": sent}), 422)
    assert "updated_since" in str(body["errors"])


class _Recording:
    """A connection that remembers the statements it is sent (what EXPLAIN is then asked about)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.sent: list[tuple[str, tuple[Any, ...]]] = []

    async def fetch(self, text: str, *args: Any) -> list[asyncpg.Record]:
        self.sent.append((text, args))
        rows: list[asyncpg.Record] = await self.conn.fetch(text, *args)
        return rows


async def test_the_members_index_serves_a_recent_change(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, create_org: CreateOrg
) -> None:
    """On a register of some size where few records changed lately, the planner reads the changes by
    ix_members_updated_at, not the whole register in name order (the statement list_members sends)."""
    org = await create_org(client, "IDX", "provincial_committee", valid_from="2000-01-01")
    async with db_pool.acquire() as conn:
        path = await conn.fetchval(
            "SELECT path FROM organization_placements WHERE organization_id = $1 AND latest", uuid.UUID(org["id"])
        )
        await conn.execute(
            "INSERT INTO members (full_name, sort_key, gender, birth_date, status, organization_id, org_path, "
            "updated_at) SELECT 'M ' || i, lpad(i::text, 6, '0'), 'male', '1980-01-01', 'official', $1, $2, "
            "CASE WHEN i % 1000 = 0 THEN now() ELSE $3 END FROM generate_series(1, 20000) i",
            uuid.UUID(org["id"]),
            path,
            LONG_AGO,
        )
        await conn.execute("ANALYZE members")
        recording = _Recording(conn)
        query = MemberQuery(updated_since=datetime(2026, 1, 1, tzinfo=UTC), limit=51)
        rows = await list_members(cast(asyncpg.Connection, recording), query, scope=WHOLE_TREE)
        text, args = recording.sent[0]
        plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN " + text, *args))
    assert len(rows) == 20
    assert "ix_members_updated_at" in plan, plan
