"""Counts for the statistical reports (báo cáo thống kê): members and organisations of a unit's subtree, in the
tree as it stood on a day, broken down by one dimension or crossed by two.

Every answer lists every row a report has (a zero count included), in the catalogue's order, so that reports have
fixed rows: `unknown` counts the records without a value, `unlisted` those whose value is not in the catalogue
(ethnicity and political theory level are free codes on the record).

Who is counted: the Party members of the day (probationary and official, exempt and suspended ones, and those
temporarily transferred away, included), in their home organisation. Candidates (quần chúng ưu tú) are on the rolls
but not members: they are counted apart (`candidates`), as are the members exempt from activity (`exempt`)."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from app.db.scope import Scope
from app.db.sql import Querier, Record
from app.db.statistics import queries as db
from app.domain.access.callers import Caller, Forbidden
from app.domain.errors import NotFound, RuleViolation
from app.domain.members.catalogues import ETHNICITIES, GENDERS, POLITICAL_THEORY_LEVELS, STATUSES
from app.domain.organizations.rules import CATEGORY_LABELS, KIND_LABELS


class MemberDimension(StrEnum):
    status = "status"
    gender = "gender"
    age_band = "age_band"
    ethnicity = "ethnicity"
    political_theory_level = "political_theory_level"
    party_age_band = "party_age_band"


class OrganizationDimension(StrEnum):
    kind = "kind"
    category = "category"


# Breakdowns that reveal sensitive personal data of small units (a cell of three): only for callers with `pii`.
SENSITIVE: frozenset[MemberDimension] = frozenset({MemberDimension.ethnicity})

# At most this many dimensions crossed in one answer (a cross-tab).
MAX_DIMENSIONS = 2

UNKNOWN = ("unknown", "Chưa có thông tin")
UNLISTED = ("unlisted", "Ngoài danh mục")


@dataclass(frozen=True)
class Band:
    """Completed years from `low` to `high` inclusive (`high` None: and above)."""

    key: str
    low: int
    high: int | None
    label: str


# Age (tuổi đời, completed years on the day) as the Party's membership statistics group it: youth up to 30, then
# by decade, and above 70.
AGE_BANDS: tuple[Band, ...] = (
    Band("to_30", 0, 30, "Đến 30 tuổi"),
    Band("31_40", 31, 40, "Từ 31 đến 40 tuổi"),
    Band("41_50", 41, 50, "Từ 41 đến 50 tuổi"),
    Band("51_60", 51, 60, "Từ 51 đến 60 tuổi"),
    Band("61_70", 61, 70, "Từ 61 đến 70 tuổi"),
    Band("over_70", 71, None, "Trên 70 tuổi"),
)

# Party age (tuổi đảng): completed years since the admission decision, by decade. The lower bounds of the upper
# bands are those of the Party membership badges (30, 40, 50 years).
PARTY_AGE_BANDS: tuple[Band, ...] = (
    Band("under_10", 0, 9, "Dưới 10 năm"),
    Band("10_19", 10, 19, "Từ 10 đến dưới 20 năm"),
    Band("20_29", 20, 29, "Từ 20 đến dưới 30 năm"),
    Band("30_39", 30, 39, "Từ 30 đến dưới 40 năm"),
    Band("40_49", 40, 49, "Từ 40 đến dưới 50 năm"),
    Band("50_plus", 50, None, "Từ 50 năm trở lên"),
)


def band_of(bands: Sequence[Band], years: int | None) -> str:
    if years is None:
        return UNKNOWN[0]
    for band in bands:
        if band.low <= years and (band.high is None or years <= band.high):
            return band.key
    return bands[0].key  # below the first band's floor (never for ages of the living)


@dataclass(frozen=True)
class Rows:
    """The fixed rows of a dimension, and how a raw value of the database becomes one of them."""

    db_value: str
    rows: tuple[tuple[str, str], ...]
    key_of: Callable[[Any], str]


def _catalogue(db_value: str, labels: dict[str, str], *, nullable: bool = False, unlisted: bool = False) -> Rows:
    rows = tuple(labels.items()) + ((UNLISTED,) if unlisted else ()) + ((UNKNOWN,) if nullable else ())

    def key_of(value: Any) -> str:
        if value is None:
            return UNKNOWN[0]
        return str(value) if value in labels else UNLISTED[0]

    return Rows(db_value=db_value, rows=rows, key_of=key_of)


def _banded(db_value: str, bands: Sequence[Band], *, nullable: bool = False) -> Rows:
    rows = tuple((b.key, b.label) for b in bands) + ((UNKNOWN,) if nullable else ())
    return Rows(db_value=db_value, rows=rows, key_of=lambda years: band_of(bands, years))


MEMBER_ROWS: dict[MemberDimension, Rows] = {
    # The members' statuses; candidates are counted apart (not members), so never a row.
    MemberDimension.status: _catalogue("status", {s: STATUSES[s] for s in ("probationary", "official")}),
    MemberDimension.gender: _catalogue("gender", GENDERS),
    MemberDimension.age_band: _banded("age", AGE_BANDS),
    MemberDimension.ethnicity: _catalogue("ethnicity", ETHNICITIES, nullable=True, unlisted=True),
    MemberDimension.political_theory_level: _catalogue(
        "political_theory_level", POLITICAL_THEORY_LEVELS, nullable=True, unlisted=True
    ),
    # No admission date on the record (or one after the day): unknown.
    MemberDimension.party_age_band: _banded("party_age", PARTY_AGE_BANDS, nullable=True),
}

ORGANIZATION_ROWS: dict[OrganizationDimension, Rows] = {
    OrganizationDimension.kind: _catalogue("kind", {k.value: label for k, label in KIND_LABELS.items()}),
    OrganizationDimension.category: _catalogue(
        "category", {c.value: label for c, label in CATEGORY_LABELS.items()}, nullable=True
    ),
}


def _check_dimensions(by: Sequence[StrEnum]) -> None:
    if not 1 <= len(by) <= MAX_DIMENSIONS or len(set(by)) != len(by):
        raise RuleViolation(
            f"Give `by` once or twice (a cross-tab of two different dimensions); got "
            f"{', '.join(b.value for b in by) or 'none'}.",
            code="invalid_dimensions",
        )


def _tabulate(dimensions: Sequence[Rows], counted: dict[tuple[str, ...], int]) -> list[dict[str, Any]]:
    """The fixed rows of the first dimension, each with its count and (crossed) the rows of the next."""
    first, rest = dimensions[0], dimensions[1:]
    items = []
    for key, label in first.rows:
        inner = {k[1:]: n for k, n in counted.items() if k[0] == key}
        item: dict[str, Any] = {"key": key, "label": label, "count": sum(inner.values())}
        if rest:
            item["items"] = _tabulate(rest, inner)
        items.append(item)
    return items


def _group(dimensions: Sequence[Rows], rows: Sequence[Record], column: str) -> dict[tuple[str, ...], int]:
    counted: dict[tuple[str, ...], int] = {}
    for row in rows:
        key = tuple(d.key_of(row[f"v{i}"]) for i, d in enumerate(dimensions))
        counted[key] = counted.get(key, 0) + row[column]
    return counted


async def _subtree(
    conn: Querier, *, scope: Scope, as_of: date, organization: str | None
) -> tuple[uuid.UUID | None, str | None]:
    """(id, path) of the unit given by id or code, on the day and in the scope; (None, None) = the whole scope."""
    if organization is None:
        return None, None
    try:
        org_id: uuid.UUID | None = uuid.UUID(organization)
    except ValueError:
        org_id = None
    found = await db.placed_unit(
        conn, scope=scope, as_of=as_of, org_id=org_id, code=organization if org_id is None else None
    )
    if found is None:
        raise NotFound(
            f"No organisation with {'id' if org_id else 'code'} {organization!r} stood in the tree on "
            f"{as_of.isoformat()}.",
            code="organization_not_found",
        )
    return found


async def member_statistics(
    conn: Querier, *, caller: Caller, scope: Scope, organization: str | None, as_of: date, by: Sequence[MemberDimension]
) -> dict[str, Any]:
    """The members of the unit's subtree (or of the caller's whole scope) on `as_of`, broken down `by`."""
    _check_dimensions(by)
    hidden = [d.value for d in by if d in SENSITIVE]
    if hidden and not caller.pii:
        raise Forbidden(
            f"A breakdown by {', '.join(hidden)} reveals sensitive personal data: it needs the pii permission.",
            code="pii_required",
        )
    org_id, path = await _subtree(conn, scope=scope, as_of=as_of, organization=organization)
    dimensions = [MEMBER_ROWS[d] for d in by]
    rows = await db.count_members(
        conn, scope=scope, as_of=as_of, within_path=path, values=[d.db_value for d in dimensions]
    )
    counted = _group(dimensions, [r for r in rows if r["members"]], "members")
    return {
        "organization_id": org_id,
        "as_of": as_of,
        "by": [d.value for d in by],
        "total": sum(counted.values()),
        "candidates": sum(r["candidates"] for r in rows),
        "exempt": sum(r["exempt"] for r in rows),
        "items": _tabulate(dimensions, counted),
    }


async def organization_statistics(
    conn: Querier, *, scope: Scope, organization: str | None, as_of: date, by: Sequence[OrganizationDimension]
) -> dict[str, Any]:
    """The units of the unit's subtree (itself included; or of the caller's whole scope) on `as_of`, broken down
    `by`."""
    _check_dimensions(by)
    org_id, path = await _subtree(conn, scope=scope, as_of=as_of, organization=organization)
    dimensions = [ORGANIZATION_ROWS[d] for d in by]
    rows = await db.count_organizations(
        conn, scope=scope, as_of=as_of, within_path=path, values=[d.db_value for d in dimensions]
    )
    counted = _group(dimensions, rows, "units")
    return {
        "organization_id": org_id,
        "as_of": as_of,
        "by": [d.value for d in by],
        "total": sum(counted.values()),
        "items": _tabulate(dimensions, counted),
    }
