"""The audit log: one entry per write, in the writer's own transaction, and what each reader may see of it.

What is stored. Before and after of what changed, except sensitive personal values (citizen ID, phone,
residence, ethnicity, religion): the log is append-only and kept for ever, and Law 91/2025/QH15 wants such data
kept only where it is needed and erasable; a copy in a log that refuses deletion never could be. In their place
the log keeps `redacted:` and a keyed digest (sha256 under the service's secret, 16 hex digits): a reader can
see that the value changed, and that two entries hold the same value, never the value. The member record is the
one place the value lives.

What is shown. The same property-level rule as every read: without `pii` a caller sees `redacted` (no digest)
for those fields and no score or comment of a member's rating; a person (JWT) with `pii` who reads them leaves a
`read_sensitive` entry. An auditor of a subtree sees the entries recorded against its units, or against the
other end of a change that crosses units (a transfer in, a unit moved under one of its units); in them, the ids of
units and members outside the subtree are null and listed in `redacted`: a record that left shows that it left and
when, not where it went."""

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from app.db.audit import queries as db
from app.db.scope import Scope
from app.db.sql import Querier
from app.domain.access.callers import Actor, Caller
from app.domain.pagination import Page, Paging
from app.domain.tx import Tx

# A member's sensitive fields (the same list as the member reads; migration 0010 froze it for old entries).
SENSITIVE = ("residence", "ethnicity", "religion", "citizen_id", "phone")
# A member's rating: the band is shown to every reader; the score, the comment and the sick leave only with pii.
RATING_PERSONAL = ("score", "comment", "sick_leave_months")
HIDDEN = "redacted"


def unchanged(tx: Tx) -> None:
    """Declare that this transaction writes nothing (a preview, or a request that found nothing to change): it is
    rolled back, never committed, and needs no audit entry."""
    tx.unchanged = True


_NOISE = {"updated_at", "version"}


