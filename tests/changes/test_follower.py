"""Issue 14's acceptance for the feed: while 8 writers create, update, transfer and end members and move units
concurrently through the API, two followers (the whole tree, and one commune) keep a copy from the feed alone.
At the end each copy equals the records of its scope in the database, and no change was served twice."""

import asyncio
import base64
import json
import os
import random
from datetime import date
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI

from tests.support.builders import ClientWith, CreateOrg, InsertKey

CHANGES = "/api/v1/changes"
MEMBERS = "/api/v1/members"
ORGS = "/api/v1/organizations"
OLD = "2015-01-01"
WRITERS = 8
OPS_PER_WRITER = int(os.environ.get("COSO_FEED_TEST_OPS", "250"))
ENDED = ("transferred_out", "expelled", "struck_off", "resigned", "deceased")


def position(cursor: str) -> tuple[int, int]:
    payload = cursor.partition(".")[0]
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return (data["x"], data["p"])


class Follower:
    """A copy of one caller's scope, kept from the feed alone: {(entity, id): version}."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.cursor: str | None = None
        self.copy: dict[tuple[str, str], int | None] = {}
        self.positions: list[tuple[int, int]] = []

    async def step(self, wait: float) -> int:
        params: dict[str, Any] = {"limit": 200, "wait": wait, **({"after": self.cursor} if self.cursor else {})}
        response = await self.client.get(CHANGES, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        for item in page["items"]:
            self.positions.append(position(item["cursor"]))
            key = (item["entity"], item["id"])
            if item["tombstone"]:
                self.copy.pop(key, None)
            else:
                data = item["data"]
                self.copy[key] = data["version"] if data is not None else item["version"]
        self.cursor = page["next_cursor"]
        return len(page["items"])


async def writer(client: httpx.AsyncClient, seed: int, cells: list[str], dus: list[str], members: list[str]) -> int:
    """OPS_PER_WRITER writes of every kind; returns how many the service accepted."""
    rng = random.Random(seed)
    today = date.today().isoformat()
    accepted = 0
    for i in range(OPS_PER_WRITER):
        roll = rng.random()
        if roll < 0.4 or not members:
            response = await client.post(
                MEMBERS,
                json={
                    "full_name": f"Người Viết {seed} Số {i}",
                    "gender": rng.choice(["male", "female"]),
                    "birth_date": f"19{rng.randint(60, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                    "status": "official",
                    "organization_id": rng.choice(cells),
                    "admission_decision_date": "2010-06-01",
                },
            )
            if response.status_code == 201:
                members.append(response.json()["id"])
        elif roll < 0.65:
            member = rng.choice(members)
            response = await client.patch(f"{MEMBERS}/{member}", json={"hometown": f"Quê {seed}-{i}"})
        elif roll < 0.85:
            member = rng.choice(members)
            response = await client.post(
                f"{MEMBERS}/{member}/events",
                json={"kind": "transfer", "date": today, "to_organization_id": rng.choice(cells)},
            )
        elif roll < 0.95:
            member = rng.choice(members)
            response = await client.post(f"{MEMBERS}/{member}/events", json={"kind": "die", "date": today})
        else:
            response = await client.post(
                f"{ORGS}/{rng.choice(cells)}/move", json={"parent_id": rng.choice(dus), "effective_date": today}
            )
        # Concurrent writers collide (a member who died meanwhile, a move the same day): refusals are problems.
        assert response.status_code < 500, response.text
        accepted += response.status_code < 300
    return accepted


async def test_followers_keep_an_exact_copy_while_8_writers_write(
    app: FastAPI,
    client: httpx.AsyncClient,
    client_with: ClientWith,
    insert_key: InsertKey,
    create_org: CreateOrg,
    db_pool: asyncpg.Pool,
) -> None:
    province = await create_org(client, "HY", "provincial_committee", valid_from=OLD)
    cells: list[str] = []
    dus: list[str] = []
    communes = []
    for x in range(2):
        commune = await create_org(client, f"X{x}", "upper_level_committee", province, valid_from=OLD)
        communes.append(commune)
        for d in range(2):
            du = await create_org(client, f"X{x}-D{d}", "grassroots_committee", commune, valid_from=OLD)
            dus.append(du["id"])
            for c in range(3):
                cell = await create_org(client, f"X{x}-D{d}-C{c}", "subordinate_cell", du, valid_from=OLD)
                cells.append(cell["id"])
    commune_key = await insert_key(role="viewer", scopes=[communes[0]["id"]], pii=False)
    writer_keys = [await insert_key(role="editor", name=f"writer {n}") for n in range(WRITERS)]
    members: list[str] = []

    async with client_with(app, commune_key) as commune_client:
        followers = [Follower(client), Follower(commune_client)]
        done = asyncio.Event()

        async def follow(f: Follower) -> None:
            while not done.is_set():
                await f.step(wait=0.5)

        async def write(n: int) -> int:
            async with client_with(app, writer_keys[n]) as c:
                return await writer(c, n, cells, dus, members)

        following = [asyncio.create_task(follow(f)) for f in followers]
        accepted = await asyncio.gather(*(write(n) for n in range(WRITERS)))
        done.set()
        await asyncio.gather(*following)
        for f in followers:
            while await f.step(wait=0):
                pass

    assert sum(accepted) > WRITERS * OPS_PER_WRITER // 2, accepted
    total = await db_pool.fetchval("SELECT count(*) FROM changes")
    print(f"{sum(accepted)} writes accepted, {total} changes")

    commune_path = await db_pool.fetchval(
        "SELECT path FROM organization_placements WHERE organization_id = $1 AND latest", communes[0]["id"]
    )
    for follower, prefix in ((followers[0], "/"), (followers[1], commune_path)):
        expected = {
            ("member", str(r["id"])): r["version"]
            for r in await db_pool.fetch(
                "SELECT id, version FROM members WHERE status <> ALL($1::text[]) AND starts_with(org_path, $2)",
                list(ENDED),
                prefix,
            )
        } | {
            ("organization", str(r["id"])): r["version"]
            for r in await db_pool.fetch(
                "SELECT o.id, o.version FROM organizations o JOIN organization_placements p "
                "ON p.organization_id = o.id AND p.latest WHERE o.valid_to IS NULL AND starts_with(p.path, $1)",
                prefix,
            )
        }
        assert follower.copy == expected
        assert follower.positions == sorted(set(follower.positions)), "each change once, in the feed's order"
    assert len(followers[1].copy) < len(followers[0].copy)
