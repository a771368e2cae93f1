"""The queries of the set-based member import: what a batch of rows needs to know, in a few statements, and the
registrations it decides, written with COPY (app/domain/imports/batch.py)."""

import operator
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
import orjson

from app.db.members.reads import ENDED, member_doc
from app.db.members.writes import COLUMNS, Home
from app.db.sql import Sql, execute, fetch


async def ids_of_codes(conn: asyncpg.Connection, codes: Sequence[str]) -> dict[str, uuid.UUID]:
    """The units the codes name (app.db.organizations.reads.find_id, for many)."""
    rows = await fetch(
        conn, Sql("SELECT code, id FROM organizations WHERE code = ANY({codes}::text[])", codes=list(codes))
    )
    return {r["code"]: r["id"] for r in rows}


async def homes(conn: asyncpg.Connection, org_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Home]:
    """Where each unit sits now, its kind and its lifetime (writes.org_path, for many)."""
    rows = await fetch(
        conn,
        Sql(
            "SELECT o.id, p.path, o.kind, o.valid_from, o.valid_to FROM organizations o "
            "JOIN organization_placements p ON p.organization_id = o.id AND p.latest WHERE o.id = ANY({ids}::uuid[])",
            ids=list(org_ids),
        ),
    )
    return {
        r["id"]: Home(path=r["path"], kind=r["kind"], valid_from=r["valid_from"], valid_to=r["valid_to"]) for r in rows
    }


@dataclass(frozen=True)
class Person:
    citizen_id: str | None
    full_name: str
    birth_date: date


async def folded(conn: asyncpg.Connection, names: Sequence[str]) -> list[str]:
    """The names as the duplicate rule compares them (coso_fold, as the members table's name_folded)."""
    rows = await fetch(
        conn,
        Sql(
            "SELECT coso_fold(n) AS f FROM unnest({names}::text[]) WITH ORDINALITY AS t(n, i) ORDER BY i",
            names=list(names),
        ),
    )
    return [r["f"] for r in rows]


async def duplicates(conn: asyncpg.Connection, people: Sequence[Person]) -> list[list[tuple[uuid.UUID, str, str]]]:
    """For each person, writes.find_duplicates (the same statement, run for each by a lateral join)."""
    rows = await fetch(
        conn,
        Sql(
            """
        SELECT t.i, d.id, d.full_name, d.why
        FROM unnest({cids}::text[], {names}::text[], {births}::date[]) WITH ORDINALITY AS t(cid, name, birth, i)
        JOIN LATERAL (
            SELECT id, full_name,
                   CASE WHEN citizen_id = t.cid THEN 'citizen_id' ELSE 'name_and_birth_date' END AS why
            FROM members
            WHERE status <> 'deceased'
              AND ((t.cid IS NOT NULL AND citizen_id = t.cid)
                   OR (name_folded = coso_fold(t.name) AND birth_date = t.birth))
            ORDER BY why, id LIMIT 5) d ON TRUE
        ORDER BY t.i, d.why, d.id""",
            cids=[p.citizen_id for p in people],
            names=[p.full_name for p in people],
            births=[p.birth_date for p in people],
        ),
    )
    found: list[list[tuple[uuid.UUID, str, str]]] = [[] for _ in people]
    for r in rows:
        found[r["i"] - 1].append((r["id"], r["full_name"], r["why"]))
    return found


async def keyed_members(
    conn: asyncpg.Connection, citizen_ids: Sequence[str], external_ids: Sequence[str]
) -> tuple[dict[str, list[uuid.UUID]], dict[str, uuid.UUID]]:
    """matching.members_with_keys for a batch: living holders of the citizen IDs, owners of the external ids."""
    holders: dict[str, list[uuid.UUID]] = {}
    for r in await fetch(
        conn,
        Sql(
            "SELECT citizen_id, id FROM members WHERE citizen_id = ANY({cids}::text[]) AND status <> 'deceased'",
            cids=list(citizen_ids),
        ),
    ):
        holders.setdefault(r["citizen_id"], []).append(r["id"])
    owners = {
        r["external_id"]: r["member_id"]
        for r in await fetch(
            conn,
            Sql(
                "SELECT external_id, member_id FROM member_external_ids WHERE external_id = ANY({ids}::text[])",
                ids=list(external_ids),
            ),
        )
    }
    return holders, owners


