"""What an export is (a file name, a media type, a body that reads and writes as it is sent) and how it is named:
`<what>_<place>_<day>.<format>`, the place being the unit asked for (`within`, `organization_id`), else the
caller's scope (its root's code), else `all`."""

import re
import unicodedata
import uuid
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import date

from app.db.organizations.exports import code_of
from app.db.scope import Scope
from app.db.sql import Querier


@dataclass(frozen=True)
class Export:
    filename: str
    media_type: str
    body: AsyncGenerator[bytes]


def file_name(what: str, place: str, day: date, extension: str) -> str:
    return f"{what}_{place}_{day.isoformat()}.{extension}"


async def place_name(conn: Querier, *, scope: Scope, unit: uuid.UUID | None) -> str:
    """The code of the unit asked for, or of the scope's one root, made safe for a file name (a code such as
    "86-KH/TU" must not make a path of it)."""
    if unit is None and scope.roots is not None and len(scope.roots) == 1:
        unit = scope.roots[0]
    code = await code_of(conn, unit) if unit is not None else None
    if code is None:
        return "all" if unit is None else str(unit)
    return safe_name(code) or str(unit)


def safe_name(code: str) -> str:
    """A code as a part of a file name: without accents (Đ as D), then letters, digits, `.` and `-` only."""
    plain = unicodedata.normalize("NFD", code.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9.-]+", "-", plain).strip("-.")
