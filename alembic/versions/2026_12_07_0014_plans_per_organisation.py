"""Plans per issuing organisation: a plan's code is unique within the organisation that issues it, not across the
country (every town numbers its own "…-KH/TU"). Bodies say which party organisations they stand for (`body_members`:
the one a body named like an organisation is, each of a collective's), and a collective's member reports its own
part of a task (`progress_reports.organization_id`).

Data: the match keys of bodies and aliases are computed anew (abbreviations in any case, "Các chi bộ, đảng ủy" and
"Các đảng ủy, chi bộ" one key; a key another body of the organisation already holds is left as it was, never merged
silently), and every body is linked to the organisations it stands for. Both use the service's own functions
(app/domain/plans/bodies.py, collectives.py) as they are at this revision.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from app.domain.plans.bodies import normalise_body_name
from app.domain.plans.collectives import Unit, body_kind, members

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("uq_plans_code", "plans", type_="unique")
    op.create_unique_constraint("uq_plans_organization_id", "plans", ["organization_id", "code"])
    op.create_table(
        "body_members",
        sa.Column("body_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("organization_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"], ["bodies.id"], name=op.f("fk_body_members_body_id_bodies"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_body_members_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("body_id", "organization_id", name=op.f("pk_body_members")),
    )
    op.create_index(op.f("ix_body_members_organization_id"), "body_members", ["organization_id"])
    op.add_column("progress_reports", sa.Column("organization_id", postgresql.UUID(as_uuid=True), nullable=True))
    op.create_foreign_key(
        op.f("fk_progress_reports_organization_id_organizations"),
        "progress_reports",
        "organizations",
        ["organization_id"],
        ["id"],
    )
    rekey_and_link(op.get_bind())


def rekey_and_link(bind: sa.Connection) -> None:
    """New match keys for bodies and aliases where free, and the organisations each body stands for."""
    rows = bind.execute(sa.text("SELECT id, organization_id, name, name_key, kind FROM bodies ORDER BY created_at, id"))
    bodies = rows.all()
    taken = {(b.organization_id, b.name_key) for b in bodies}
    taken |= {(a.organization_id, a.alias_key) for a in bind.execute(sa.text("SELECT * FROM body_aliases"))}
    for body in bodies:
        key = normalise_body_name(body.name)
        if key != body.name_key and (body.organization_id, key) not in taken:
            bind.execute(sa.text("UPDATE bodies SET name_key = :key WHERE id = :id"), {"key": key, "id": body.id})
            taken.add((body.organization_id, key))
    for alias in bind.execute(sa.text("SELECT organization_id, alias_key, alias FROM body_aliases")).all():
        key = normalise_body_name(alias.alias)
        if key != alias.alias_key and (alias.organization_id, key) not in taken:
            bind.execute(
                sa.text("UPDATE body_aliases SET alias_key = :key WHERE organization_id = :org AND alias_key = :old"),
                {"key": key, "org": alias.organization_id, "old": alias.alias_key},
            )
            taken.add((alias.organization_id, key))
    units: dict[object, list[Unit]] = {}
    for body in bodies:
        if body.organization_id not in units:
            units[body.organization_id] = _subtree(bind, body.organization_id)
        found = members(body.name, units[body.organization_id])
        for organization_id in dict.fromkeys(found):
            bind.execute(
                sa.text(
                    "INSERT INTO body_members (body_id, organization_id) VALUES (:body, :org) ON CONFLICT DO NOTHING"
                ),
                {"body": body.id, "org": organization_id},
            )
        kind = body_kind(body.name, body.kind, found)
        if kind != body.kind:
            bind.execute(sa.text("UPDATE bodies SET kind = :kind WHERE id = :id"), {"kind": kind, "id": body.id})


def _subtree(bind: sa.Connection, root: object) -> list[Unit]:
    path = bind.execute(
        sa.text("SELECT path FROM organization_placements WHERE organization_id = :id AND latest"), {"id": root}
    ).scalar()
    if path is None:
        return []
    rows = bind.execute(
        sa.text(
            "SELECT o.id, o.name, o.kind, o.category, p.parent_id FROM organization_placements p "
            "JOIN organizations o ON o.id = p.organization_id WHERE p.latest AND p.path >= :low "
            "AND p.path < :high AND o.valid_to IS NULL ORDER BY p.path"
        ),
        {"low": path, "high": path[:-1] + "0"},
    )
    return [Unit(r.id, r.name, r.kind, r.category, r.parent_id) for r in rows]


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_progress_reports_organization_id_organizations"), "progress_reports", type_="foreignkey"
    )
    op.drop_column("progress_reports", "organization_id")
    op.drop_index(op.f("ix_body_members_organization_id"), table_name="body_members")
    op.drop_table("body_members")
    op.drop_constraint("uq_plans_organization_id", "plans", type_="unique")
    op.create_unique_constraint("uq_plans_code", "plans", ["code"])
