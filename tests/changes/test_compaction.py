"""`coso changes compact`: each record's old changes fold into one, its net change, so that a follower whose cursor is
older still ends with the exact copy of its scope, and the feed goes on recording."""

import asyncio
import os
import sys

import asyncpg
import httpx
from fastapi import FastAPI

from tests.support.builders import ClientWith, CreateOrg, InsertKey
from tests.support.feed import read_all

CHANGES = "/api/v1/changes"
MEMBERS = "/api/v1/members"
OLD = "2015-01-01"


async def test_old_changes_fold_into_their_net_change(
    app: FastAPI,
    client: httpx.AsyncClient,
    client_with: ClientWith,
    insert_key: InsertKey,
    create_org: CreateOrg,
    db_pool: asyncpg.Pool,
    database_url: str,
) -> None:
    province = await create_org(client, "HY", "provincial_committee", valid_from=OLD)
    cells = {}
    for x in ("1", "2"):
        commune = await create_org(client, f"X{x}", "upper_level_committee", province, valid_from=OLD)
        cells[x] = (commune, await create_org(client, f"X{x}-C", "grassroots_cell", commune, valid_from=OLD))
    keys = {x: await insert_key(role="viewer", scopes=[cells[x][0]["id"]], pii=False) for x in ("1", "2")}
    async with client_with(app, keys["1"]) as x1, client_with(app, keys["2"]) as x2:
        # Three followers take their cursor now, then stop following for a long time.
        cursors = {}
        for name, follower in (("admin", client), ("x1", x1), ("x2", x2)):
            cursors[name] = (await follower.get(CHANGES, params={"after": "now"})).json()["next_cursor"]
        created = await client.post(
            MEMBERS,
            json={
                "full_name": "Người Đi Xa",
                "gender": "male",
                "birth_date": "1980-05-06",
                "status": "official",
                "organization_id": cells["1"][1]["id"],
                "admission_decision_date": "2010-06-01",
            },
        )
        assert created.status_code == 201, created.text
        member = created.json()["id"]
        assert (await client.patch(f"{MEMBERS}/{member}", json={"hometown": "Một"})).status_code == 200
        moved = await client.post(
            f"{MEMBERS}/{member}/events",
            json={"kind": "transfer", "date": "2024-04-01", "to_organization_id": cells["2"][1]["id"]},
        )
        assert moved.status_code == 201, moved.text
        assert (await client.patch(f"{MEMBERS}/{member}", json={"hometown": "Hai"})).status_code == 200
        assert await db_pool.fetchval("SELECT count(*) FROM changes WHERE entity_id = $1", member) == 4

        await db_pool.execute("UPDATE changes SET changed_at = changed_at - interval '100 days'")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app.cli",
            "changes",
            "compact",
            "--older-than-days",
            "90",
            env={**os.environ, "DATABASE_URL": database_url},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        assert "3 changes older than 90 days" in out.decode(), out.decode()
        assert await db_pool.fetchval("SELECT count(*) FROM changes WHERE entity_id = $1", member) == 1

        # Each stale follower gets the net change of its scope: the country and X2 one record, created, as it is
        # now; X1 nothing (the member came and went while it was away).
        admin, _ = await read_all(client, cursors["admin"], limit=50)
        assert [(i["id"], i["change"]) for i in admin] == [(member, "created")]
        assert admin[0]["data"]["hometown"] == "Hai" and admin[0]["version"] == 4
        nothing, x1_cursor = await read_all(x1, cursors["x1"], limit=50)
        assert nothing == []
        arrived, x2_cursor = await read_all(x2, cursors["x2"], limit=50)
        assert [(i["id"], i["change"], i["event"]) for i in arrived] == [(member, "created", "updated")]

        # The feed goes on recording after it: a move back is a tombstone for X2 and a create for X1.
        back = await client.post(
            f"{MEMBERS}/{member}/events",
            json={"kind": "transfer", "date": "2024-09-01", "to_organization_id": cells["1"][1]["id"]},
        )
        assert back.status_code == 201, back.text
        assert [i["change"] for i in (await read_all(x2, x2_cursor, limit=50))[0]] == ["deleted"]
        assert [i["change"] for i in (await read_all(x1, x1_cursor, limit=50))[0]] == ["created"]
