"""Recording writes in the audit log, in the writer's own transaction."""

import uuid
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import audit as db
from app.domain.access import Actor

AUDITED = "coso.audited"
READ_ONLY = "coso.read_only"


def read_only(session: AsyncSession) -> None:
    """Declare that this transaction only reads (a preview): it is rolled back, never committed."""
    session.info[READ_ONLY] = True
_NOISE = {"updated_at", "version"}


def changed(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[dict[str, Any] | None,
                                                                                  dict[str, Any] | None]:
    """Only the fields that differ (plus `id`), so a reader sees the change, not two copies of the record."""
    if before is None or after is None:
        return before, after
    keys = [k for k in after if k not in _NOISE and before.get(k) != after.get(k)]
    return ({"id": before.get("id"), **{k: before.get(k) for k in keys}},
            {"id": after.get("id"), **{k: after.get(k) for k in keys}})


async def record(session: AsyncSession, actor: Actor, *, action: str, entity: str, entity_id: uuid.UUID | None,
                 organization_id: uuid.UUID | None, before: dict[str, Any] | None,
                 after: dict[str, Any] | None, diff: bool = True) -> None:
    if diff:
        before, after = changed(before, after)
    caller = actor.caller
    await db.insert_entry(session, actor_kind=caller.kind, actor_id=caller.id, actor_name=caller.name,
                          request_id=actor.request_id, action=action, entity=entity, entity_id=entity_id,
                          organization_id=organization_id, before=_json(before), after=_json(after))
    session.info[AUDITED] = True


def _json(value: dict[str, Any] | None) -> Any:
    # Through orjson and back: UUIDs, dates and datetimes become the strings the API shows.
    return orjson.loads(orjson.dumps(value, default=str)) if value is not None else None


async def record_sensitive_read(conn: Any, caller: Any, *, request_id: str | None, entity: str,
                                ids: list[uuid.UUID]) -> None:
    """Every read of sensitive fields by a person (a JWT subject) is recorded: who read whose record, when.
    Systems (API keys) read in bulk under their own accountability and are not logged per read."""
    if caller.kind != "jwt" or not caller.pii or not ids:
        return
    await db.insert_read(conn, actor_kind=caller.kind, actor_id=caller.id, actor_name=caller.name,
                         request_id=request_id, entity=entity, entity_ids=ids)
