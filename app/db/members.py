"""Member records: reads (asyncpg, JSON rendered by PostgreSQL, sensitive fields only for `pii` callers) and
writes (on the request's session). Current reads use the record itself (its `org_path` makes a subtree a range
scan in name order); `as_of` reads use the member's period and the organisation's placement of that day."""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.organizations import escape_like
from app.db.paths import subtree_bounds
from app.db.scope import Scope, path_in_scope, scope_sql
from app.db.sql import Params, Querier, planner_rows
from app.db.tables import Member, MemberEvent, MemberExternalId, MemberPeriod

MEMBERS = Member.__table__  # type: ignore[attr-defined]
PERIODS = MemberPeriod.__table__  # type: ignore[attr-defined]
EVENTS = MemberEvent.__table__  # type: ignore[attr-defined]
EXTERNAL = MemberExternalId.__table__  # type: ignore[attr-defined]

SENSITIVE = ("residence", "ethnicity", "religion", "citizen_id", "phone")




def _doc(params: Params, *, pii: bool, state: str) -> str:
    """The member as JSON; `state` is the alias whose status/organisation columns to show (m or the period)."""
    p = params(pii)
    sensitive = ", ".join(f"'{c}', CASE WHEN {p}::boolean THEN m.{c} END" for c in SENSITIVE)
    return f"""json_build_object(
        'id', m.id, 'full_name', m.full_name, 'gender', m.gender, 'birth_date', m.birth_date,
        'birth_place', m.birth_place, 'hometown', m.hometown, {sensitive},
        'education', m.education, 'professional_level', m.professional_level,
        'political_theory_level', m.political_theory_level,
        'admission_decision_date', m.admission_decision_date, 'admission_ceremony_date', m.admission_ceremony_date,
        'official_date', m.official_date, 'party_card_number', m.party_card_number,
        'record_number', m.record_number, 'status', {state}.status, 'organization_id', {state}.organization_id,
        'host_organization_id', {state}.host_organization_id, 'temporarily_away', {state}.temporarily_away,
        'exempt', {state}.exempt, 'suspended', {state}.suspended, 'sponsor_ids', m.sponsor_ids,
        'training_certificate_date', m.training_certificate_date,
        'external_ids', coalesce((SELECT array_agg(e.external_id ORDER BY e.external_id)
                                  FROM member_external_ids e WHERE e.member_id = m.id), '{{}}'),
        'pii_hidden', NOT {p}::boolean,
        'created_at', m.created_at, 'updated_at', m.updated_at, 'version', m.version)::text"""


@dataclass(frozen=True)
class MemberQuery:
    as_of: date | None = None
    within_path: str | None = None
    organization_id: uuid.UUID | None = None
    statuses: Sequence[str] = ()
    gender: str | None = None
    born_from: date | None = None      # birth date bounds from the age range
    born_to: date | None = None
    admitted_from: date | None = None
    admitted_to: date | None = None
    political_theory_levels: Sequence[str] = ()
    ethnicities: Sequence[str] = ()
    religions: Sequence[str] = ()
    q: str | None = None
    q_sort_key: str | None = None      # the sort key of `q` as a name (exact matches are found by it)
    citizen_id: str | None = None
    card_number: str | None = None
    after: Sequence[Any] | None = None
    limit: int = 50
    pii: bool = False


def _placed_on(params: Params, day: date, org: str) -> str:
    d = params(day)
    return (f"EXISTS (SELECT 1 FROM organization_placements op WHERE op.organization_id = {org} "
            f"AND op.valid_from <= {d} AND (op.valid_to IS NULL OR op.valid_to > {d}) AND {{cond}})")


