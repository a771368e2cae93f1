"""Shared request/response building blocks: NFC-normalised text, dates within the configured range, raw JSON
responses."""

import re
import unicodedata
from collections.abc import Sequence
from contextvars import ContextVar
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

import orjson
from fastapi import Depends, Header, Request
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Strict,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from starlette.responses import Response

from app.domain.errors import PreconditionRequired
from app.domain.pagination import Page
from app.domain.results import Document

# The dates a request may name (COSO_EARLIEST_DATE, COSO_LATEST_DATE), set for each request by the request-context
# middleware from the app's settings; the defaults hold outside a request (a test building a model).
DATE_RANGE: ContextVar[tuple[date, date]] = ContextVar("date_range", default=(date(1900, 1, 1), date(2100, 12, 31)))


def nfc(value: str) -> str:
    """Vietnamese arrives both precomposed and decomposed (and with stray spaces): store one form."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def _not_empty(value: str) -> str:
    if not value:
        raise ValueError("must not be empty or only spaces")
    return value


def _not_blank(value: str) -> str:
    _not_empty(value)
    if not any(unicodedata.category(c)[0] in "LN" for c in value):
        # "…", "-", "???": a placeholder left in a form, not a name
        raise ValueError("must contain a letter or a digit (a placeholder such as '…' is not a name)")
    return value


NfcStr = Annotated[str, AfterValidator(nfc)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=300), AfterValidator(nfc), AfterValidator(_not_blank)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$"), AfterValidator(nfc)]
ExternalId = Annotated[str, StringConstraints(min_length=3, max_length=200, pattern=r"^[^:\s]+:\S+$")]
DecisionRef = Annotated[str, StringConstraints(max_length=200), AfterValidator(nfc)]
# Numbers and booleans in a JSON body are what they say: `false` is not 0, "5" is not 5 (query parameters, which
# arrive as text, are converted as usual).
Int = Annotated[int, Strict()]
Bool = Annotated[bool, Strict()]


def _nfc_only(value: str) -> str:
    return unicodedata.normalize("NFC", value)


# Free text (notes, comments, conclusions): one Unicode form, line breaks kept.
Note = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_nfc_only)]
LongText = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(_nfc_only)]
# What is searched for may be anything but blank ("_" and "100%" are searched literally).
SearchText = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(nfc), AfterValidator(_not_empty)
]

_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_ISO_DATETIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)


def _iso_date(value: Any) -> Any:
    """Dates are written YYYY-MM-DD: a number (read as seconds since 1970 by the parser) or any other shape is
    refused rather than guessed."""
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError("a date is written YYYY-MM-DD, e.g. 2025-07-01")
    if not isinstance(value, str | date) or isinstance(value, datetime):
        raise ValueError("a date is written YYYY-MM-DD, e.g. 2025-07-01")
    return value


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, str) and not _ISO_DATETIME.match(value):
        raise ValueError("a time is written in ISO 8601, e.g. 2025-07-01T08:00:00+07:00")
    if not isinstance(value, str | datetime):
        raise ValueError("a time is written in ISO 8601, e.g. 2025-07-01T08:00:00+07:00")
    return value


def _in_range(value: date) -> date:
    earliest, latest = DATE_RANGE.get()
    if not earliest <= value <= latest:
        raise ValueError(f"must lie between {earliest.isoformat()} and {latest.isoformat()}")
    return value


def _moment_in_range(value: datetime) -> datetime:
    _in_range(value.date())
    return value


Day = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_in_range)]
Moment = Annotated[datetime, BeforeValidator(_iso_datetime), AfterValidator(_moment_in_range)]


def _with_zone(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("an instant needs its time zone (RFC 3339), e.g. 2026-12-01T08:00:00+07:00 or …Z")
    return value


# An instant (RFC 3339): a time without its zone names no instant, and is refused rather than guessed.
Instant = Annotated[
    datetime, BeforeValidator(_iso_datetime), AfterValidator(_with_zone), AfterValidator(_moment_in_range)
]


def _year_in_range(value: str) -> str:
    earliest, latest = DATE_RANGE.get()
    if not earliest.year <= int(value[:4]) <= latest.year:
        raise ValueError(f"the year must lie between {earliest.year} and {latest.year}")
    return value


# A year (2024), a quarter (2024Q2, the spelling of the indicators) or a term (nhiệm kỳ 2020-2025).
PERIOD_PATTERN = r"^[0-9]{4}(Q[1-4]|-[0-9]{4})?$"
_PERIOD = re.compile(PERIOD_PATTERN)
_OTHER_QUARTER = re.compile(r"^([0-9]{4})[- /]?[Qq]([1-4])$|^[Qq]([1-4])[- /]?([0-9]{4})$")


def _period_spelling(value: str) -> str:
    if _PERIOD.match(value):
        return value
    other = _OTHER_QUARTER.match(value.strip())
    hint = f" ({value!r} is written {(other[1] or other[4])}Q{other[2] or other[3]})" if other else ""
    raise ValueError(f"a period is a year (2024), a quarter (2024Q2) or a term (2020-2025){hint}")


Period = Annotated[
    str,
    AfterValidator(_period_spelling),
    AfterValidator(_year_in_range),
    WithJsonSchema({"type": "string", "pattern": PERIOD_PATTERN, "examples": ["2024", "2024Q2", "2020-2025"]}),
]


def _no_null_in_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    for name in getattr(model, "not_null", ()):
        prop = schema.get("properties", {}).get(name, {})
        options = [o for o in prop.get("anyOf", ()) if o != {"type": "null"}]
        if "anyOf" in prop and len(options) == 1:
            del prop["anyOf"]
            prop.update(options[0])
        elif "anyOf" in prop:
            prop["anyOf"] = options


class PatchBody(BaseModel):
    """A PATCH body: a field left out keeps its value; `null` clears a field that may be empty and is refused
    (422 naming the field) for one that may not, listed in `not_null`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_no_null_in_schema)
    not_null: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name in cls.not_null:
            raise ValueError("may not be null: leave the field out to keep its value")
        return value


