"""Reads of member records: JSON rendered by PostgreSQL, sensitive fields only for `pii` callers. Current reads
use the record itself (its `org_path` makes a subtree a range scan in name order); `as_of` reads use the member's
period and the organisation's placement of that day."""

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from app.db.organizations.paths import subtree_bounds
from app.db.scope import Scope, org_in_scope, path_in_scope, scope_ranges, with_ctes
from app.db.sql import Querier, Record, Sql, fetch, fetchrow, stream


def dated(column: str, day: date | None, *, also: str = "true") -> Sql:
    """A date of the record as it stood on `day`: null while it was still to come."""
    if day is None:
        return Sql(column)
    return Sql("CASE WHEN {column} <= {day} AND {also} THEN {column} END", column=Sql(column), day=day, also=Sql(also))


def member_doc(*, pii: bool, state: str, day: date | None = None) -> Sql:
    """The member as JSON (MemberRead); `state` is the alias whose status and organisation to show: the record
    (`m`) or the period of a day (`st`). On a `day` (as_of) the dates of steps not yet taken are null: the admission
    before the decision, the ceremony before it was held, the official date before the recognition."""
    return Sql(
        """json_build_object(
        'id', m.id, 'full_name', m.full_name, 'gender', m.gender, 'birth_date', m.birth_date,
        'birth_place', m.birth_place, 'hometown', m.hometown,
        'residence', CASE WHEN {pii}::boolean THEN m.residence END,
        'ethnicity', CASE WHEN {pii}::boolean THEN m.ethnicity END,
        'religion', CASE WHEN {pii}::boolean THEN m.religion END,
        'citizen_id', CASE WHEN {pii}::boolean THEN m.citizen_id END,
        'phone', CASE WHEN {pii}::boolean THEN m.phone END,
        'education', m.education, 'professional_level', m.professional_level,
        'political_theory_level', m.political_theory_level,
        'admission_decision_date', {decision}, 'admission_ceremony_date', {ceremony},
        'official_date', {official}, 'party_card_number', m.party_card_number,
        'record_number', m.record_number, 'status', {s}.status, 'organization_id', {s}.organization_id,
        'host_organization_id', {s}.host_organization_id, 'temporarily_away', {s}.temporarily_away,
        'exempt', {s}.exempt, 'suspended', {s}.suspended, 'sponsor_ids', m.sponsor_ids,
        'sponsor_since', m.sponsor_since, 'introduced_by', m.introduced_by,
        'training_certificate_date', {certificate},
        'external_ids', coalesce((SELECT array_agg(e.external_id ORDER BY e.external_id)
                                  FROM member_external_ids e WHERE e.member_id = m.id), '{{}}'),
        'pii_hidden', NOT {pii}::boolean,
        'created_at', m.created_at, 'updated_at', m.updated_at, 'version', m.version)::text""",
        s=Sql(state),
        pii=pii,
        decision=dated("m.admission_decision_date", day),
        ceremony=dated("m.admission_ceremony_date", day),
        official=dated("m.official_date", day, also=f"{state}.status NOT IN ('candidate', 'probationary')"),
        certificate=dated("m.training_certificate_date", day),
    )


# Closed records: a register lists them only when asked (status=…, include_ended=true).
ENDED = ("transferred_out", "expelled", "struck_off", "resigned", "deceased")


@dataclass(frozen=True)
class MemberQuery:
    as_of: date | None = None
    within_path: str | None = None
    organization_id: uuid.UUID | None = None
    statuses: Sequence[str] = ()
    gender: str | None = None
    born_from: date | None = None  # birth date bounds from the age range
    born_to: date | None = None
    admitted_from: date | None = None
    admitted_to: date | None = None
    political_theory_levels: Sequence[str] = ()
    ethnicities: Sequence[str] = ()
    religions: Sequence[str] = ()
    q: str | None = None
    q_sort_key: str | None = None  # the sort key of `q` as a name (exact matches are found by it)
    citizen_id: str | None = None
    card_number: str | None = None
    ended: bool = True  # false: records closed on the day (ENDED) are left out
    hosted: bool = False  # with organization_id: also the members temporarily attached there
    updated_since: datetime | None = None  # only records changed at or after this instant
    after: Sequence[Any] | None = None
    limit: int = 50
    pii: bool = False


def _placed_on(day: date, org: str, inside: Sql) -> Sql:
    return Sql(
        "EXISTS (SELECT 1 FROM organization_placements op WHERE op.organization_id = {org} "
        "AND op.valid_from <= {day} AND (op.valid_to IS NULL OR op.valid_to > {day}) AND {inside})",
        org=Sql(org),
        day=day,
        inside=inside,
    )


@dataclass(frozen=True)
class Selection:
    """What a listing reads: the rows (`members m`, joined to the day's periods and placements for `as_of`), the
    conditions on them, the alias holding status and organisation, and the unit path a subtree is ordered by."""

    source: Sql
    where: list[Sql]
    state: str
    unit_path: str


