"""The demo members as table rows, written in bulk (`coso demo-data`), and the summary line it prints."""

import uuid
from collections.abc import Mapping, Sequence

import asyncpg
import orjson

from app.demo.db import members as db
from app.demo.members import demo_members
from app.demo.people import (
    EXTERNAL_SYSTEM,
    RECORDED_BY,
    DemoMember,
    Unit,
)
from app.domain.errors import Conflict
from app.domain.members.lifecycle import TERMINAL


def _rows(
    people: Sequence[DemoMember], ids: Mapping[str, uuid.UUID], paths: Mapping[uuid.UUID, str]
) -> tuple[list[tuple[object, ...]], ...]:
    """The rows of members, member_periods, member_events and member_external_ids, with unit codes turned into ids."""

    def org(code: str | None) -> uuid.UUID | None:
        return ids[code] if code is not None else None

    members: list[tuple[object, ...]] = []
    periods: list[tuple[object, ...]] = []
    events: list[tuple[object, ...]] = []
    external: list[tuple[object, ...]] = []
    for m in people:
        r, s = m.record, m.state
        members.append(
            (
                m.id,
                r["full_name"],
                r["sort_key"],
                r["gender"],
                r["birth_date"],
                r["birth_place"],
                r["hometown"],
                r["residence"],
                r["ethnicity"],
                r["religion"],
                r["citizen_id"],
                r["phone"],
                r["education"],
                r["professional_level"],
                r["political_theory_level"],
                s.admission_decision_date,
                r["admission_ceremony_date"],
                s.official_date,
                r["party_card_number"],
                r["record_number"],
                s.status,
                ids[s.organization_id],
                paths[ids[s.organization_id]],
                org(s.host_organization_id),
                s.temporarily_away,
                s.exempt,
                s.suspended,
                r["sponsor_ids"],
                r["training_certificate_date"],
                orjson.dumps(r["sponsor_since"]).decode(),
            )
        )
        periods += [
            (
                m.id,
                p.valid_from,
                p.valid_to,
                ids[p.state.organization_id],
                p.state.status,
                org(p.state.host_organization_id),
                p.state.temporarily_away,
                p.state.exempt,
                p.state.suspended,
            )
            for p in m.periods
        ]
        events += [
            (
                m.id,
                e.kind,
                e.on,
                e.decision_ref,
                e.note,
                org(e.from_code),
                org(e.to_code),
                orjson.dumps(e.details).decode() if e.details is not None else None,
                RECORDED_BY,
            )
            for e in m.events
        ]
        if r["record_number"]:
            external.append((f"{EXTERNAL_SYSTEM}:{r['record_number']}", m.id))
    return members, periods, events, external


async def load_demo_members(
    conn: asyncpg.Connection, *, units: Sequence[Unit], ids: Mapping[str, uuid.UUID], root_code: str
) -> bool:
    """Load the demo's members unless the subtree of `root_code` already has member records; True when loaded now.
    Run in the transaction that created (or found) the units, holding the structure lock."""
    if await db.has_members_under(conn, ids[root_code]):
        return False
    people = demo_members(units)
    members, periods, events, external = _rows(people, ids, await db.latest_paths(conn, list(ids.values())))
    try:
        await db.copy_members(conn, members=members, periods=periods, events=events, external_ids=external)
    except asyncpg.UniqueViolationError as error:
        raise Conflict(f"The demo members cannot be loaded: {error.detail or error}", code="duplicate") from error
    return True


def describe_members(counts: Mapping[str, int]) -> str:
    """The members' part of the demo's summary line, from member records counted by status."""
    official, probationary = counts.get("official", 0), counts.get("probationary", 0)
    former = sum(n for status, n in counts.items() if status in TERMINAL)
    return (
        f"{official + probationary:,} members ({official:,} official, {probationary:,} probationary), "
        f"{counts.get('candidate', 0):,} candidates and {former:,} former members"
    )