async def list_members(conn: Querier, query: MemberQuery, *, scope: Scope) -> list[asyncpg.Record]:
    """A page of (doc, sort columns…) rows in a keyset order: (org_path, sort_key, id) within a subtree,
    (sort_key, id) otherwise; by match rank first with `q`."""
    params = Params()
    doc = _doc(params, pii=query.pii, state="st" if query.as_of else "m")
    cte, _ = scope_sql(params, scope, query.as_of)
    where: list[str] = []
    if query.as_of is None:
        source = "members m"
        if not scope.whole_tree:
            where.append(path_in_scope("m.org_path"))
        if query.within_path is not None:
            low, high = subtree_bounds(query.within_path)
            where.append(f"m.org_path >= {params(low)} AND m.org_path < {params(high)}")
        state = "m"
    else:
        day = params(query.as_of)
        source = (f"members m JOIN member_periods st ON st.member_id = m.id AND st.valid_from <= {day} "
                  f"AND (st.valid_to IS NULL OR st.valid_to > {day})")
        state = "st"
        if query.within_path is not None:
            # The units of the subtree as they stood that day, then their members: unit by unit, like today's
            # listing (walking the members in name order and testing each would read the whole country).
            low, high = subtree_bounds(query.within_path)
            source += (f" JOIN organization_placements op ON op.organization_id = st.organization_id "
                       f"AND op.valid_from <= {day} AND (op.valid_to IS NULL OR op.valid_to > {day}) "
                       f"AND op.path >= {params(low)} AND op.path < {params(high)}")
            if not scope.whole_tree:
                where.append(path_in_scope("op.path"))
        elif not scope.whole_tree:
            where.append(_placed_on(params, query.as_of, "st.organization_id").format(cond=path_in_scope("op.path")))
    if query.organization_id is not None:
        where.append(f"{state}.organization_id = {params(query.organization_id)}")
    if query.statuses:
        where.append(f"{state}.status = ANY({params(list(query.statuses))}::text[])")
    if query.gender:
        where.append(f"m.gender = {params(query.gender)}")
    if query.born_from:
        where.append(f"m.birth_date >= {params(query.born_from)}")
    if query.born_to:
        where.append(f"m.birth_date <= {params(query.born_to)}")
    if query.admitted_from:
        where.append(f"m.admission_decision_date >= {params(query.admitted_from)}")
    if query.admitted_to:
        where.append(f"m.admission_decision_date <= {params(query.admitted_to)}")
    for column, values in (("political_theory_level", query.political_theory_levels),
                           ("ethnicity", query.ethnicities), ("religion", query.religions)):
        if values:
            where.append(f"m.{column} = ANY({params(list(values))}::text[])")
    if query.citizen_id:
        where.append(f"m.citizen_id = {params(query.citizen_id)}")
    if query.card_number:
        where.append(f"m.party_card_number = {params(query.card_number)}")
    by_path = query.within_path is not None and not query.q
    unit_path = "op.path" if query.as_of is not None else "m.org_path"
    if query.q:
        return await _search(conn, params, query, cte=cte, source=source, where=where, doc=doc)
    order = [unit_path, "m.sort_key", "m.id"] if by_path else ["m.sort_key", "m.id"]
    if query.after is not None:
        placeholders = ", ".join(params(v) for v in query.after)
        where.append(f"({', '.join(order)}) > ({placeholders})")
        if by_path:  # lets the index scan start at the cursor's unit
            where.append(f"{unit_path} >= {params(query.after[0])}")
    sql = (f"{'WITH ' + cte if cte else ''} SELECT {doc} AS doc, "
           f"{', '.join(f'{c} AS k{i}' for i, c in enumerate(order))} FROM {source} "
           f"WHERE {' AND '.join(where) or 'TRUE'} ORDER BY {', '.join(order)} LIMIT {params(query.limit)}")
    rows: list[asyncpg.Record] = await conn.fetch(sql, *params.values)
    return rows


BROAD_SEARCH_ROWS = 20_000


async def _search(conn: Querier, params: Params, query: MemberQuery, *, cte: str, source: str, where: list[str],
                  doc: str) -> list[asyncpg.Record]:
    """Name search in three ranked branches, each already in name order and cut at a page: the name exactly as
    sorted (rank 0), the name without accents and case (1), then every other match (2). The third reads the
    name-ordered index when the term is common and stops after a page, or finds the few matches by trigram."""
    assert query.q is not None
    raw = f"{params(query.q)}::text"
    folded = f"coso_fold({raw})"
    sorted_as = f"{params(query.q_sort_key or '')}::text"
    limit = params(query.limit)
    after = list(query.after) if query.after is not None else None
    branches = [
        (0, [f"m.sort_key = {sorted_as}"]),
        (1, [f"m.name_folded = {folded}", f"m.sort_key <> {sorted_as}"]),
        (2, [f"m.name_folded <> {folded}"]),
    ]
    pattern = "%" + escape_like(query.q) + "%"
    exact_parts = []
    for rank, conditions in branches[:2]:
        exact_parts.append(_branch(params, rank, [*where, *conditions], after, source, doc, limit))
    ctes = f"WITH {cte} " if cte else ""
    sql = (f"{ctes}SELECT * FROM ({' UNION ALL '.join(exact_parts)}) found ORDER BY k0, k1, k2 LIMIT {limit}")
    rows: list[asyncpg.Record] = await conn.fetch(*_compact(sql, params.values))
    if len(rows) >= query.limit or (after is not None and int(after[0]) > 2):
        return rows
    # The exact matches did not fill the page: the other matches follow (reading them is the costly part, so it
    # is done only when a page reaches them).
    rank, conditions = branches[2]
    like = f"m.name_folded LIKE coso_fold({params(pattern)})"
    body = source
    hits = ""
    if await _broad(conn, pattern):
        conditions = [*conditions, like]
    else:
        hits = f"hits AS MATERIALIZED (SELECT id FROM members m WHERE {like})"
        body = source.replace("members m", "hits JOIN members m ON m.id = hits.id", 1)
    rest = params(query.limit - len(rows))
    part = _branch(params, rank, [*where, *conditions], after, body, doc, rest)
    ctes = ", ".join(c for c in (cte, hits) if c)
    more: list[asyncpg.Record] = await conn.fetch(*_compact(f"{'WITH ' + ctes if ctes else ''} {part}",
                                                            params.values))
    return [*rows, *more]


