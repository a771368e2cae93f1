"""POST /members/import: answered at once, or run as a background job. A job when the caller asks for one
(`Prefer: respond-async`), when the body is larger than COSO_IMPORT_SYNC_MAX_BYTES, or when the file has more rows
than COSO_IMPORT_SYNC_MAX_ROWS. The body is read up to the first threshold only: a larger upload goes on into the
job's chunks as it arrives, never whole in memory."""

from collections.abc import AsyncIterator

from app.db.scope import Scope
from app.domain.access.callers import Actor
from app.domain.imports import files, members
from app.domain.jobs import service
from app.domain.tx import Tx


async def import_members(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    body: AsyncIterator[bytes],
    content_type: str | None,
    respond_async: bool,
    check: members.RowChecker,
    options: members.Options,
    sync_max_rows: int,
    sync_max_bytes: int,
    annotate: bool,
    file_name: str | None,
) -> members.Imported | service.Submitted:
    media = files.media_type(content_type)  # 415 before anything is read or stored
    head = bytearray()
    larger = False
    async for piece in body:
        head += piece
        if len(head) > sync_max_bytes:
            larger = True
            break
    if media == files.OCTET:
        media = files.sniffed(bytes(head))
    if not (respond_async or larger):
        try:
            return await members.import_file(
                tx,
                actor=actor,
                scope=scope,
                data=bytes(head),
                content_type=media,
                check=check,
                options=options,
                max_rows=sync_max_rows,
                annotate=annotate,
            )
        except files.TooLarge:
            pass  # more rows than an answer at once takes: nothing was written yet, it becomes a job
    return await service.submit(
        tx, actor=actor, media=media, head=bytes(head), rest=body, options=options, file_name=file_name
    )
