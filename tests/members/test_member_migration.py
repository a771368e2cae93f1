"""Migration 0012 recomputes the official dates stored before probation was counted from the ceremony, and the
indicator figures stay what a full rebuild makes of the data."""

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx

from alembic import command
from app.db.migrations import alembic_config
from tests.support.builders import CreateOrg

FIGURES = ("indicator_own", "indicator_rollup")


async def _figures(pool: asyncpg.Pool) -> dict[str, list[Any]]:
    return {t: [tuple(r) for r in await pool.fetch(f"SELECT * FROM {t} ORDER BY 1, 2, 3")] for t in FIGURES}  # noqa: S608 (table names from the code)


async def test_the_migration_recomputes_official_dates_from_the_ceremony(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, create_org: CreateOrg, database_url: str
) -> None:
    hy = await create_org(client, "HY", "provincial_committee", valid_from="2015-01-01")
    cell = await create_org(client, "HY-C1", "grassroots_cell", hy, valid_from="2015-01-01")
    ids: dict[str, uuid.UUID] = {}
    for name, ceremony in (("Có Lễ", "2020-03-25"), ("Không Lễ", None), ("Cuối Tháng", "2020-01-31")):
        created = await client.post(
            "/api/v1/members",
            json={
                "full_name": f"Nguyễn Văn {name}",
                "gender": "male",
                "birth_date": "1980-01-01",
                "status": "official",
                "organization_id": cell["id"],
                "admission_decision_date": "2020-01-02" if name == "Cuối Tháng" else "2020-03-02",
                **({"admission_ceremony_date": ceremony} if ceremony else {}),
            },
        )
        assert created.status_code == 201, created.text
        ids[name] = uuid.UUID(created.json()["id"])
    config = alembic_config(database_url)
    await asyncio.to_thread(command.downgrade, config, "0011")
    try:
        # what the service stored before: the decision + 12 months
        await db_pool.execute(
            "UPDATE members SET official_date = (admission_decision_date + interval '12 months')::date"
        )
    finally:
        await asyncio.to_thread(command.upgrade, config, "head")
    dates = {
        r["id"]: r["official_date"].isoformat() for r in await db_pool.fetch("SELECT id, official_date FROM members")
    }
    assert dates[ids["Có Lễ"]] == "2021-03-25"
    assert dates[ids["Không Lễ"]] == "2021-03-02"  # no ceremony known: left as stored
    assert dates[ids["Cuối Tháng"]] == "2021-01-31"
    # each recomputed date is in the audit log, by the migration, with the date before and after
    entries = (await client.get("/api/v1/audit", params={"actor_id": "migration 0012", "limit": 50})).json()["items"]
    assert {(e["entity_id"], e["before"]["official_date"], e["after"]["official_date"]) for e in entries} == {
        (str(ids["Có Lễ"]), "2021-03-02", "2021-03-25"),
        (str(ids["Cuối Tháng"]), "2021-01-02", "2021-01-31"),
    }
    assert {(e["actor_kind"], e["action"], e["entity"]) for e in entries} == {("system", "update", "member")}
    migrated = await _figures(db_pool)
    await db_pool.execute("SELECT coso_indicators_rebuild()")
    assert await _figures(db_pool) == migrated
    assert migrated["indicator_own"]  # the comparison compares figures
    member = await client.get(f"/api/v1/members/{ids['Có Lễ']}")
    assert member.status_code == 200 and member.json()["official_date"] == "2021-03-25"