def dump(value: object) -> bytes:
    """JSON of Python values (asyncpg's own UUID type, dates and Decimals become their text)."""
    return orjson.dumps(value, default=str)


def json_response(body: bytes, *, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)


def document_response(doc: Document, *, status_code: int = 200, location: str | None = None) -> Response:
    """One resource, with its version as the ETag (and where it lives, when it was just created)."""
    headers = {"ETag": f'"{doc.version}"'}
    if location is not None:
        headers["Location"] = location
    return Response(doc.json.encode(), status_code=status_code, media_type="application/json", headers=headers)


def versioned_response(
    value: dict[str, Any], *, status_code: int = 200, headers: dict[str, str] | None = None, day: date | None = None
) -> Response:
    """A resource built in Python, with its `version` as the ETag (and `day`, for one whose view depends on the
    day it is read: a task's obligations)."""
    tag = f'"{value["version"]}@{day.isoformat()}"' if day is not None else f'"{value["version"]}"'
    return json_response(dump(value), status_code=status_code, headers={"ETag": tag, **(headers or {})})


def tagged(response: Response, value: dict[str, Any]) -> dict[str, Any]:
    """A resource FastAPI serialises through its response_model, with its `version` as the ETag (set on the
    `response` FastAPI hands the endpoint)."""
    response.headers["ETag"] = f'"{value["version"]}"'
    return value


NO_VERSION = -1  # what an If-Match naming no version of ours asks for: it never matches (412), as RFC 9110 says
_TAG_VERSION = re.compile(r"^([0-9]{1,9})(?:-p)?(?:@[0-9-]{10})?$")


def if_match_version(if_match: str | None) -> int | None:
    """The version an If-Match header names (the tag a GET gave: "3", "3-p", "3@2024-01-01", also W/"3"; the first
    of a list), None for none or `*` (any version), or NO_VERSION for a value that names none of ours ("abc"),
    which the write refuses as stale. Only the version counts: a write is to the record, whichever view of it
    (with or without personal data, on which structure date) the caller read."""
    if if_match is None:
        return None
    tags = [tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")]
    if "*" in tags:
        return None
    versions = [int(found[1]) for tag in tags if (found := _TAG_VERSION.match(tag))]
    return versions[0] if versions else NO_VERSION


IF_MATCH_REQUIRED = (
    "This service requires If-Match on every change to an existing record (COSO_REQUIRE_IF_MATCH): GET the "
    'resource, and send its ETag (e.g. If-Match: "3") with the change; `If-Match: *` changes whatever version is '
    "current."
)


async def _expected_version(
    request: Request,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='The ETag you read, e.g. "3": the change is refused (412 version_mismatch) if the record '
            "changed since; without it (or with `*`), any version is changed, unless the service requires it "
            "(428 precondition_required)",
        ),
    ] = None,
) -> int | None:
    if if_match is None and request.app.state.settings.require_if_match:
        raise PreconditionRequired(IF_MATCH_REQUIRED)
    return if_match_version(if_match)


# The version a change to an existing record expects, from its If-Match header (None: any).
ExpectedVersion = Annotated[int | None, Depends(_expected_version)]


def _joined(items: Sequence[str | bytes]) -> bytes:
    return b",".join(i.encode() if isinstance(i, str) else i for i in items)


def page_response(page: Page[str] | Page[bytes]) -> Response:
    """`{"items": [...], "next_cursor": ...}` from items already rendered as JSON: no re-encoding."""
    body = b'{"items":[' + _joined(page.items) + b'],"next_cursor":' + orjson.dumps(page.next_cursor) + b"}"
    return json_response(body)


def items_response(items: Sequence[str]) -> Response:
    return json_response(b'{"items":[' + _joined(items) + b'],"next_cursor":null}')
