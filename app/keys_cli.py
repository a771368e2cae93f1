"""`coso keys …`: administer API keys from the command line (the way to get the first admin key)."""

import argparse
import asyncio
import uuid
from datetime import datetime

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.db.keys import list_keys
from app.db.organization_writes import driver_connection
from app.db.scope import WHOLE_TREE
from app.db.urls import sqlalchemy_url
from app.domain.access import Actor, Caller, Role
from app.domain.errors import DomainError
from app.domain.keys import AccessCache, bootstrap_local_admin, create_key, revoke_key

CLI = Caller(kind="system", id="cli", name="coso keys (command line)", role=Role.admin, pii=True)


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    keys = commands.add_parser("keys", help="create, list and revoke API keys")
    verbs = keys.add_subparsers(dest="verb", required=True)
    create = verbs.add_parser("create", help="create a key; prints it once, alone on the last line")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--scope", action="append", default=[], metavar="ORG",
                        help="an organisation id or code whose subtree the key covers (repeatable); "
                             "none = the whole tree")
    create.add_argument("--pii", action="store_true", help="may read sensitive personal data")
    create.add_argument("--expires-at", type=datetime.fromisoformat, default=None,
                        help="ISO date-time, e.g. 2027-01-01T00:00:00+07:00")
    verbs.add_parser("list", help="list keys (never their secrets)")
    revoke = verbs.add_parser("revoke", help="revoke a key by its id or key_id")
    revoke.add_argument("key")


async def _with_session(url: str, work: "object") -> object:
    engine = create_async_engine(sqlalchemy_url(url))
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            return await work(session)  # type: ignore[operator]
    finally:
        await engine.dispose()


async def _resolve_orgs(session: AsyncSession, refs: list[str]) -> list[uuid.UUID]:
    conn = await driver_connection(session)
    ids = []
    for ref in refs:
        found = await conn.fetchval("SELECT id FROM organizations WHERE id::text = $1 OR code = $1", ref)
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
        async def work(session: AsyncSession) -> str:
            scopes = await _resolve_orgs(session, args.scope)
            created = await create_key(session, actor=Actor(caller=CLI), scope=WHOLE_TREE, name=args.name,
                                       role=Role(args.role), scopes=scopes, pii=args.pii,
                                       expires_at=args.expires_at)
            covers = f"{len(scopes)} subtree(s)" if scopes else "the whole tree"
            print(f"created key {created.id}: {args.role}, {covers}{', pii' if args.pii else ''}. "
                  "Copy it now: only its hash is stored.")
            return created.token

        token = await _with_session(url, work)
        print(token)
    elif args.verb == "list":
        async def listing(session: AsyncSession) -> None:
            for row in await list_keys(await driver_connection(session), scope=WHOLE_TREE, after=None, limit=10_000):
                public = {k: v for k, v in row.__dict__.items() if k != "secret_hash"}
                print(orjson.dumps(public, default=str).decode())

        await _with_session(url, listing)
    else:
        async def revoking(session: AsyncSession) -> None:
            conn = await driver_connection(session)
            key_uuid = await conn.fetchval("SELECT id FROM api_keys WHERE id::text = $1 OR key_id = $1", args.key)
            if key_uuid is None:
                raise SystemExit(f"coso keys: no key {args.key!r}")
            cache = AccessCache(conn, ttl=0)
            row = await revoke_key(session, actor=Actor(caller=CLI), scope=WHOLE_TREE, key_uuid=key_uuid,
                                   cache=cache)
            print(f"revoked key {row.id} ({row.name})")

        await _with_session(url, revoking)


async def ensure_first_key(url: str, *, embedded: bool) -> str | None:
    """On an embedded database without keys: make a local admin key (returned, to be logged loudly)."""
    if not embedded:
        return None

    async def work(session: AsyncSession) -> str | None:
        return await bootstrap_local_admin(await driver_connection(session), session)

    token = await _with_session(url, work)
    return token if isinstance(token, str) else None
