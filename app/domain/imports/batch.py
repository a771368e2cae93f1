"""The set-based path of the member import: a batch of rows decided with a few queries and written with COPY, with
exactly the outcome of the per-row path (member_rows.py), which stays its oracle and its fallback.

1. Per row, in Python: the cell errors, the organisation (codes resolved for the batch at once), the API's models.
2. For the batch: the records the rows name (by id, citizen ID, external id), locked, and their stored fields; the
   facts of each registration (home cell, duplicates, external ids taken; the name and birth date locks taken in
   key order). The rules are those of the single-record functions (registration.plan_registration,
   member_rows.changes_of, member_rows.chosen_match): one source.
3. The order of the file matters only where rows share a key (a citizen ID, a name and birth date, an external
   id, a record): a row that shares one with an earlier row that writes runs after the batch, through the per-row
   path in its savepoint, as does a row that corrects a record (an update), one with sponsors, or one whose record
   no read shows. Every such row then meets the database as the per-row path would have left it.
4. The registrations decided here are written set-wise (records, periods, events, external ids by COPY, audit
   entries by one INSERT … SELECT); if the database refuses them (a
   write of another transaction at the same moment), they are rolled back and run one by one."""

import logging
import uuid
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date

from app.db.members import bulk
from app.db.members import reads as member_reads
from app.db.members import writes as member_writes
from app.db.scope import Scope, outside_scope
from app.domain.access.callers import Actor
from app.domain.audit.service import SENSITIVE
from app.domain.errors import DomainError
from app.domain.imports import columns
from app.domain.imports.member_rows import (
    Options,
    changes_of,
    chosen_match,
    problems_of,
    record_values,
    run_one,
    said,
)
from app.domain.imports.report import Report, RowError
from app.domain.imports.rows import ROW_DATABASE_ERRORS, Checked, Outcome, Problem, RowChecker, RowFailed
from app.domain.members import records, registration
from app.domain.organizations import tree
from app.domain.tx import Tx

log = logging.getLogger("coso.imports")
Result = tuple[Outcome | None, list[RowError]]  # an outcome, or None and the row's errors


@dataclass
class _Row:
    """A row past its own checks: what it says and what the batch found of it."""

    index: int
    row: columns.MemberRow
    checked: Checked
    target: uuid.UUID | None = None
    keys: tuple[Hashable, ...] = ()


async def run_rows(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    rows: list[columns.MemberRow],
    check: RowChecker,
    options: Options,
    report: Report,
) -> None:
    results: dict[int, Result] = {}
    passed = await _own_checks(tx, scope, rows, check, results)
    # What the database says of a row (its match, its record) holds only if no earlier row writes a key it has:
    # those decisions wait for the walk in file order below.
    provisional: dict[int, Result] = {}
    await _match(tx, scope, passed, provisional)
    stored = await _stored(tx, scope, [p for p in passed if p.index not in provisional and p.target], provisional)
    creating = [p for p in passed if p.index not in provisional and p.target is None]
    facts = await _facts(tx, scope, creating)
    named = [p for p in passed if "full_name" in p.checked.values and "birth_date" in p.checked.values]
    names = await _folded(tx, [p.checked.values["full_name"] for p in named])
    folded = dict(zip((p.index for p in named), names, strict=True))
    for p in passed:
        given = p.checked.values
        p.keys = (
            *((("cid", given["citizen_id"]),) if given.get("citizen_id") else ()),
            *((("name", folded[p.index], given["birth_date"]),) if p.index in folded else ()),
            *(("ext", e) for e in given.get("external_ids", [])),
            *((("member", p.target),) if p.target is not None else ()),
        )
    later: list[_Row] = []
    planned: list[tuple[_Row, registration.Registration]] = []
    writers: set[Hashable] = set()
    unplanned = {p.index for p in creating if not p.checked.missing and p.index not in facts}  # sponsors
    for p in passed:
        if writers.intersection(p.keys) or p.index in unplanned or p.index in stored:
            later.append(p)
            writers.update(p.keys)
            writers.update(stored.get(p.index, ()))
            continue
        if p.index in provisional:  # failed, or unchanged: writes nothing
            results[p.index] = provisional[p.index]
            continue
        try:
            if p.checked.missing:
                raise RowFailed(p.checked.missing)
            planned.append((p, _plan(p, facts[p.index], actor, options)))
            writers.update(p.keys)
        except (RowFailed, DomainError) as failure:
            results[p.index] = (None, [said(p.row, f) for f in problems_of(failure)])
    later += await _write(tx, actor, planned, results)
    log.debug("import batch: %d rows set-wise, %d one by one", len(rows) - len(later), len(later))
    for p in sorted(later, key=lambda p: p.index):
        results[p.index] = await run_one(tx, actor=actor, scope=scope, row=p.row, check=check, options=options)
    for index in range(len(rows)):
        outcome, errors = results[index]
        report.counts.rows += 1
        report.errors += errors
        if outcome is None:
            report.counts.failed += 1
        else:
            setattr(report.counts, outcome, getattr(report.counts, outcome) + 1)


