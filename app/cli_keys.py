"""`coso keys …`: administer API keys from the command line (the way to get the first admin key)."""

import argparse
import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import asyncpg
import orjson

from app.db.urls import asyncpg_dsn
from app.domain.access.callers import WHOLE_TREE, Actor, Caller, Role
from app.domain.access.keys import (
    AccessCache,
    bootstrap_local_admin,
    create_key,
    find_key_uuid,
    find_organization_id,
    list_all_keys,
    public,
    revoke_key,
)
from app.domain.audit.service import unchanged
from app.domain.errors import DomainError
from app.domain.tx import Tx, transaction

T = TypeVar("T")

CLI = Caller(kind="system", id="cli", name="coso keys (command line)", role=Role.admin, pii=True)


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    keys = commands.add_parser("keys", help="create, list and revoke API keys")
    verbs = keys.add_subparsers(dest="verb", required=True)
    create = verbs.add_parser("create", help="create a key; prints it once, alone on the last line")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument(
        "--scope",
        action="append",
        default=[],
        metavar="ORG",
        help="an organisation id or code whose subtree the key covers (repeatable); none = the whole tree",
    )
    create.add_argument("--pii", action="store_true", help="may read sensitive personal data")
    create.add_argument(
        "--expires-at", type=datetime.fromisoformat, default=None, help="ISO date-time, e.g. 2027-01-01T00:00:00+07:00"
    )
    verbs.add_parser("list", help="list keys (never their secrets)")
    revoke = verbs.add_parser("revoke", help="revoke a key by its id or key_id")
    revoke.add_argument("key")


async def _in_transaction(url: str, work: Callable[[Tx], Awaitable[T]]) -> T:
    """Run `work` in one audited transaction on its own small pool."""
    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=1, max_size=1)
    try:
        async with transaction(pool) as tx:
            return await work(tx)
    finally:
        await pool.close()


async def _resolve_orgs(tx: Tx, refs: list[str]) -> list[uuid.UUID]:
    ids = []
    for ref in refs:
        found = await find_organization_id(tx.conn, ref)
        if found is None:
            raise SystemExit(f"coso keys: no organisation with id or code {ref!r}")
        ids.append(found)
    return ids


def run(args: argparse.Namespace, url: str) -> None:
    try:
        asyncio.run(_run(args, url))
    except DomainError as exc:
        raise SystemExit(f"coso keys: {exc.detail}") from exc


async def _run(args: argparse.Namespace, url: str) -> None:
    if args.verb == "create":

        async def work(tx: Tx) -> str:
            scopes = await _resolve_orgs(tx, args.scope)
            created = await create_key(
                tx,
                actor=Actor(caller=CLI),
                scope=WHOLE_TREE,
                name=args.name,
                role=Role(args.role),
                scopes=scopes,
                pii=args.pii,
                expires_at=args.expires_at,
            )
            covers = f"{len(scopes)} subtree(s)" if scopes else "the whole tree"
            print(
                f"created key {created.id}: {args.role}, {covers}{', pii' if args.pii else ''}. "
                "Copy it now: only its hash is stored."
            )
            return created.token

        token = await _in_transaction(url, work)
        print(token)
    elif args.verb == "list":

        async def listing(tx: Tx) -> None:
            for row in await list_all_keys(tx.conn):
                print(orjson.dumps(public(row), default=str).decode())
            unchanged(tx)

        await _in_transaction(url, listing)
    else:

        async def revoking(tx: Tx) -> None:
            key_uuid = await find_key_uuid(tx.conn, args.key)
            if key_uuid is None:
                raise SystemExit(f"coso keys: no key {args.key!r}")
            row = await revoke_key(
                tx, actor=Actor(caller=CLI), scope=WHOLE_TREE, key_uuid=key_uuid, cache=AccessCache(tx.conn, ttl=0)
            )
            print(f"revoked key {row.id} ({row.name})")

        await _in_transaction(url, revoking)


async def ensure_first_key(url: str, *, embedded: bool) -> str | None:
    """On an embedded database without keys: make a local admin key (returned, to be logged loudly)."""
    if not embedded:
        return None

    async def work(tx: Tx) -> str | None:
        token = await bootstrap_local_admin(tx.conn, tx)
        if token is None:
            unchanged(tx)
        return token

    return await _in_transaction(url, work)
