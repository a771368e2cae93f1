"""Query parameters that name an organisation take its id or its code (`within=DBK` like `within=<uuid>`): one
dependency per parameter resolves either to the id before the route runs, so every operation treats them alike."""

import uuid
from typing import Annotated, Any

from fastapi import Depends, Query

from app.api.auth import ReaderDep
from app.domain.organizations import tree


def _describe(description: str) -> str:
    return f"{description}: the unit's id or its code"


def optional_organization(name: str, description: str) -> Any:
    """`name`=<id or code>, optional: the id, or None when absent."""

    async def resolve(
        reader: ReaderDep,
        value: Annotated[
            str | None, Query(alias=name, min_length=1, max_length=200, description=_describe(description))
        ] = None,
    ) -> uuid.UUID | None:
        return None if value is None else await tree.id_of(reader.pool, value, scope=reader.scope)

    return Depends(resolve)


def required_organization(name: str, description: str) -> Any:
    """`name`=<id or code>, required: the id."""

    async def resolve(
        reader: ReaderDep,
        value: Annotated[str, Query(alias=name, min_length=1, max_length=200, description=_describe(description))],
    ) -> uuid.UUID:
        return await tree.id_of(reader.pool, value, scope=reader.scope)

    return Depends(resolve)
