"""Who sees a plan, a task, a body. A plan is visible to callers covering its organisation; a task also to callers
covering one of its bodies (a body's organisation inside the scope, or a collective standing for a subtree that
holds the caller's units)."""

from dataclasses import dataclass

from app.db.scope import Scope, org_covers_scope, org_in_scope, scope_ranges
from app.db.sql import Sql


def body_visible(scope: Scope) -> Sql:
    """The condition on a body `b`."""
    if scope.whole_tree:
        return Sql("TRUE")
    return Sql(
        "({inside} OR (b.kind = 'collective' AND {covers}))",
        inside=org_in_scope(scope, "b.organization_id"),
        covers=org_covers_scope("b.organization_id"),
    )


@dataclass(frozen=True)
class Visibility:
    ranges: Sql | None
    plan: Sql  # on `pl`
    task: Sql  # on `t` and its plan `pl`


def visibility(scope: Scope) -> Visibility:
    if scope.whole_tree:
        return Visibility(ranges=None, plan=Sql("TRUE"), task=Sql("TRUE"))
    via_body = Sql(
        "EXISTS (SELECT 1 FROM task_assignments ta JOIN bodies b ON b.id = ta.body_id "
        "WHERE ta.task_id = t.id AND {body})",
        body=body_visible(scope),
    )
    own = org_in_scope(scope, "pl.organization_id")
    return Visibility(
        ranges=scope_ranges(scope, None),
        plan=Sql(
            "({own} OR EXISTS (SELECT 1 FROM tasks t WHERE t.plan_id = pl.id AND {via_body}))",
            own=own,
            via_body=via_body,
        ),
        task=Sql("({own} OR {via_body})", own=own, via_body=via_body),
    )
