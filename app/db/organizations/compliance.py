"""The numbers the compliance checks look at: membership, committee seats and overdue probationary members of the
units of a subtree on a date. Membership on a date comes from `member_periods` (the period valid that day),
counted in the member's home organisation (`organization_id`, never the host of a temporary transfer)."""

from collections.abc import Sequence
from datetime import date

from app.db.members.reads import IN_MEMBERSHIP
from app.db.positions.queries import valid_on
from app.db.scope import Scope, path_in_scope, scope_ranges, with_ctes
from app.db.sql import Querier, Record, Sql, fetch


async def unit_numbers(
    conn: Querier,
    *,
    scope: Scope,
    within_path: str,
    day: date,
    after_path: str | None,
    limit: int,
    counted_kinds: Sequence[str],
    overdue_admitted_by: date,
) -> list[Record]:
    """The next `limit` units of the subtree alive on the day, in tree order, each with: its membership on the day
    (official, all, exempt: members of the unit and of the units under it; only for `counted_kinds`, 0 for the
    others, whose subtree is never scanned), its committee seats (how many deputies, whether the secretary's is
    filled), the party groups it is divided into, and its own probationary members whose probation began (ceremony,
    or decision if unknown) on or before `overdue_admitted_by` (JSON text)."""
    where = [
        Sql("p.path >= {low} AND p.path < {high}", low=within_path, high=within_path[:-1] + "0"),
        valid_on("p", day),
        valid_on("o", day),
        path_in_scope(scope, "p.path"),
    ]
    if after_path is not None:
        where.append(Sql("p.path > {after}", after=after_path))
    units = Sql(
        """units AS MATERIALIZED (
            SELECT o.id, o.code, o.name, o.kind, p.parent_id, p.path
            FROM organization_placements p JOIN organizations o ON o.id = p.organization_id
            WHERE {where} ORDER BY p.path LIMIT {limit})""",
        where=Sql.all(where),
        limit=limit,
    )
    return await fetch(
        conn,
        Sql(
            """
        {with_}
        SELECT u.*, c.official, c.members, c.exempt, s.seats, s.deputies, s.has_secretary, g.party_groups, od.overdue
        FROM units u
        CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE mp.status = 'official') AS official, count(*) AS members,
                   count(*) FILTER (WHERE mp.exempt) AS exempt
            FROM organization_placements sp
            JOIN member_periods mp ON mp.organization_id = sp.organization_id AND {mp_on}
                 AND mp.status = ANY({in_membership}::text[])
            WHERE u.kind = ANY({counted}::text[])
              AND sp.path >= u.path AND sp.path < left(u.path, -1) || '0' AND {sp_on}) c
        CROSS JOIN LATERAL (
            SELECT count(*) AS seats, count(*) FILTER (WHERE pp.position = 'deputy_secretary') AS deputies,
                   coalesce(bool_or(pp.position = 'secretary'), false) AS has_secretary
            FROM party_positions pp WHERE pp.organization_id = u.id AND {pp_on}) s
        CROSS JOIN LATERAL (
            SELECT count(*) AS party_groups
            FROM organization_placements gp JOIN organizations g ON g.id = gp.organization_id
            WHERE u.kind IN ('grassroots_cell', 'subordinate_cell') AND gp.parent_id = u.id
              AND g.kind = 'party_group' AND {gp_on} AND {g_on}) g
        CROSS JOIN LATERAL (
            SELECT coalesce(json_agg(json_build_object(
                       'member_id', m.id, 'full_name', m.full_name,
                       'admission_decision_date', m.admission_decision_date,
                       'admission_ceremony_date', m.admission_ceremony_date)
                   ORDER BY m.admission_decision_date, m.sort_key, m.id), '[]')::text AS overdue
            FROM member_periods mp JOIN members m ON m.id = mp.member_id
            WHERE mp.organization_id = u.id AND {mp_on} AND mp.status = 'probationary'
              AND coalesce(m.admission_ceremony_date, m.admission_decision_date) <= {overdue_by}) od
        ORDER BY u.path""",
            with_=with_ctes(scope_ranges(scope, day), units),
            mp_on=valid_on("mp", day),
            sp_on=valid_on("sp", day),
            pp_on=valid_on("pp", day),
            gp_on=valid_on("gp", day),
            g_on=valid_on("g", day),
            in_membership=list(IN_MEMBERSHIP),
            counted=list(counted_kinds),
            overdue_by=overdue_admitted_by,
        ),
    )
