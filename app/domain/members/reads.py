"""Reading members: one record (as of a day), lists filtered and keyset-paged in Vietnamese name order, a record's
history. Sensitive fields only for callers with `pii`; a person's read of them is recorded."""

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson

from app.db.members import reads as db
from app.db.members.search import search_members
from app.db.scope import Scope
from app.db.sql import Querier, Record
from app.domain.access.callers import Caller, Forbidden
from app.domain.audit import service as audit
from app.domain.errors import NotFound, RuleViolation
from app.domain.members.lifecycle import DISCIPLINE
from app.domain.members.names import sort_key
from app.domain.organizations import tree
from app.domain.pagination import Page, Paging
from app.domain.results import Document, document


@dataclass(frozen=True)
class MemberFilters:
    """What a list of members asks for (ages are completed years on `as_of`, or today)."""

    as_of: date | None = None
    within: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    statuses: Sequence[str] = ()
    gender: str | None = None
    min_age: int | None = None
    max_age: int | None = None
    min_party_age: int | None = None
    max_party_age: int | None = None
    admitted_from: date | None = None
    admitted_to: date | None = None
    political_theory_levels: Sequence[str] = ()
    ethnicities: Sequence[str] = field(default_factory=tuple)
    religions: Sequence[str] = field(default_factory=tuple)
    q: str | None = None
    citizen_id: str | None = None
    card_number: str | None = None
    include_ended: bool = False
    hosted: bool = False
    updated_since: datetime | None = None


def require_pii_for(caller: Caller, **filters: object) -> None:
    """Filtering by sensitive data reveals it: only callers with `pii` may."""
    used = [name for name, value in filters.items() if value]
    if used and not caller.pii:
        raise Forbidden(f"Filtering by {', '.join(used)} needs the pii permission.", code="pii_required")


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


async def _query(conn: Querier, caller: Caller, scope: Scope, filters: MemberFilters, today: date) -> db.MemberQuery:
    day = filters.as_of or today
    within_path = (
        await tree.resolve_within(conn, filters.within, scope=scope, as_of=filters.as_of) if filters.within else None
    )
    admitted_from = [filters.admitted_from]
    admitted_to = [filters.admitted_to]
    if filters.max_party_age is not None:
        admitted_from.append(_years_before(day, filters.max_party_age + 1))
    if filters.min_party_age is not None:
        admitted_to.append(_years_before(day, filters.min_party_age))
    return db.MemberQuery(
        as_of=filters.as_of,
        within_path=within_path,
        organization_id=filters.organization_id,
        statuses=tuple(filters.statuses),
        gender=filters.gender,
        born_from=_years_before(day, filters.max_age + 1) if filters.max_age is not None else None,
        born_to=_years_before(day, filters.min_age) if filters.min_age is not None else None,
        admitted_from=max(filter(None, admitted_from), default=None),
        admitted_to=min(filter(None, admitted_to), default=None),
        political_theory_levels=tuple(filters.political_theory_levels),
        ethnicities=tuple(filters.ethnicities),
        religions=tuple(filters.religions),
        q=filters.q,
        q_sort_key=sort_key(filters.q) if filters.q else None,
        citizen_id=filters.citizen_id,
        card_number=filters.card_number,
        ended=filters.include_ended or bool(filters.statuses),
        hosted=filters.hosted,
        updated_since=filters.updated_since,
        pii=caller.pii,
    )


async def member_query(
    conn: Querier, *, caller: Caller, scope: Scope, filters: MemberFilters, today: date
) -> db.MemberQuery:
    """The listing's query for these filters, checked (sensitive filters need pii; `hosted` needs a cell): the
    pages of GET /members and its exports read the same."""
    require_pii_for(caller, ethnicity=filters.ethnicities, religion=filters.religions, citizen_id=filters.citizen_id)
    if filters.hosted and filters.organization_id is None:
        raise RuleViolation(
            "`hosted=true` lists the members temporarily attached to one cell: give `organization_id`.",
            code="hosted_needs_organization",
        )
    return await _query(conn, caller, scope, filters, today)


async def list_members(
    conn: Querier,
    *,
    caller: Caller,
    scope: Scope,
    filters: MemberFilters,
    paging: Paging,
    today: date,
    request_id: str | None,
) -> Page[str]:
    """Members in Vietnamese name order (within a subtree: unit by unit; with `q`: exact names first)."""
    query = await member_query(conn, caller=caller, scope=scope, filters=filters, today=today)
    # A cursor is bound to the query it was issued for.
    fingerprint = repr(sorted((k, str(v)) for k, v in query.__dict__.items()))
    kind = "members:" + hashlib.blake2s(fingerprint.encode(), digest_size=6).hexdigest()
    position = paging.after(kind)
    paged = db.MemberQuery(**{**query.__dict__, "after": position["a"] if position else None, "limit": paging.fetch})
    rows = await (search_members(conn, paged, scope=scope) if query.q else db.list_members(conn, paged, scope=scope))

    def key(row: Record) -> dict[str, Any]:
        values = [row[k] for k in row.keys() if k.startswith("k")]
        return {"a": [v if isinstance(v, int | str) else str(v) for v in values]}

    page = paging.page(rows, kind=kind, position=key)
    docs: list[str] = [r["doc"] for r in page.items]
    await audit.record_sensitive_read(
        conn,
        caller,
        request_id=request_id,
        entity="member",
        ids=[uuid.UUID(orjson.loads(d)["id"]) for d in docs] if caller.pii and caller.kind == "jwt" else [],
    )
    return Page(items=docs, next_cursor=page.next_cursor)


async def read_member(
    conn: Querier, *, caller: Caller, scope: Scope, member_id: uuid.UUID, as_of: date | None, request_id: str | None
) -> Document:
    """One member (as they stood on `as_of`, if given)."""
    row = await db.read_member(conn, member_id, scope=scope, as_of=as_of, pii=caller.pii)
    if row is None:
        raise NotFound(
            f"No member with id {member_id} {'was a member then' if as_of else 'exists'}.", code="member_not_found"
        )
    await audit.record_sensitive_read(conn, caller, request_id=request_id, entity="member", ids=[member_id])
    return document(member_id, row)


async def check_member(conn: Querier, *, scope: Scope, member_id: uuid.UUID) -> None:
    """The member is in the scope (else: no such member)."""
    if await db.read_member(conn, member_id, scope=scope, as_of=None, pii=False) is None:
        raise NotFound(f"No member with id {member_id} exists.", code="member_not_found")


HISTORY_DISCIPLINE = [k.value for k in DISCIPLINE]  # the events whose file needs pii


async def member_history(conn: Querier, *, caller: Caller, scope: Scope, member_id: uuid.UUID) -> list[str]:
    """Every recorded step, oldest first (a disciplinary event's file only with pii)."""
    await check_member(conn, scope=scope, member_id=member_id)
    return await db.history(conn, member_id, pii=caller.pii, discipline=HISTORY_DISCIPLINE)
