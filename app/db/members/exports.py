"""The rows of a member export: the listing's selection (same filters, scope and `as_of`), every row rather than a
page, as plain columns (not JSON: the domain writes them as CSV, XLSX or NDJSON cells), pulled from a server-side
cursor. Sensitive columns are not selected at all without `pii`."""

from collections.abc import AsyncIterator

import asyncpg

from app.db.members.reads import MemberQuery, Selection, dated, selection
from app.db.organizations.reads import escape_like
from app.db.scope import Scope, scope_ranges, with_ctes
from app.db.sql import Record, Sql, fetchval, stream

SENSITIVE = ("residence", "ethnicity", "religion", "citizen_id", "phone")


def _chosen(query: MemberQuery, scope: Scope) -> tuple[Selection, list[Sql], list[str]]:
    """The selection, its conditions with a name search as a plain filter (an export is in name order, not ranked
    by relevance: the same members as the listing's pages, all of them), and the order."""
    chosen = selection(query, scope)
    where = list(chosen.where)
    if query.q is not None:
        where.append(Sql("m.name_folded LIKE coso_fold({pattern})", pattern="%" + escape_like(query.q) + "%"))
    by_path = query.within_path is not None and query.q is None
    order = [chosen.unit_path, "m.sort_key", "m.id"] if by_path else ["m.sort_key", "m.id"]
    return chosen, where, order


def _columns(query: MemberQuery, state: str) -> Sql:
    day = query.as_of
    sensitive = [f"m.{name}" for name in SENSITIVE] if query.pii else []
    plain = [
        "m.id",
        "m.full_name",
        "m.gender",
        "m.birth_date",
        "m.birth_place",
        "m.hometown",
        *sensitive,
        "m.education",
        "m.professional_level",
        "m.political_theory_level",
        f"{state}.status",
        "o.code AS organization",
    ]
    return Sql(
        "{plain}, {decision} AS admission_decision_date, {ceremony} AS admission_ceremony_date, "
        "{official} AS official_date, m.party_card_number, m.record_number, "
        "{certificate} AS training_certificate_date, m.introduced_by, "
        "coalesce((SELECT array_agg(e.external_id ORDER BY e.external_id) FROM member_external_ids e "
        "WHERE e.member_id = m.id), '{{}}') AS external_ids",
        plain=Sql(", ".join(plain)),
        decision=dated("m.admission_decision_date", day),
        ceremony=dated("m.admission_ceremony_date", day),
        official=dated("m.official_date", day, also=f"{state}.status NOT IN ('candidate', 'probationary')"),
        certificate=dated("m.training_certificate_date", day),
    )


async def count_members(conn: asyncpg.Connection, query: MemberQuery, *, scope: Scope) -> int:
    """How many rows `export_members` will give (in the same snapshot: exactly)."""
    chosen, where, _ = _chosen(query, scope)
    count: int = await fetchval(
        conn,
        Sql(
            "{with_} SELECT count(*) FROM {source} WHERE {where}",
            with_=with_ctes(scope_ranges(scope, query.as_of)),
            source=chosen.source,
            where=Sql.all(where),
        ),
    )
    return count


def export_members(conn: asyncpg.Connection, query: MemberQuery, *, scope: Scope) -> AsyncIterator[Record]:
    """Every member of the listing, in its order, as export columns (the member import's fields)."""
    chosen, where, order = _chosen(query, scope)
    return stream(
        conn,
        Sql(
            "{with_} SELECT {columns} FROM {source} LEFT JOIN organizations o ON o.id = {state}.organization_id "
            "WHERE {where} ORDER BY {order}",
            with_=with_ctes(scope_ranges(scope, query.as_of)),
            columns=_columns(query, chosen.state),
            source=chosen.source,
            state=Sql(chosen.state),
            where=Sql.all(where),
            order=Sql(", ".join(order)),
        ),
    )
