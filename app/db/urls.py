"""Connection strings: one setting, two drivers (asyncpg directly and SQLAlchemy's asyncpg dialect)."""

import re

_SCHEME = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://")


def asyncpg_dsn(url: str) -> str:
    """`postgresql+asyncpg://…` or `postgres://…` → `postgresql://…` as asyncpg expects."""
    return _SCHEME.sub("postgresql://", url, count=1)


def sqlalchemy_url(url: str) -> str:
    return _SCHEME.sub("postgresql+asyncpg://", url, count=1)