def _compact(sql: str, values: list[object]) -> list[Any]:
    """(sql, *values) with only the parameters the statement uses, renumbered: both search queries are built from
    one list of parameters, and PostgreSQL cannot type a parameter a statement does not mention."""
    used = sorted({int(n) for n in re.findall(r"\$(\d+)", sql)})
    number = {old: new for new, old in enumerate(used, start=1)}
    return [re.sub(r"\$(\d+)", lambda m: f"${number[int(m.group(1))]}", sql), *(values[n - 1] for n in used)]


def _branch(params: Params, rank: int, conditions: list[str], after: list[Any] | None, source: str, doc: str,
            limit: str) -> str:
    if after is not None:
        if rank < int(after[0]):
            conditions = [*conditions, "FALSE"]  # a rank already served
        elif rank == int(after[0]):
            conditions = [*conditions, f"(m.sort_key, m.id) > ({params(after[1])}::text, {params(after[2])}::uuid)"]
    return (f"(SELECT {doc} AS doc, {rank} AS k0, m.sort_key AS k1, m.id AS k2 FROM {source} "
            f"WHERE {' AND '.join(conditions)} ORDER BY m.sort_key, m.id LIMIT {limit})")


async def _broad(conn: Querier, pattern: str) -> bool:
    """Whether the planner expects the term to match many members (then name order is read from the index)."""
    rows = await planner_rows(conn, "SELECT 1 FROM members WHERE name_folded LIKE coso_fold($1)", pattern)
    return rows > BROAD_SEARCH_ROWS


async def read_member(conn: Querier, member_id: uuid.UUID, *, scope: Scope, as_of: date | None,
                      pii: bool) -> asyncpg.Record | None:
    params = Params()
    doc = _doc(params, pii=pii, state="st" if as_of else "m")
    cte, _ = scope_sql(params, scope, as_of)
    where = [f"m.id = {params(member_id)}"]
    if as_of is None:
        source = "members m"
        if not scope.whole_tree:
            where.append(path_in_scope("m.org_path"))
    else:
        day = params(as_of)
        source = (f"members m JOIN member_periods st ON st.member_id = m.id AND st.valid_from <= {day} "
                  f"AND (st.valid_to IS NULL OR st.valid_to > {day})")
        if not scope.whole_tree:
            where.append(_placed_on(params, as_of, "st.organization_id").format(cond=path_in_scope("op.path")))
    row: asyncpg.Record | None = await conn.fetchrow(
        f"{'WITH ' + cte if cte else ''} SELECT {doc} AS doc, m.version FROM {source} WHERE {' AND '.join(where)}",
        *params.values)
    return row


async def history(conn: Querier, member_id: uuid.UUID, *, pii: bool, discipline: Sequence[str]) -> list[str]:
    """The member's events, oldest first. The file of a disciplinary event (decision, note, details) only with
    `pii`: the event itself and its date are shown to every reader."""
    rows = await conn.fetch("""
        SELECT json_build_object('id', e.id, 'kind', e.kind, 'event_date', e.event_date,
            'decision_ref', CASE WHEN shown THEN e.decision_ref END, 'note', CASE WHEN shown THEN e.note END,
            'from_organization_id', e.from_organization_id, 'to_organization_id', e.to_organization_id,
            'details', CASE WHEN shown THEN e.details END, 'details_hidden', NOT shown,
            'recorded_by', e.recorded_by, 'recorded_at', e.recorded_at)::text
        FROM member_events e, LATERAL (SELECT $2::boolean OR e.kind <> ALL($3::text[]) AS shown) s
        WHERE e.member_id = $1 ORDER BY e.event_date, e.recorded_at""", member_id, pii, list(discipline))
    return [r[0] for r in rows]


