"""Migration 0014's data step on bodies registered before it: new match keys where free, and the organisations
each body stands for."""

import importlib.util
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from app.db.urls import sqlalchemy_url
from tests.support.builders import CreateOrg

MIGRATION = next(Path(__file__).parents[2].joinpath("alembic", "versions").glob("*_0014_*.py"))


def _data_step() -> Any:
    spec = importlib.util.spec_from_file_location("migration_0014", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.rekey_and_link


async def test_bodies_before_the_migration_get_new_keys_and_their_organisations(
    client: httpx.AsyncClient, create_org: CreateOrg, db_pool: asyncpg.Pool, database_url: str
) -> None:
    province = await create_org(client, "T", "provincial_committee", valid_from="2020-01-01")
    town = await create_org(client, "TX", "upper_level_committee", province, valid_from="2020-01-01")
    commune = await create_org(
        client, "PN", "grassroots_committee", town, valid_from="2020-01-01", name="Đảng bộ xã Phổ Nhơn",
        category="commune",
    )  # fmt: skip
    old = [  # (name, the key the code before 0014 gave it)
        ("Các đảng ủy, chi bộ trực thuộc Thị ủy", "cac dang uy chi bo truc thuoc thi uy"),
        ("ubnd thị xã", "ubnd thi xa"),
        ("Ủy ban nhân dân thị xã", "uy ban nhan dan thi xa"),  # "ubnd thị xã"'s new key is taken: left alone
        ("Đảng ủy xã Phổ Nhơn", "dang uy xa pho nhon"),
    ]
    for name, key in old:
        await db_pool.execute(
            "INSERT INTO bodies (organization_id, name, name_key, kind) VALUES ($1, $2, $3, 'agency')",
            town["id"],
            name,
            key,
        )
    engine = create_async_engine(sqlalchemy_url(database_url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_data_step())
    finally:
        await engine.dispose()
    rows = await db_pool.fetch(
        "SELECT b.name, b.name_key, b.kind, array_remove(array_agg(m.organization_id), NULL) AS members "
        "FROM bodies b LEFT JOIN body_members m ON m.body_id = b.id GROUP BY b.id"
    )
    got = {r["name"]: (r["name_key"], r["kind"], [str(m) for m in r["members"]]) for r in rows}
    assert got == {
        "Các đảng ủy, chi bộ trực thuộc Thị ủy": (
            "cac chi bo dang uy truc thuoc thi uy",
            "collective",
            [commune["id"]],
        ),
        "ubnd thị xã": ("ubnd thi xa", "agency", []),
        "Ủy ban nhân dân thị xã": ("uy ban nhan dan thi xa", "agency", []),
        "Đảng ủy xã Phổ Nhơn": ("dang uy xa pho nhon", "organization", [commune["id"]]),
    }