async def _own_checks(
    tx: Tx, scope: Scope, rows: list[columns.MemberRow], check: RowChecker, results: dict[int, Result]
) -> list[_Row]:
    """Cell errors, the organisation (id or code, resolved in scope for the batch at once) and the API's models,
    in the order rows._write applies them."""
    given = {str(r) for row in rows if (r := row.values.get("organization")) is not None}
    as_ids = {ref: _uuid(ref) for ref in given}  # a reference is an id or a code (tree.id_of)
    codes = sorted(ref for ref, as_id in as_ids.items() if as_id is None)
    ids = await bulk.ids_of_codes(tx.conn, codes) if codes else {}
    outside = await outside_scope(tx.conn, scope, sorted(set(ids.values()))) if ids else set()
    passed: list[_Row] = []
    for index, row in enumerate(rows):
        if row.errors:
            results[index] = (None, [said(row, (e.field, e.rule, e.message), raw=True) for e in row.errors])
            continue
        values = dict(row.values)
        problems: list[Problem] = []
        member_id: uuid.UUID | None = values.pop("id", None)
        reference = values.pop("organization", None)
        if reference is not None:
            ref = str(reference)
            found = as_ids[ref] or ids.get(ref)
            if found is None or (as_ids[ref] is None and found in outside):
                missing = tree.unknown_code(ref)
                problems.append(("organization", missing.code, missing.detail))
            else:
                values["organization_id"] = found
        checked = check(values)
        problems += checked.errors
        if problems:
            results[index] = (None, [said(row, p) for p in problems])
            continue
        passed.append(_Row(index=index, row=row, checked=checked, target=member_id))
    return passed


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


async def _match(tx: Tx, scope: Scope, passed: list[_Row], results: dict[int, Result]) -> None:
    """rows._match for the batch: the record a row's citizen ID or external ids name, among those in scope."""
    keyed = [p for p in passed if p.target is None]
    cids = sorted({c for p in keyed if (c := p.checked.values.get("citizen_id"))})
    externals = sorted({e for p in keyed for e in p.checked.values.get("external_ids", [])})
    holders, owners = await bulk.keyed_members(tx.conn, cids, externals)
    found: dict[int, list[tuple[uuid.UUID, str]]] = {}
    for p in keyed:
        given = p.checked.values
        found[p.index] = [(m, "citizen_id") for m in holders.get(given.get("citizen_id") or "", [])]
        found[p.index] += [(owners[e], "external_ids") for e in given.get("external_ids", []) if e in owners]
    named = sorted({m for hits in found.values() for m, _ in hits})
    visible = await member_reads.members_in_scope(tx.conn, scope, named) if named else set()
    for p in keyed:
        try:
            p.target = chosen_match(found[p.index], visible) if found[p.index] else None
        except RowFailed as failure:
            results[p.index] = (None, [said(p.row, f) for f in failure.problems])


async def _stored(
    tx: Tx, scope: Scope, matched: list[_Row], results: dict[int, Result]
) -> dict[int, tuple[Hashable, ...]]:
    """rows._update for the batch: the records locked (in id order), missing or outside the scope = a row error;
    none to change = unchanged. The rows that change a record (and those whose record no read shows) are returned
    with the keys the record holds now, to run one by one."""
    targets = sorted({p.target for p in matched if p.target is not None})
    if not targets:
        return {}
    units = await bulk.lock_members(tx.conn, targets)
    outside = await outside_scope(tx.conn, scope, sorted(set(units.values())))
    docs = await bulk.full_records(tx.conn, [t for t in targets if t in units and units[t] not in outside])
    updates: dict[int, tuple[Hashable, ...]] = {}
    for p in matched:
        assert p.target is not None
        if p.target not in units or units[p.target] in outside:
            results[p.index] = (None, [said(p.row, f) for f in problems_of(records.missing_member(p.target))])
            continue
        stored = docs.get(p.target)
        if stored is None:
            updates[p.index] = ()
            continue
        try:
            changes = changes_of(p.target, p.checked.values, stored, p.row.columns)
        except RowFailed as failure:
            results[p.index] = (None, [said(p.row, f) for f in failure.problems])
            continue
        if not changes:
            results[p.index] = ("unchanged", [])
            continue
        # What the record holds now, and what it will hold: a later row that shares either must wait for it.
        given = p.checked.values
        born = date.fromisoformat(stored["birth_date"])
        names = await _folded(tx, [stored["full_name"], given.get("full_name", stored["full_name"])])
        updates[p.index] = (
            ("cid", stored.get("citizen_id")),
            ("name", names[0], born),
            ("name", names[1], given.get("birth_date", born)),
            *(("ext", e) for e in stored.get("external_ids") or []),
        )
    return updates