# --- writes -------------------------------------------------------------------------------------------------------

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
    official_date: date | None
    citizen_id: str | None
    version: int


async def get_member(session: AsyncSession, member_id: uuid.UUID, *, for_update: bool = False) -> MemberRow | None:
    stmt = select(*(MEMBERS.c[f] for f in MemberRow.__dataclass_fields__)).where(MEMBERS.c.id == member_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).first()
    return MemberRow(**row._mapping) if row is not None else None


async def org_path(session: AsyncSession, organization_id: uuid.UUID) -> tuple[str, str, date | None] | None:
    """(latest path, kind, valid_to) of an organisation."""
    row = (await session.execute(text("""
        SELECT p.path, o.kind, o.valid_to FROM organizations o JOIN organization_placements p
          ON p.organization_id = o.id AND p.latest WHERE o.id = :id"""), {"id": organization_id})).first()
    return (row.path, row.kind, row.valid_to) if row is not None else None


async def members_in_scope(conn: Querier, scope: Scope, member_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `member_ids` that are members the scope covers (where they belong today)."""
    if not member_ids:
        return set()
    params = Params()
    cte, _ = scope_sql(params, scope, None)
    condition = path_in_scope("m.org_path") if not scope.whole_tree else "TRUE"
    rows = await conn.fetch(f"{'WITH ' + cte if cte else ''} SELECT m.id FROM members m "
                            f"WHERE m.id = ANY({params(list(member_ids))}::uuid[]) AND {condition}", *params.values)
    return {r[0] for r in rows}


async def lock_name_and_birth_date(session: AsyncSession, full_name: str, birth_date: date) -> None:
    """Serialise the writers of one name and birth date until they commit (the duplicate rule has no constraint to
    lean on: a same-name record may be allowed)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(coso_fold(:name) || '|' || :birth, 0))"),
                          {"name": full_name, "birth": birth_date.isoformat()})


async def find_duplicates(session: AsyncSession, *, citizen_id: str | None, name_folded_of: str,
                          birth_date: date, exclude: uuid.UUID | None = None) -> list[tuple[uuid.UUID, str, str]]:
    """Living records with the same citizen ID, or the same name (accents and case aside) and birth date:
    (id, full_name, why)."""
    rows = await session.execute(text("""
        SELECT id, full_name, CASE WHEN citizen_id = :cid THEN 'citizen_id' ELSE 'name_and_birth_date' END AS why
        FROM members
        WHERE status <> 'deceased' AND id IS DISTINCT FROM :exclude
          AND ((:cid IS NOT NULL AND citizen_id = :cid)
               OR (name_folded = coso_fold(:name) AND birth_date = :birth))
        ORDER BY why, id LIMIT 5"""), {"cid": citizen_id, "name": name_folded_of, "birth": birth_date,
                                       "exclude": exclude})
    return [(r.id, r.full_name, r.why) for r in rows]


