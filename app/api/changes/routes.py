"""The change feed: what changed in the caller's scope, in commit order, for systems that keep a copy
(ARCHITECTURE.md, "The change feed")."""

from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from app.api.auth import ReaderDep, api_router
from app.api.changes.models import ChangePage
from app.api.responses import problems
from app.api.types import page_response
from app.domain.changes import feed
from app.domain.errors import RuleViolation
from app.domain.secrets import ServiceSecrets

router = api_router("/api/v1/changes", "changes")

ENTITIES = ("organization", "member", "plan", "task")


def _entities(text: str | None) -> list[str]:
    if not text:
        return list(ENTITIES)
    asked = [e.strip() for e in text.split(",") if e.strip()]
    unknown = [e for e in asked if e not in ENTITIES]
    if unknown:
        raise RuleViolation(
            f"entity: {', '.join(repr(e) for e in unknown[:5])} is not a kind the feed carries; "
            f"give a comma-separated list of {', '.join(ENTITIES)}.",
            code="invalid_value",
        )
    return asked


@router.get("", response_model=ChangePage, responses=problems(400, 422))
async def list_changes(
    request: Request,
    reader: ReaderDep,
    after: Annotated[
        str | None,
        Query(
            max_length=2000,
            description="`next_cursor` (or an item's `cursor`) from before; `now` for only what changes from now "
            "on; none to start from the beginning (every record there is, then every change)",
        ),
    ] = None,
    entity: Annotated[
        str | None,
        Query(max_length=200, description="Only these kinds, comma-separated: organization, member, plan, task"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Changes per page (at most 1,000)")] = 100,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=feed.MAX_WAIT_SECONDS,
            description="When there is no change yet, wait up to this many seconds for one (a long poll)",
        ),
    ] = 0,
) -> Response:
    """Every create, update, move, end and deletion of the units, members, plans and tasks in your scope, in the
    order they committed, each once. A change that commits late never lands before a position already served:
    follow `next_cursor` and you miss nothing. A record that leaves your scope (moved out, ended, deleted) comes as
    a tombstone; one that enters it, as `created`."""
    secrets: ServiceSecrets = request.app.state.secrets
    query = feed.FeedQuery(after=after, entities=_entities(entity), limit=limit, wait=wait, pii=reader.caller.pii)
    page = await feed.follow(
        reader.pool,
        scope=reader.scope,
        cursors=await secrets.cursors(),
        waker=request.app.state.changes,
        query=query,
    )
    return page_response(page)
