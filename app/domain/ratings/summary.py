"""A unit's rating summary for a period: bands, the quota of excellent ratings, and the units over it."""

import uuid
from collections import Counter, defaultdict
from typing import Any

from app.db.ratings import queries as db
from app.db.scope import Scope
from app.db.sql import Querier
from app.domain.organizations import tree
from app.domain.ratings.service import Band, NotRatedReason, RatingRules, period_bounds, quota

UNITS_LISTED = 100


async def summary(
    conn: Querier, *, scope: Scope, organization_id: uuid.UUID, period: str, rules: RatingRules
) -> dict[str, Any]:
    """Counts by band and reason for the members and the organisations under the unit (the tree as it stood at
    the end of the period), the excellent quota of each, and the units whose own members exceed it."""
    _, end = period_bounds(period, max_term_years=rules.max_term_years)
    unit = await tree.placed(conn, organization_id, scope=scope, as_of=end)
    rows = await db.rating_counts(conn, path=unit.path, period=period, period_end=end)
    members: Counter[str] = Counter()
    organizations: Counter[str] = Counter()
    per_unit: dict[uuid.UUID, Counter[str]] = defaultdict(Counter)
    names: dict[uuid.UUID, Any] = {}
    for row in rows:
        key = row["rating"] or f"not_rated:{row['not_rated_reason']}"
        if row["of_member"]:
            members[key] += row["n"]
            per_unit[row["organization_id"]][key] += row["n"]
            names[row["organization_id"]] = row
        elif row["organization_id"] != organization_id:
            organizations[key] += row["n"]
    membership = await db.membership_without_rating(conn, path=unit.path, period=period, period_end=end)
    over = []
    for org_id, counts in per_unit.items():
        checked = quota(counts, rules.excellent_quota_percent)
        if checked["exceeded"]:
            row = names[org_id]
            over.append(
                {"organization_id": org_id, "code": row["code"], "name": row["name"], "path": row["path"], **checked}
            )
    over.sort(key=lambda u: u.pop("path"))
    return {
        "organization_id": organization_id,
        "period": period,
        "period_end": end,
        "members": {
            **_counts(members),
            "in_membership": membership["members"],
            "without_rating": membership["unrecorded"],
            "quota": quota(members, rules.excellent_quota_percent),
        },
        "organizations": {**_counts(organizations), "quota": quota(organizations, rules.excellent_quota_percent)},
        "units_over_quota": over[:UNITS_LISTED],
        "units_over_quota_count": len(over),
    }


def _counts(counts: Counter[str]) -> dict[str, Any]:
    by_band = {b.value: counts[b.value] for b in Band}
    not_rated = {r.value: counts[f"not_rated:{r.value}"] for r in NotRatedReason}
    return {"rated": sum(by_band.values()), "by_rating": by_band, "not_rated": not_rated}