async def insert_member(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID:
    member_id: uuid.UUID = (await session.execute(insert(MEMBERS).values(**values).returning(MEMBERS.c.id))
                            ).scalar_one()
    return member_id


async def update_member(session: AsyncSession, member_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(MEMBERS).where(MEMBERS.c.id == member_id).values(
        **values, version=MEMBERS.c.version + 1, updated_at=text("now()")))


async def set_external_ids(session: AsyncSession, member_id: uuid.UUID, external_ids: Sequence[str]) -> None:
    await session.execute(EXTERNAL.delete().where(EXTERNAL.c.member_id == member_id))
    if external_ids:
        await session.execute(insert(EXTERNAL), [{"external_id": e, "member_id": member_id} for e in external_ids])


async def external_id_owners(session: AsyncSession, external_ids: Sequence[str]) -> dict[str, uuid.UUID]:
    if not external_ids:
        return {}
    rows = await session.execute(select(EXTERNAL.c.external_id, EXTERNAL.c.member_id)
                                 .where(EXTERNAL.c.external_id.in_(list(external_ids))))
    return {r.external_id: r.member_id for r in rows}


async def last_event_date(session: AsyncSession, member_id: uuid.UUID) -> date | None:
    found: date | None = (await session.execute(text(
        "SELECT max(event_date) FROM member_events WHERE member_id = :id"), {"id": member_id})).scalar()
    return found


async def insert_event(session: AsyncSession, **values: Any) -> uuid.UUID:
    event_id: uuid.UUID = (await session.execute(insert(EVENTS).values(**values).returning(EVENTS.c.id))).scalar_one()
    return event_id


async def start_period(session: AsyncSession, *, member_id: uuid.UUID, day: date, state: dict[str, Any]) -> None:
    """From `day` on, the member is in `state`: the open period ends on `day` (or is rewritten, if it began then)."""
    await session.execute(text("""
        DELETE FROM member_periods WHERE member_id = :id AND valid_from = :day AND valid_to IS NULL"""),
        {"id": member_id, "day": day})
    await session.execute(text("""
        UPDATE member_periods SET valid_to = :day WHERE member_id = :id AND valid_to IS NULL AND valid_from < :day"""),
        {"id": member_id, "day": day})
    await session.execute(insert(PERIODS).values(member_id=member_id, valid_from=day, valid_to=None, **state))


async def count_members_in(session: AsyncSession, organization_ids: Sequence[uuid.UUID]) -> int:
    found: int = (await session.execute(text("""
        SELECT count(*) FROM members WHERE organization_id = ANY(:ids)
          AND status IN ('candidate', 'probationary', 'official')"""), {"ids": list(organization_ids)})).scalar_one()
    return found


async def members_with_later_changes(session: AsyncSession, organization_ids: Sequence[uuid.UUID], day: date) -> int:
    found: int = (await session.execute(text("""
        SELECT count(*) FROM members m JOIN member_periods p ON p.member_id = m.id
        WHERE m.organization_id = ANY(:ids) AND m.status IN ('candidate', 'probationary', 'official')
          AND p.valid_from > :day"""), {"ids": list(organization_ids), "day": day})).scalar_one()
    return found


async def transfer_all(session: AsyncSession, *, from_ids: Sequence[uuid.UUID], to_id: uuid.UUID, to_path: str,
                       day: date, recorded_by: str, decision_ref: str | None, note: str) -> int:
    """Every living member of `from_ids` belongs to `to_id` from `day` on (a merge of their cells): new periods,
    one transfer event each. Returns how many moved."""
    params = {"from": list(from_ids), "to": to_id, "path": to_path, "day": day, "by": recorded_by,
              "ref": decision_ref, "note": note}
    moved = (await session.execute(text("""
        UPDATE members SET organization_id = :to, org_path = :path, version = version + 1, updated_at = now()
        WHERE organization_id = ANY(:from) AND status IN ('candidate', 'probationary', 'official')
        RETURNING id"""), params)).scalars().all()
    if not moved:
        return 0
    params["ids"] = list(moved)
    await session.execute(text("""
        DELETE FROM member_periods WHERE member_id = ANY(:ids) AND valid_to IS NULL AND valid_from = :day"""), params)
    await session.execute(text("""
        WITH closed AS (
            UPDATE member_periods SET valid_to = :day
            WHERE member_id = ANY(:ids) AND valid_to IS NULL AND valid_from < :day
            RETURNING member_id, status, host_organization_id, temporarily_away, exempt, suspended)
        INSERT INTO member_periods (member_id, valid_from, organization_id, status, host_organization_id,
                                    temporarily_away, exempt, suspended)
        SELECT member_id, :day, :to, status, host_organization_id, temporarily_away, exempt, suspended FROM closed"""),
        params)
    await session.execute(text("""
        INSERT INTO member_events (member_id, kind, event_date, decision_ref, note, from_organization_id,
                                   to_organization_id, recorded_by)
        SELECT p.member_id, 'transfer', :day, :ref, :note, prev.organization_id, :to, :by
        FROM member_periods p
        JOIN member_periods prev ON prev.member_id = p.member_id AND prev.valid_to = :day
        WHERE p.member_id = ANY(:ids) AND p.valid_from = :day"""), params)
    return len(moved)


async def admission_file(session: AsyncSession, member_id: uuid.UUID) -> tuple[list[uuid.UUID], date | None]:
    row = (await session.execute(select(MEMBERS.c.sponsor_ids, MEMBERS.c.training_certificate_date)
                                 .where(MEMBERS.c.id == member_id))).one()
    return list(row.sponsor_ids or []), row.training_certificate_date


async def official_on(session: AsyncSession, member_ids: Sequence[uuid.UUID], day: date) -> set[uuid.UUID]:
    rows = await session.execute(text("""
        SELECT member_id FROM member_periods WHERE member_id = ANY(:ids) AND status = 'official'
          AND valid_from <= :day AND (valid_to IS NULL OR valid_to > :day)"""), {"ids": list(member_ids), "day": day})
    return {r[0] for r in rows}