async def lock_members(conn: asyncpg.Connection, member_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """The records locked for the change (in id order), with the unit each belongs to (writes.get_member FOR
    UPDATE, for many); a missing id is left out."""
    rows = await fetch(
        conn,
        Sql(
            "SELECT id, organization_id FROM members WHERE id = ANY({ids}::uuid[]) ORDER BY id FOR UPDATE",
            ids=sorted(member_ids),
        ),
    )
    return {r["id"]: r["organization_id"] for r in rows}


async def full_records(conn: asyncpg.Connection, member_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """records.full_record for many: every field, as the audit log stores it (ended records are left out, as
    reads.read_member leaves them out)."""
    rows = await fetch(
        conn,
        Sql(
            "SELECT m.id, {doc} AS doc FROM members m "
            "WHERE m.id = ANY({ids}::uuid[]) AND m.status <> ALL({ended}::text[])",
            doc=member_doc(pii=True, state="m"),
            ids=list(member_ids),
            ended=list(ENDED),
        ),
    )
    return {r["id"]: orjson.loads(r["doc"]) for r in rows}


@dataclass(frozen=True)
class NewRecord:
    """One registration as the batch writes it: the record (with its id), its periods, its first event."""

    member_id: uuid.UUID
    values: dict[str, Any]
    external_ids: list[str]
    periods: list[tuple[date, date | None, str]]  # (from, to, status)
    event: tuple[str, date, str | None, dict[str, Any]]  # (kind, day, decision_ref, details)


# Columns with a default in the table, given explicitly by a COPY (the others are NULL unless given).
_DEFAULTS: dict[str, Any] = dict.fromkeys(COLUMNS) | {
    "temporarily_away": False,
    "exempt": False,
    "suspended": False,
    "sponsor_ids": [],
    "sponsor_since": "{}",
}


_in_columns = operator.itemgetter(*COLUMNS)


async def insert_records(conn: asyncpg.Connection, records: Sequence[NewRecord], *, recorded_by: str) -> None:
    """The records, their external ids, periods and events, each by one COPY (the constraints and triggers of the
    tables run as for any insert; the columns with a default are given it explicitly, as every column is listed)."""
    await conn.copy_records_to_table(
        "members",
        records=[(r.member_id, *_in_columns({**_DEFAULTS, **r.values})) for r in records],
        columns=["id", *COLUMNS],
    )
    await conn.copy_records_to_table(
        "member_external_ids",
        records=[(e, r.member_id) for r in records for e in r.external_ids],
        columns=["external_id", "member_id"],
    )
    await conn.copy_records_to_table(
        "member_periods",
        records=[
            (r.member_id, start, end, r.values["organization_id"], status, None, False, False, False)
            for r in records
            for start, end, status in r.periods
        ],
        columns=[
            "member_id",
            "valid_from",
            "valid_to",
            "organization_id",
            "status",
            "host_organization_id",
            "temporarily_away",
            "exempt",
            "suspended",
        ],
    )
    await conn.copy_records_to_table(
        "member_events",
        records=[
            (
                r.member_id,
                kind,
                day,
                ref,
                None,
                None,
                r.values["organization_id"],
                orjson.dumps(details).decode(),
                recorded_by,
            )
            for r in records
            for kind, day, ref, details in [r.event]
        ],
        columns=[
            "member_id",
            "kind",
            "event_date",
            "decision_ref",
            "note",
            "from_organization_id",
            "to_organization_id",
            "details",
            "recorded_by",
        ],
    )


async def audit_creations(
    conn: asyncpg.Connection,
    member_ids: Sequence[uuid.UUID],
    *,
    actor_kind: str,
    actor_id: str,
    actor_name: str | None,
    request_id: str | None,
    redact: Sequence[str],
) -> None:
    """One `create` entry per record, in the order given, its `after` the full record built by the same SQL as
    records.full_record and digested like audit.queries.insert_entry does: the digests of coso_audit_redact
    (migration 0010), written inline for the sensitive columns alone, the secret read once for the statement (the
    function, called once, still refuses the write when there is none)."""
    await execute(
        conn,
        Sql(
            "WITH s AS MATERIALIZED (SELECT value AS secret FROM service_secrets "
            "WHERE name = 'main' AND coso_audit_redact('{{}}'::jsonb, '{{}}'::text[]) IS NOT NULL) "
            "INSERT INTO audit_log (actor_kind, actor_id, actor_name, request_id, action, entity, entity_id, "
            "organization_id, related_organization_id, before, after) "
            "SELECT {kind}, {actor}, {name}, {request}, 'create', 'member', m.id, m.organization_id, NULL, "
            "NULL, ({doc})::jsonb{digests} "
            "FROM unnest({ids}::uuid[]) WITH ORDINALITY AS t(id, i) JOIN members m ON m.id = t.id CROSS JOIN s "
            "ORDER BY t.i",
            kind=actor_kind,
            actor=actor_id,
            name=actor_name,
            request=request_id,
            doc=member_doc(pii=True, state="m"),
            digests=_digests(redact),
            ids=list(member_ids),
        ),
    )


# The columns of the members table that member_doc(pii=True) shows under their own name, as text.
_TEXT_FIELDS = frozenset({"residence", "ethnicity", "religion", "citizen_id", "phone"})


def _digests(fields: Sequence[str]) -> Sql:
    """` || jsonb_build_object(…)`: each field as coso_audit_redact writes it ('redacted:' and 16 hex digits of
    sha256(secret || field || ':' || value); null stays null, a value already 'redacted:…' stays as it is)."""
    if not fields:
        return Sql("")
    unknown = set(fields) - _TEXT_FIELDS
    if unknown:
        raise ValueError(f"not a text column of members: {sorted(unknown)}")
    pairs = ", ".join(
        f"'{f}', CASE WHEN left(m.{f}, 9) <> 'redacted:' THEN 'redacted:' || "
        f"left(encode(sha256(s.secret || convert_to('{f}:' || m.{f}, 'UTF8')), 'hex'), 16) ELSE m.{f} END"
        for f in fields
    )
    return Sql(f" || jsonb_build_object({pairs})")


def _json(value: dict[str, Any]) -> str:
    return orjson.dumps(value, default=str).decode()
