"""Writes of member records, periods and events, on the request's transaction; the checks they need."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
import orjson

from app.db.sql import Sql, execute, fetch, fetchrow, fetchval

# Statuses of a record still on the rolls (not ended).
LIVING = ["candidate", "probationary", "official"]


@dataclass(frozen=True)
class MemberRow:
    id: uuid.UUID
    full_name: str
    birth_date: date
    status: str
    organization_id: uuid.UUID
    host_organization_id: uuid.UUID | None
    temporarily_away: bool
    exempt: bool
    suspended: bool
    admission_decision_date: date | None
    admission_ceremony_date: date | None
    official_date: date | None
    citizen_id: str | None
    version: int


async def get_member(conn: asyncpg.Connection, member_id: uuid.UUID, *, for_update: bool = False) -> MemberRow | None:
    row = await fetchrow(
        conn,
        Sql(
            "SELECT id, full_name, birth_date, status, organization_id, host_organization_id, temporarily_away, "
            "exempt, suspended, admission_decision_date, admission_ceremony_date, official_date, citizen_id, version "
            "FROM members "
            "WHERE id = {id} {lock}",
            id=member_id,
            lock=Sql("FOR UPDATE") if for_update else Sql(""),
        ),
    )
    return MemberRow(**dict(row)) if row is not None else None


@dataclass(frozen=True)
class Home:
    path: str  # the latest placement's
    kind: str
    valid_from: date  # founded
    valid_to: date | None  # dissolved


async def org_path(conn: asyncpg.Connection, organization_id: uuid.UUID) -> Home | None:
    """Where an organisation sits now, its kind and its lifetime."""
    row = await fetchrow(
        conn,
        Sql(
            "SELECT p.path, o.kind, o.valid_from, o.valid_to FROM organizations o JOIN organization_placements p "
            "ON p.organization_id = o.id AND p.latest WHERE o.id = {id}",
            id=organization_id,
        ),
    )
    return Home(**dict(row)) if row is not None else None


async def yield_defaulted_start(conn: asyncpg.Connection, member_id: uuid.UUID, day: date) -> None:
    """A candidate registered without `since` starts on the day of registration; an admission recorded later but
    dated earlier moves that start back to the admission (the only step recorded so far is the proposal)."""
    moved = await fetchval(
        conn,
        Sql(
            """
        UPDATE member_events SET event_date = {day}
        WHERE member_id = {id} AND kind = 'proposed' AND details->>'since' = 'defaulted' AND event_date > {day}
          AND NOT EXISTS (SELECT 1 FROM member_events o WHERE o.member_id = {id} AND o.kind <> 'proposed')
        RETURNING id""",
            id=member_id,
            day=day,
        ),
    )
    if moved is not None:
        await execute(
            conn, Sql("DELETE FROM member_periods WHERE member_id = {id} AND valid_from > {day}", id=member_id, day=day)
        )


# The duplicate rule's locks: (folded name, birth date) hashed into 1,024 buckets of a lock class of their own. A
# transaction that imports a million rows then holds at most 1,024 of them (PostgreSQL's lock table holds
# max_locks_per_transaction × connections, 6,400 by default: one lock per name ran out of it after a few thousand
# rows), at the price of also serialising the writers of unrelated names that share a bucket.
def _name_lock(bucket: Sql) -> Sql:
    return Sql("pg_advisory_xact_lock(7365101, {bucket})", bucket=bucket)


def _name_bucket(name: object, birth: object) -> Sql:
    return Sql("(hashtextextended(coso_fold({name}) || '|' || {birth}, 0) & 1023)::int", name=name, birth=birth)


async def lock_name_and_birth_date(conn: asyncpg.Connection, full_name: str, birth_date: date) -> None:
    """Serialise the writers of one name and birth date until they commit (the duplicate rule has no constraint to
    lean on: a same-name record may be allowed)."""
    bucket = _name_bucket(full_name, birth_date.isoformat())
    await execute(conn, Sql("SELECT {lock}", lock=_name_lock(bucket)))


async def lock_names_and_birth_dates(conn: asyncpg.Connection, people: Sequence[tuple[str, date]]) -> None:
    """lock_name_and_birth_date for every (name, birth date) of a batch, in the order of the buckets, so that two
    batches (or a batch and a single write) do not wait on each other in a cycle."""
    await execute(
        conn,
        Sql(
            "SELECT count({lock}) FROM (SELECT DISTINCT {each} AS k "
            "FROM unnest({names}::text[], {births}::text[]) AS t(n, b) ORDER BY k) AS buckets",
            lock=_name_lock(Sql("k")),
            each=_name_bucket(Sql("n"), Sql("b")),
            names=[n for n, _ in people],
            births=[b.isoformat() for _, b in people],
        ),
    )


async def find_duplicates(
    conn: asyncpg.Connection,
    *,
    citizen_id: str | None,
    name_folded_of: str,
    birth_date: date,
    exclude: uuid.UUID | None = None,
) -> list[tuple[uuid.UUID, str, str]]:
    """Living records with the same citizen ID, or the same name (accents and case aside) and birth date:
    (id, full_name, why)."""
    rows = await fetch(
        conn,
        Sql(
            """
        SELECT id, full_name, CASE WHEN citizen_id = {cid} THEN 'citizen_id' ELSE 'name_and_birth_date' END AS why
        FROM members
        WHERE status <> 'deceased' AND id IS DISTINCT FROM {exclude}::uuid
          AND (({cid}::text IS NOT NULL AND citizen_id = {cid})
               OR (name_folded = coso_fold({name}) AND birth_date = {birth}))
        ORDER BY why, id LIMIT 5""",
            cid=citizen_id,
            name=name_folded_of,
            birth=birth_date,
            exclude=exclude,
        ),
    )
    return [(r["id"], r["full_name"], r["why"]) for r in rows]


# The columns of a record that are written (the rest is computed: name_folded, …).
COLUMNS = (
    "full_name",
    "gender",
    "birth_date",
    "birth_place",
    "hometown",
    "residence",
    "ethnicity",
    "religion",
    "citizen_id",
    "phone",
    "education",
    "professional_level",
    "political_theory_level",
    "admission_decision_date",
    "admission_ceremony_date",
    "official_date",
    "party_card_number",
    "record_number",
    "status",
    "organization_id",
    "host_organization_id",
    "temporarily_away",
    "exempt",
    "suspended",
    "sponsor_ids",
    "sponsor_since",
    "introduced_by",
    "training_certificate_date",
    "org_path",
    "sort_key",
)


def _columns(values: dict[str, Any]) -> list[str]:
    unknown = set(values) - set(COLUMNS)
    if unknown:
        raise ValueError(f"not member columns: {sorted(unknown)}")
    return [c for c in COLUMNS if c in values]


async def insert_member(conn: asyncpg.Connection, values: dict[str, Any]) -> uuid.UUID:
    columns = _columns(values)
    member_id: uuid.UUID = await fetchval(
        conn,
        Sql(
            "INSERT INTO members ({columns}) VALUES ({values}) RETURNING id",
            columns=Sql(", ".join(columns)),
            values=Sql.join(", ", [Sql("{v}", v=values[c]) for c in columns]),
        ),
    )
    return member_id


async def update_member(conn: asyncpg.Connection, member_id: uuid.UUID, values: dict[str, Any]) -> None:
    sets = [Sql("{column} = {value}", column=Sql(c), value=values[c]) for c in _columns(values)]
    await execute(
        conn,
        Sql(
            "UPDATE members SET {sets} WHERE id = {id}",
            id=member_id,
            sets=Sql.join(", ", [*sets, Sql("version = version + 1"), Sql("updated_at = now()")]),
        ),
    )


async def set_external_ids(conn: asyncpg.Connection, member_id: uuid.UUID, external_ids: Sequence[str]) -> None:
    await execute(conn, Sql("DELETE FROM member_external_ids WHERE member_id = {id}", id=member_id))
    if external_ids:
        await execute(
            conn,
            Sql(
                "INSERT INTO member_external_ids (external_id, member_id) SELECT unnest({ids}::text[]), {id}::uuid",
                ids=list(external_ids),
                id=member_id,
            ),
        )


async def external_id_owners(conn: asyncpg.Connection, external_ids: Sequence[str]) -> dict[str, uuid.UUID]:
    if not external_ids:
        return {}
    rows = await fetch(
        conn,
        Sql(
            "SELECT external_id, member_id FROM member_external_ids WHERE external_id = ANY({ids}::text[])",
            ids=list(external_ids),
        ),
    )
    return {r["external_id"]: r["member_id"] for r in rows}


async def last_event_date(conn: asyncpg.Connection, member_id: uuid.UUID) -> date | None:
    found: date | None = await fetchval(
        conn, Sql("SELECT max(event_date) FROM member_events WHERE member_id = {id}", id=member_id)
    )
    return found


async def insert_event(
    conn: asyncpg.Connection,
    *,
    member_id: uuid.UUID,
    kind: str,
    event_date: date,
    decision_ref: str | None,
    note: str | None,
    recorded_by: str,
    from_organization_id: uuid.UUID | None = None,
    to_organization_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> uuid.UUID:
    event_id: uuid.UUID = await fetchval(
        conn,
        Sql(
            "INSERT INTO member_events (member_id, kind, event_date, decision_ref, note, from_organization_id, "
            "to_organization_id, details, recorded_by) VALUES ({member}, {kind}, {day}, {ref}, {note}, {source}, "
            "{target}, {details}::jsonb, {by}) RETURNING id",
            member=member_id,
            kind=kind,
            day=event_date,
            ref=decision_ref,
            note=note,
            source=from_organization_id,
            target=to_organization_id,
            details=_jsonb(details),
            by=recorded_by,
        ),
    )
    return event_id


def _jsonb(value: dict[str, Any] | None) -> str | None:
    return orjson.dumps(value, default=str).decode() if value is not None else None


STATE = ("organization_id", "status", "host_organization_id", "temporarily_away", "exempt", "suspended")


async def start_period(conn: asyncpg.Connection, *, member_id: uuid.UUID, day: date, state: dict[str, Any]) -> None:
    """From `day` on, the member is in `state`: the open period ends on `day` (or is rewritten, if it began then)."""
    await execute(
        conn,
        Sql(
            "DELETE FROM member_periods WHERE member_id = {id} AND valid_from = {day} AND valid_to IS NULL",
            id=member_id,
            day=day,
        ),
    )
    await execute(
        conn,
        Sql(
            "UPDATE member_periods SET valid_to = {day} WHERE member_id = {id} AND valid_to IS NULL "
            "AND valid_from < {day}",
            id=member_id,
            day=day,
        ),
    )
    await execute(
        conn,
        Sql(
            "INSERT INTO member_periods (member_id, valid_from, valid_to, organization_id, status, "
            "host_organization_id, temporarily_away, exempt, suspended) "
            "VALUES ({id}, {day}, NULL, {org}, {status}, {host}, {away}, {exempt}, {suspended})",
            id=member_id,
            day=day,
            org=state["organization_id"],
            status=state["status"],
            host=state["host_organization_id"],
            away=state["temporarily_away"],
            exempt=state["exempt"],
            suspended=state["suspended"],
        ),
    )


@dataclass(frozen=True)
class AdmissionFile:
    sponsor_ids: list[uuid.UUID]
    sponsor_since: dict[uuid.UUID, date]
    introduced_by: str | None
    training_certificate_date: date | None


async def admission_file(conn: asyncpg.Connection, member_id: uuid.UUID) -> AdmissionFile:
    row = await fetchrow(
        conn,
        Sql(
            "SELECT sponsor_ids, sponsor_since, introduced_by, training_certificate_date FROM members WHERE id = {id}",
            id=member_id,
        ),
    )
    assert row is not None
    return AdmissionFile(
        sponsor_ids=list(row["sponsor_ids"] or []),
        sponsor_since={uuid.UUID(k): date.fromisoformat(v) for k, v in orjson.loads(row["sponsor_since"]).items()},
        introduced_by=row["introduced_by"],
        training_certificate_date=row["training_certificate_date"],
    )


async def official_on(conn: asyncpg.Connection, member_ids: Sequence[uuid.UUID], day: date) -> set[uuid.UUID]:
    rows = await fetch(
        conn,
        Sql(
            "SELECT member_id FROM member_periods WHERE member_id = ANY({ids}::uuid[]) AND status = 'official' "
            "AND valid_from <= {day} AND (valid_to IS NULL OR valid_to > {day})",
            ids=list(member_ids),
            day=day,
        ),
    )
    return {r[0] for r in rows}
