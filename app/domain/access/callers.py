"""Who calls and what they may do: roles, permissions, scopes (subtrees of the tree), API keys and JWTs."""

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from app.db.scope import WHOLE_TREE as WHOLE_TREE
from app.db.scope import Scope as Scope
from app.domain.errors import DomainError


class Role(StrEnum):
    viewer = "viewer"
    editor = "editor"
    admin = "admin"
    auditor = "auditor"


class Permission(StrEnum):
    read = "read"
    write = "write"
    reorganize = "reorganize"
    manage_keys = "manage_keys"
    read_audit = "read_audit"


PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.viewer: frozenset({Permission.read}),
    Role.editor: frozenset({Permission.read, Permission.write}),
    Role.admin: frozenset(Permission),
    Role.auditor: frozenset({Permission.read, Permission.read_audit}),
}


class Unauthenticated(DomainError):
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(DomainError):
    code = "forbidden"
    title = "Not allowed"


@dataclass(frozen=True)
class Caller:
    """An authenticated caller. `scopes` are the roots of the subtrees it covers; empty = the whole tree."""

    kind: Literal["key", "jwt", "system"]
    id: str
    name: str
    role: Role
    scopes: tuple[uuid.UUID, ...] = ()
    pii: bool = False

    @property
    def whole_tree(self) -> bool:
        return not self.scopes

    def can(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(
                f"The role {self.role.value} may not {permission.value.replace('_', ' ')}; ask an "
                "administrator for a key or token with the right role.",
                code="forbidden",
            )


@dataclass(frozen=True)
class Actor:
    """Who is doing a write, for the audit log."""

    caller: Caller
    request_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


SYSTEM = Caller(kind="system", id="system", name="coso", role=Role.admin)

# --- API keys: "coso_<key_id>_<secret>"; key_id finds the row, only sha256(secret) is stored ---------------------

KEY_PREFIX = "coso"
_DUMMY_HASH = hashlib.sha256(b"no such key").digest()


@dataclass(frozen=True)
class NewKey:
    key_id: str
    secret_hash: bytes
    token: str


def generate_key() -> NewKey:
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewKey(key_id=key_id, secret_hash=hash_secret(secret), token=f"{KEY_PREFIX}_{key_id}_{secret}")


def hash_secret(secret: str) -> bytes:
    # The secret is 256 random bits: a fast hash is enough (no dictionary to guard against), and cheap per request.
    return hashlib.sha256(secret.encode()).digest()


def split_key(token: str) -> tuple[str, str] | None:
    prefix, _, rest = token.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != KEY_PREFIX or len(key_id) != 12 or not secret:
        return None
    return key_id, secret


def secret_matches(secret: str, stored_hash: bytes | None) -> bool:
    """Constant time, and the same work whether or not the key exists."""
    return hmac.compare_digest(hash_secret(secret), stored_hash or _DUMMY_HASH) and stored_hash is not None


def parse_scopes(values: Sequence[Any]) -> tuple[uuid.UUID, ...]:
    try:
        return tuple(sorted({uuid.UUID(str(v)) for v in values}))
    except ValueError as exc:
        raise Unauthenticated("The token's scopes must be organisation ids (UUIDs).") from exc
