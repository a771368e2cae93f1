"""Keyset paging over a large subtree stays exact while the tree grows under the reader's feet."""

import random

import asyncpg
import httpx

from tests.support.builders import CreateOrg

API = "/api/v1/organizations"


async def _bulk_subtree(pool: asyncpg.Pool, root_id: str, communes: int, cells_each: int) -> None:
    """communes × (1 grassroots committee + cells_each subordinate cells), set-based, as a loader would."""
    async with pool.acquire() as conn, conn.transaction():
        root_path = await conn.fetchval("SELECT path FROM organization_placements WHERE organization_id = $1", root_id)
        await conn.execute(
            """
            WITH c AS (
                INSERT INTO organizations (code, name, kind, category, valid_from)
                SELECT 'C' || i, 'Đảng bộ xã Số ' || i, 'upper_level_committee', 'commune', DATE '2020-01-01'
                FROM generate_series(1, $3::int) i RETURNING id, node)
            INSERT INTO organization_placements (organization_id, valid_from, parent_id, path, depth)
            SELECT id, DATE '2020-01-01', $1, $2 || coso_path_segment(node) || '/', 1 FROM c""",
            root_id,
            root_path,
            communes,
        )
        await conn.execute("""
            WITH parents AS (
                SELECT o.id, p.path, o.code FROM organizations o JOIN organization_placements p
                  ON p.organization_id = o.id WHERE o.kind = 'upper_level_committee'),
            d AS (
                INSERT INTO organizations (code, name, kind, valid_from)
                SELECT code || '-DU', 'Đảng bộ cơ sở ' || code, 'grassroots_committee', DATE '2020-01-01'
                FROM parents RETURNING id, node, code)
            INSERT INTO organization_placements (organization_id, valid_from, parent_id, path, depth)
            SELECT d.id, DATE '2020-01-01', parents.id, parents.path || coso_path_segment(d.node) || '/', 2
            FROM d JOIN parents ON d.code = parents.code || '-DU'""")
        await conn.execute(
            """
            WITH parents AS (
                SELECT o.id, p.path, o.code FROM organizations o JOIN organization_placements p
                  ON p.organization_id = o.id WHERE o.kind = 'grassroots_committee'),
            s AS (
                INSERT INTO organizations (code, name, kind, valid_from)
                SELECT parents.code || '-CB' || j, 'Chi bộ ' || j, 'subordinate_cell', DATE '2020-01-01'
                FROM parents, generate_series(1, $1::int) j RETURNING id, node, code)
            INSERT INTO organization_placements (organization_id, valid_from, parent_id, path, depth)
            SELECT s.id, DATE '2020-01-01', parents.id, parents.path || coso_path_segment(s.node) || '/', 3
            FROM s JOIN parents ON s.code LIKE parents.code || '-CB%'""",
            cells_each,
        )


async def test_within_pages_every_unit_exactly_once_while_units_are_added(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, create_org: CreateOrg
) -> None:
    root = await create_org(client, "P", "provincial_committee", valid_from="2020-01-01")
    await _bulk_subtree(db_pool, root["id"], communes=100, cells_each=98)
    original = {r["id"] for r in await db_pool.fetch("SELECT id::text FROM organizations")}
    assert len(original) == 10_001
    committees = [
        r["id"] for r in await db_pool.fetch("SELECT id::text FROM organizations WHERE kind = 'grassroots_committee'")
    ]
    rng = random.Random(7)
    seen: list[str] = []
    cursor: str | None = None
    added = 0
    while True:
        params = {"within": root["id"], "limit": 500, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(API, params=params)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        for _ in range(3):  # new units land before and after the reader's position
            parent = {"id": rng.choice(committees)}
            await create_org(client, f"NEW-{added}", "subordinate_cell", parent, valid_from="2021-01-01")
            added += 1
    assert len(seen) == len(set(seen)), "a unit was served twice"
    assert original <= set(seen), f"{len(original - set(seen))} units were skipped"
    assert added > 50
    late = set(seen) - original
    assert late <= {r["id"] for r in await db_pool.fetch("SELECT id::text FROM organizations WHERE code LIKE 'NEW-%'")}