async def _folded(tx: Tx, names: list[str]) -> list[str]:
    return await bulk.folded(tx.conn, names) if names else []


async def _facts(tx: Tx, scope: Scope, creating: list[_Row]) -> dict[int, registration.Facts]:
    """registration_facts for every row that would register someone (those with sponsors are left to the per-row
    path); the name and birth date locks of all of them first, in key order."""
    rows = [p for p in creating if not p.checked.missing and not p.checked.values.get("sponsor_ids")]
    people = [
        bulk.Person(p.checked.values.get("citizen_id"), p.checked.values["full_name"], p.checked.values["birth_date"])
        for p in rows
    ]
    if people:
        await member_writes.lock_names_and_birth_dates(tx.conn, [(x.full_name, x.birth_date) for x in people])
    found = await bulk.duplicates(tx.conn, people) if people else []
    homes_wanted = sorted({p.checked.values["organization_id"] for p in rows})
    outside = await outside_scope(tx.conn, scope, homes_wanted) if homes_wanted else set()
    homes = await bulk.homes(tx.conn, [h for h in homes_wanted if h not in outside]) if homes_wanted else {}
    externals = sorted({e for p in rows for e in p.checked.values.get("external_ids", [])})
    owners = await member_writes.external_id_owners(tx.conn, externals)
    named = sorted({d[0] for hits in found for d in hits} | set(owners.values()))
    visible = await member_reads.members_in_scope(tx.conn, scope, named) if named else set()
    facts: dict[int, registration.Facts] = {}
    for p, duplicates in zip(rows, found, strict=True):
        home = p.checked.values["organization_id"]
        facts[p.index] = registration.Facts(
            home=homes.get(home),
            home_in_scope=home not in outside,
            duplicates=duplicates,
            external_owners={e: owners[e] for e in p.checked.values.get("external_ids", []) if e in owners},
            visible=visible,
        )
    return facts


def _plan(p: _Row, facts: registration.Facts, actor: Actor, options: Options) -> registration.Registration:
    given = p.checked.values
    return registration.plan_registration(
        record_values(given),
        facts,
        pii=actor.caller.pii,
        external_ids=given.get("external_ids", []),
        allow_same_name=options.allow_same_name,
        since=given.get("since"),
        today=options.today,
        min_age=options.min_age,
        probation_months=options.probation_months,
    )


async def _write(
    tx: Tx, actor: Actor, planned: list[tuple[_Row, registration.Registration]], results: dict[int, Result]
) -> list[_Row]:
    """The registrations decided set-wise, written in one savepoint; refused by the database, they are rolled back
    and returned, to run one by one."""
    if not planned:
        return []
    new = [
        bulk.NewRecord(
            member_id=uuid.uuid4(),
            values=plan.values,
            external_ids=list(p.checked.values.get("external_ids", [])),
            periods=[
                (start, plan.periods[i + 1][0] if i + 1 < len(plan.periods) else None, status)
                for i, (start, status) in enumerate(plan.periods)
            ],
            event=(plan.event_kind, plan.event_date, p.checked.values.get("decision_ref"), {"since": plan.since}),
        )
        for p, plan in planned
    ]
    savepoint = tx.conn.transaction()
    await savepoint.start()
    try:
        await bulk.insert_records(tx.conn, new, recorded_by=actor.caller.id)
        await bulk.audit_creations(
            tx.conn,
            [r.member_id for r in new],
            actor_kind=actor.caller.kind,
            actor_id=actor.caller.id,
            actor_name=actor.caller.name,
            request_id=actor.request_id,
            redact=SENSITIVE,
        )
    except ROW_DATABASE_ERRORS as refused:
        await savepoint.rollback()
        log.warning(
            "import batch: %d registrations refused set-wise (%s), run one by one", len(new), type(refused).__name__
        )
        return [p for p, _ in planned]
    await savepoint.commit()
    tx.audited = True
    for p, _ in planned:
        results[p.index] = ("created", [])
    return []
