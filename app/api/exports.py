"""A list as a file: `format=csv|xlsx|ndjson` (or an `Accept` naming one of their media types) turns a JSON list
endpoint into a streamed download of its whole result (no pages: `limit` and `cursor` are refused with such a
format, since a file that silently stopped at a page would be wrong data)."""

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, cast

import anyio
from fastapi import Depends, Query, Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Send

from app.api.deps import Today
from app.api.problems import problem
from app.api.request_context import current_request_id
from app.api.responses import problems
from app.domain.errors import RuleViolation
from app.domain.exports.files import Export, Wanted
from app.domain.exports.writers import CSV, MEDIA, NDJSON, XLSX, Format

FormatParam = Annotated[
    Literal["json", "csv", "xlsx", "ndjson"] | None,
    Query(
        alias="format",
        description="`csv` (UTF-8 with BOM), `xlsx` or `ndjson`: the whole result as a file, streamed (no paging; "
        "`limit` and `cursor` are refused). Default: JSON, or the format the `Accept` header names",
    ),
]
HeadersParam = Annotated[
    Literal["vi", "en"],
    Query(
        description="Of a CSV or XLSX file: `vi`, the Vietnamese headers and labels an office reads, or `en`, the "
        "API's field names and codes (NDJSON always has these)"
    ),
]
_BY_MEDIA: dict[str, Format] = {media: fmt for fmt, media in MEDIA.items()}


def file_format(request: Request, asked: str | None) -> Format | None:
    """The file format asked for (`format=` first, then `Accept`), or None for the JSON page."""
    chosen: Format | None = None
    if asked is not None:
        chosen = None if asked == "json" else cast(Format, asked)
    else:
        for part in request.headers.get("accept", "").split(","):
            media = part.split(";")[0].strip().lower()
            if media in ("application/json", "*/*", "application/*"):
                break
            if media in _BY_MEDIA:
                chosen = _BY_MEDIA[media]
                break
    if chosen is not None:
        paged = [name for name in ("limit", "cursor") if name in request.query_params]
        if paged:
            many = len(paged) > 1
            raise RuleViolation(
                f"A file export holds the whole result, unpaged: {' and '.join(f'`{p}`' for p in paged)} "
                f"{'are' if many else 'is'} for the JSON list only. Remove {'them' if many else 'it'}, "
                "or ask for JSON.",
                code="export_not_paged",
            )
    return chosen


class ExportSlots:
    """At most `limit` exports of this process are sent at once (COSO_EXPORT_MAX_CONCURRENT): each holds a pooled
    connection and a snapshot for as long as its client reads, so unbounded exports would starve the JSON reads of
    the pool. One more is refused at once (429 with Retry-After) rather than queued behind a download of minutes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.taken = 0

    def take(self) -> bool:
        if self.taken >= self.limit:
            return False
        self.taken += 1
        return True

    def give(self) -> None:
        self.taken -= 1


RETRY_AFTER_SECONDS = 10


class ExportResponse(StreamingResponse):
    """Streamed as it is written (chunked: no Content-Length). However the sending ends (the last chunk, a client
    gone mid-file, an error), the body is closed at once: its snapshot's connection goes back to the pool now, not
    whenever the garbage collector finalises the generator."""

    def __init__(self, body: AsyncGenerator[bytes], *, slots: ExportSlots, **kwargs: Any) -> None:
        super().__init__(body, **kwargs)
        self.generator = body
        self.slots = slots

    async def stream_response(self, send: Send) -> None:
        try:
            await super().stream_response(send)
        finally:
            self.slots.give()
            with anyio.CancelScope(shield=True):
                await self.generator.aclose()


async def file_response(request: Request, export: Export) -> Response:
    """The export, saved under its name; or, when this process already sends as many exports as it may, a 429."""
    slots: ExportSlots = request.app.state.export_slots
    if not slots.take():
        await export.body.aclose()
        return problem(
            429,
            f"This service is already sending {slots.limit} exports at once (COSO_EXPORT_MAX_CONCURRENT). "
            f"Retry in {RETRY_AFTER_SECONDS} seconds.",
            code="too_many_exports",
            instance=request.url.path,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    media = export.media_type + ("; charset=utf-8" if export.media_type == CSV else "")
    return ExportResponse(
        export.body,
        slots=slots,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


def file_responses(what: str) -> dict[int | str, dict[str, Any]]:
    """The 200 of a list that can be a file (JSON, the page, or the three file formats), and the 429 of one export
    too many."""
    return {
        **problems(429),
        200: {
            "description": f"A page of {what} (JSON), or with `format=` / `Accept:` the whole list as a file "
            "(`Content-Disposition: attachment`)",
            # NDJSON without a schema: it is lines of JSON, not one JSON document
            "content": {
                CSV: {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
                NDJSON: {},
            },
        },
    }


@dataclass(frozen=True)
class FileAsked:
    """A list route's export parameters, read once: `wanted` is None for the JSON page."""

    request: Request
    wanted: Wanted | None

    async def send(self, export: Export) -> Response:
        return await file_response(self.request, export)


async def file_asked(
    request: Request, today: Today, fmt: FormatParam = None, headers: HeadersParam = "vi"
) -> FileAsked:
    chosen = file_format(request, fmt)
    return FileAsked(request, None if chosen is None else Wanted(chosen, headers, today, current_request_id()))


FileDep = Annotated[FileAsked, Depends(file_asked)]