def selection(query: MemberQuery, scope: Scope, members: Sql = Sql("members m")) -> Selection:
    """The rows and filters of a listing; `members` may be narrowed beforehand (the hits of a name search)."""
    where: list[Sql] = []
    if query.as_of is None:
        source, state, unit_path = members, "m", "m.org_path"
        if not scope.whole_tree:
            where.append(path_in_scope(scope, "m.org_path"))
        if query.within_path is not None:
            low, high = subtree_bounds(query.within_path)
            where.append(Sql("m.org_path >= {low} AND m.org_path < {high}", low=low, high=high))
    else:
        day = query.as_of
        source = Sql(
            "{members} JOIN member_periods st ON st.member_id = m.id AND st.valid_from <= {day} "
            "AND (st.valid_to IS NULL OR st.valid_to > {day})",
            members=members,
            day=day,
        )
        state, unit_path = "st", "op.path"
        if query.within_path is not None:
            # The units of the subtree as they stood that day, then their members: unit by unit, like today's
            # listing (walking the members in name order and testing each would read the whole country).
            low, high = subtree_bounds(query.within_path)
            source = Sql(
                "{source} JOIN organization_placements op ON op.organization_id = st.organization_id "
                "AND op.valid_from <= {day} AND (op.valid_to IS NULL OR op.valid_to > {day}) "
                "AND op.path >= {low} AND op.path < {high}",
                source=source,
                day=day,
                low=low,
                high=high,
            )
            if not scope.whole_tree:
                where.append(path_in_scope(scope, "op.path"))
        elif not scope.whole_tree:
            where.append(_placed_on(day, "st.organization_id", path_in_scope(scope, "op.path")))
    if query.organization_id is not None:
        here = "{s}.organization_id = {org}"
        if query.hosted:
            here = "({s}.organization_id = {org} OR ({s}.host_organization_id = {org} AND {s}.temporarily_away))"
        where.append(Sql(here, s=Sql(state), org=query.organization_id))
    if not query.ended:
        where.append(Sql("{s}.status <> ALL({ended}::text[])", s=Sql(state), ended=list(ENDED)))
    if query.statuses:
        where.append(Sql("{s}.status = ANY({statuses}::text[])", s=Sql(state), statuses=list(query.statuses)))
    for condition, value in (
        ("m.gender = {v}", query.gender),
        ("m.birth_date >= {v}", query.born_from),
        ("m.birth_date <= {v}", query.born_to),
        ("m.admission_decision_date >= {v}", query.admitted_from),
        ("m.admission_decision_date <= {v}", query.admitted_to),
        ("m.citizen_id = {v}", query.citizen_id),
        ("m.party_card_number = {v}", query.card_number),
        ("m.updated_at >= {v}", query.updated_since),
    ):
        if value:
            where.append(Sql(condition, v=value))
    for condition, values in (
        ("m.political_theory_level = ANY({v}::text[])", query.political_theory_levels),
        ("m.ethnicity = ANY({v}::text[])", query.ethnicities),
        ("m.religion = ANY({v}::text[])", query.religions),
    ):
        if values:
            where.append(Sql(condition, v=list(values)))
    return Selection(source=source, where=where, state=state, unit_path=unit_path)


async def list_members(conn: Querier, query: MemberQuery, *, scope: Scope) -> list[Record]:
    """A page of (doc, k0, k1, …) rows in a keyset order: (unit path, sort_key, id) within a subtree, (sort_key, id)
    otherwise. Name searches (`q`) are search.py's."""
    assert query.q is None
    chosen = selection(query, scope)
    by_path = query.within_path is not None
    order = [chosen.unit_path, "m.sort_key", "m.id"] if by_path else ["m.sort_key", "m.id"]
    where = list(chosen.where)
    if query.after is not None:
        keys = Sql.join(", ", [Sql("{v}", v=v) for v in query.after])
        where.append(Sql("({order}) > ({keys})", order=Sql(", ".join(order)), keys=keys))
        if by_path:  # lets the index scan start at the cursor's unit
            where.append(Sql("{path} >= {first}", path=Sql(chosen.unit_path), first=query.after[0]))
    columns = Sql(", ".join(f"{c} AS k{i}" for i, c in enumerate(order)))
    return await fetch(
        conn,
        Sql(
            "{with_} SELECT {doc} AS doc, {columns} FROM {source} WHERE {where} ORDER BY {order} LIMIT {limit}",
            with_=with_ctes(scope_ranges(scope, query.as_of)),
            doc=member_doc(pii=query.pii, state=chosen.state, day=query.as_of),
            columns=columns,
            source=chosen.source,
            where=Sql.all(where),
            order=Sql(", ".join(order)),
            limit=query.limit,
        ),
    )