def changed(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Only the fields that differ (plus `id`), so a reader sees the change, not two copies of the record."""
    if before is None or after is None:
        return before, after
    keys = [k for k in after if k not in _NOISE and before.get(k) != after.get(k)]
    return (
        {"id": before.get("id"), **{k: before.get(k) for k in keys}},
        {"id": after.get("id"), **{k: after.get(k) for k in keys}},
    )


async def record(
    tx: Tx,
    actor: Actor,
    *,
    action: str,
    entity: str,
    entity_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    diff: bool = True,
    related_organization_id: uuid.UUID | None = None,
) -> None:
    if diff:
        before, after = changed(before, after)
    caller = actor.caller
    await db.insert_entry(
        tx.conn,
        actor_kind=caller.kind,
        actor_id=caller.id,
        actor_name=caller.name,
        request_id=actor.request_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        organization_id=organization_id,
        related_organization_id=related_organization_id,
        before=_json(before),
        after=_json(after),
        redact=SENSITIVE if entity == "member" else (),
    )
    tx.audited = True


# What the log is filtered by (entity, entity id, actor, since, until): the same for its pages and its export.
AuditFilters = db.AuditQuery


def _json(value: dict[str, Any] | None) -> Any:
    # Through orjson and back: UUIDs, dates and datetimes become the strings the API shows.
    return orjson.loads(orjson.dumps(value, default=str)) if value is not None else None


async def record_sensitive_read(
    conn: Querier, caller: Caller, *, request_id: str | None, entity: str, ids: Sequence[uuid.UUID]
) -> None:
    """Every read of sensitive fields by a person (a JWT subject) is recorded: who read whose record, when.
    Systems (API keys) read in bulk under their own accountability and are not logged per read."""
    if ids:
        await _record_read(conn, caller, request_id=request_id, entity=entity, ids=list(dict.fromkeys(ids)))


async def record_sensitive_export(
    conn: Querier, caller: Caller, *, request_id: str | None, entity: str, details: dict[str, object]
) -> None:
    """A person's export with sensitive columns is one sensitive read of the whole file: one entry saying what was
    exported and how many records (`details`), not one per row."""
    await _record_read(conn, caller, request_id=request_id, entity=entity, ids=[], details=details)


async def _record_read(
    conn: Querier,
    caller: Caller,
    *,
    request_id: str | None,
    entity: str,
    ids: list[uuid.UUID],
    details: dict[str, object] | None = None,
) -> None:
    if caller.kind != "jwt" or not caller.pii:
        return
    await db.insert_read(
        conn,
        actor_kind=caller.kind,
        actor_id=caller.id,
        actor_name=caller.name,
        request_id=request_id,
        entity=entity,
        entity_ids=ids,
        details=details,
    )


# --- reading the log ---------------------------------------------------------------------------------------------


def _uuids(value: Any) -> Iterator[uuid.UUID]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _uuids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _uuids(item)
    elif isinstance(value, str) and len(value) == 36:
        try:
            yield uuid.UUID(value)
        except ValueError:
            return


class _View:
    """Rewrites one entry for one reader, noting each path it hid."""

    def __init__(self, *, pii: bool, foreign: set[str]) -> None:
        self.pii = pii
        self.foreign = foreign
        self.hidden: list[str] = []

    def value(self, path: str, key: str, value: Any, *, personal: Sequence[str]) -> Any:
        if key in personal and value is not None and not self.pii:
            self.hidden.append(path)
            return HIDDEN if isinstance(value, str) and value.startswith("redacted:") else None
        if isinstance(value, dict):
            return {k: self.value(f"{path}.{k}", k, v, personal=personal) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(f"{path}[{i}]", key, v, personal=personal) for i, v in enumerate(value)]
        if isinstance(value, str) and value in self.foreign:
            self.hidden.append(path)
            return None
        return value


def _personal(entry: dict[str, Any]) -> Sequence[str]:
    if entry["entity"] == "member":
        return SENSITIVE
    if entry["entity"] == "rating" and _is_member_rating(entry):
        return RATING_PERSONAL
    return ()


def _is_member_rating(entry: dict[str, Any]) -> bool:
    return (
        any(isinstance(doc, dict) and doc.get("member_id") for doc in (entry["before"], entry["after"]))
        or entry["action"] == "replace"
    )


async def shown_entries(
    conn: Querier, docs: Sequence[str], *, caller: Caller, scope: Scope
) -> tuple[list[dict[str, Any]], list[uuid.UUID]]:
    """Entries of the log (their JSON text) as this caller may see them (module docstring), and the members whose
    sensitive fields were shown (for the caller's sensitive read). The page and the export show them through this."""
    entries = [orjson.loads(doc) for doc in docs]
    foreign: set[str] = set()
    if not scope.whole_tree:
        mentioned = {u for e in entries for doc in (e["before"], e["after"]) for u in _uuids(doc)}
        mentioned |= {
            uuid.UUID(e[k]) for e in entries for k in ("organization_id", "related_organization_id") if e[k] is not None
        }
        foreign = {str(u) for u in await db.units_outside_scope(conn, scope, mentioned)}
    sensitive_ids = []
    for entry in entries:
        # The entry's own subject stays named: a unit or member that left is still the one that left.
        view = _View(pii=caller.pii, foreign=foreign - {entry["entity_id"]})
        personal = _personal(entry)
        entry["before"] = view.value("before", "before", entry["before"], personal=personal)
        entry["after"] = view.value("after", "after", entry["after"], personal=personal)
        for key in ("organization_id", "related_organization_id"):
            if entry[key] is not None and entry[key] in view.foreign:
                entry[key] = None
                view.hidden.append(key)
        entry["redacted"] = view.hidden
        if (
            caller.pii
            and entry["entity"] == "member"
            and entry["entity_id"]
            and any(
                isinstance(doc, dict) and any(k in doc for k in SENSITIVE) for doc in (entry["before"], entry["after"])
            )
        ):
            sensitive_ids.append(uuid.UUID(entry["entity_id"]))
    return entries, sensitive_ids


async def read_entries(
    conn: Querier,
    *,
    caller: Caller,
    scope: Scope,
    request_id: str | None,
    query: AuditFilters,
    paging: Paging,
) -> Page[bytes]:
    """A page of the log, newest first, as this caller may see it (module docstring)."""
    after = paging.after("audit")
    rows = await db.list_entries(
        conn, query, scope=scope, before_id=int(after["b"]) if after else None, limit=paging.fetch
    )
    page = paging.page(rows, kind="audit", position=lambda r: {"b": r["id"]})
    entries, sensitive_ids = await shown_entries(conn, [r["doc"] for r in page.items], caller=caller, scope=scope)
    items = [orjson.dumps(entry) for entry in entries]
    await record_sensitive_read(conn, caller, request_id=request_id, entity="member", ids=sensitive_ids)
    return Page(items=items, next_cursor=page.next_cursor)