async def read_member(
    conn: Querier, member_id: uuid.UUID, *, scope: Scope, as_of: date | None, pii: bool
) -> Record | None:
    """(doc, version) of one member (as they stood on `as_of`, if given), inside the scope."""
    query = MemberQuery(as_of=as_of)
    chosen = selection(query, scope)
    return await fetchrow(
        conn,
        Sql(
            "{with_} SELECT {doc} AS doc, m.version FROM {source} WHERE m.id = {id} AND {where}",
            with_=with_ctes(scope_ranges(scope, as_of)),
            doc=member_doc(pii=pii, state=chosen.state, day=as_of),
            source=chosen.source,
            id=member_id,
            where=Sql.all(chosen.where),
        ),
    )


async def members_in_scope(conn: Querier, scope: Scope, member_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `member_ids` that are members the scope covers (where they belong today)."""
    if not member_ids:
        return set()
    rows = await fetch(
        conn,
        Sql(
            "{with_} SELECT m.id FROM members m WHERE m.id = ANY({ids}::uuid[]) AND {inside}",
            with_=with_ctes(scope_ranges(scope, None)),
            ids=list(member_ids),
            inside=path_in_scope(scope, "m.org_path"),
        ),
    )
    return {r[0] for r in rows}


def history_query(member_id: uuid.UUID, *, pii: bool, discipline: Sequence[str]) -> Sql:
    """The member's events, oldest first, each a JSON document. The file of a disciplinary event (decision, note,
    details) only with `pii`: the event itself and its date are shown to every reader. The history and its export
    share it."""
    return Sql(
        """
        SELECT json_build_object('id', e.id, 'kind', e.kind, 'event_date', e.event_date,
            'decision_ref', CASE WHEN shown THEN e.decision_ref END, 'note', CASE WHEN shown THEN e.note END,
            'from_organization_id', e.from_organization_id, 'to_organization_id', e.to_organization_id,
            'details', CASE WHEN shown THEN e.details END, 'details_hidden', NOT shown,
            'recorded_by', e.recorded_by, 'recorded_at', e.recorded_at)::text
        FROM member_events e, LATERAL (SELECT {pii}::boolean OR e.kind <> ALL({discipline}::text[]) AS shown) s
        WHERE e.member_id = {id} ORDER BY e.event_date, e.recorded_at""",
        id=member_id,
        pii=pii,
        discipline=list(discipline),
    )


async def history(conn: Querier, member_id: uuid.UUID, *, pii: bool, discipline: Sequence[str]) -> list[str]:
    return [r[0] for r in await fetch(conn, history_query(member_id, pii=pii, discipline=discipline))]


def stream_history(
    conn: asyncpg.Connection, member_id: uuid.UUID, *, pii: bool, discipline: Sequence[str]
) -> AsyncIterator[Record]:
    return stream(conn, history_query(member_id, pii=pii, discipline=discipline))


# --- a member on a date (for ratings, seats and posts) -------------------------------------------------------------

IN_MEMBERSHIP = ("probationary", "official")


@dataclass(frozen=True)
class MemberOnDate:
    """A member as the record stands now, and their state on one day (None fields: no period covers it)."""

    id: uuid.UUID
    full_name: str
    organization_id: uuid.UUID
    admission_decision_date: date | None
    status: str | None
    home_id: uuid.UUID | None
    host_id: uuid.UUID | None
    exempt: bool
    suspended: bool
    home_path: str | None


async def member_on(conn: Querier, member_id: uuid.UUID, day: date) -> MemberOnDate | None:
    row = await fetchrow(
        conn,
        Sql(
            """
        SELECT m.id, m.full_name, m.organization_id, m.admission_decision_date, mp.status,
               mp.organization_id AS home_id, mp.host_organization_id AS host_id,
               coalesce(mp.exempt, false) AS exempt, coalesce(mp.suspended, false) AS suspended,
               (SELECT p.path FROM organization_placements p WHERE p.organization_id = mp.organization_id
                AND p.valid_from <= {day} AND (p.valid_to IS NULL OR p.valid_to > {day})) AS home_path
        FROM members m LEFT JOIN member_periods mp ON mp.member_id = m.id
             AND mp.valid_from <= {day} AND (mp.valid_to IS NULL OR mp.valid_to > {day})
        WHERE m.id = {id}""",
            id=member_id,
            day=day,
        ),
    )
    return MemberOnDate(**dict(row)) if row is not None else None


async def scoped_member(conn: Querier, member_id: uuid.UUID, *, scope: Scope) -> Record | None:
    """(id, full_name, organization_id) of a member whose organisation lies in the scope, or None."""
    return await fetchrow(
        conn,
        Sql(
            "{with_} SELECT m.id, m.full_name, m.organization_id FROM members m WHERE m.id = {id} AND {inside}",
            with_=with_ctes(scope_ranges(scope, None)),
            id=member_id,
            inside=org_in_scope(scope, "m.organization_id"),
        ),
    )
