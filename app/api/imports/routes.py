"""Imports: a file of records (CSV, XLSX, NDJSON) checked and written by the same code as the single-record API."""

import re
from typing import Annotated, Any, Literal

from fastapi import Header, Query, Request
from starlette.responses import Response

from app.api.auth import EditorDep, ReaderDep, api_router
from app.api.deps import SettingsDep, Today
from app.api.imports.checks import check_member_row
from app.api.imports.models import ImportReport
from app.api.jobs.models import JobRead
from app.api.responses import problems
from app.api.types import dump, json_response
from app.domain.imports import files, members, template
from app.domain.jobs import intake
from app.domain.jobs import service as jobs

router = api_router("/api/v1/members", "imports")
IMPORT_PATH = "/api/v1/members/import"  # the body limit of this path is COSO_IMPORT_JOB_MAX_BYTES (app/main.py)
_FILE_NAME = re.compile(r'filename="?([^";]{1,255})"?')

_FILE = {"schema": {"type": "string", "format": "binary"}}


def _example_csv() -> dict[str, Any]:
    return {
        "schema": {"type": "string", "format": "binary"},
        "example": "full_name,gender,birth_date,status,organization,admission_decision_date\n"
        "Nguyễn Văn An,Nam,15/03/1990,Đảng viên chính thức,CB-01,03/02/2015\n",
    }


@router.post(
    "/import",
    response_model=ImportReport,
    responses={
        200: {
            "description": "The report (JSON); with `answer=file`, the file as sent (same format) with a column "
            "`Lỗi` (NDJSON: `_errors`) holding each row's errors",
            # NDJSON without a schema: it is lines of JSON, not one JSON document
            "content": {files.CSV: {"schema": {"type": "string"}}, files.XLSX: _FILE, files.NDJSON: {}},
        },
        202: {
            "model": JobRead,
            "description": "The import runs as a background job (a large file, or `Prefer: respond-async`): the job, "
            "to follow at its `Location` (GET /api/v1/jobs/{id})",
        },
        **problems(403, 413, 415),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The file itself as the body (curl --data-binary @file), with its media type",
            "content": {files.CSV: _example_csv(), files.XLSX: _FILE, files.NDJSON: _FILE, files.OCTET: _FILE},
        }
    },
)
async def import_members(
    request: Request,
    writer: EditorDep,
    settings: SettingsDep,
    today: Today,
    mode: Annotated[
        Literal["validate", "commit"],
        Query(
            description="validate: every row checked and written, then rolled back (the exact report, nothing "
            "written); commit: the rows are written"
        ),
    ] = "validate",
    atomic: Annotated[
        bool,
        Query(
            description="true: all rows or none (a bad row: 422 `import_rejected` with the report); false: the "
            "good rows are written and the bad ones reported"
        ),
    ] = True,
    allow_same_name: Annotated[
        bool, Query(description="Register people with the same name and birth date as a recorded member")
    ] = False,
    answer: Annotated[
        Literal["report", "file"],
        Query(description="report: the JSON report; file: the file back, each row's errors in a column of its own"),
    ] = "report",
    prefer: Annotated[
        str | None,
        Header(description="`respond-async`: run the import as a background job whatever the file's size"),
    ] = None,
) -> Response:
    """Members from a file: CSV (UTF-8 with or without BOM, or UTF-16 as Excel's "Unicode text"; `,` or `;`),
    XLSX (the first sheet) or NDJSON. Columns: the member fields (snake_case) or their Vietnamese headers (GET
    …/import/template); `organization` takes a cell's id or code. A row with an `id`, or a citizen ID or external
    id of a member you may change, updates that member (PATCH); any other row registers one (POST). Each row runs
    in its own savepoint of one transaction; the report gives counts and each bad row's row, column and rule.

    A file larger than COSO_IMPORT_SYNC_MAX_BYTES or with more rows than COSO_IMPORT_SYNC_MAX_ROWS, or any file sent
    with `Prefer: respond-async`, runs as a background job: 202 Accepted, the job in the body and its URL in
    `Location`; its report is then GET /api/v1/jobs/{id} and /errors (`answer=file` is for answers at once)."""
    respond_async = "respond-async" in (prefer or "").lower()
    disposition = _FILE_NAME.search(request.headers.get("content-disposition", ""))
    imported = await intake.import_members(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        body=request.stream(),
        content_type=request.headers.get("content-type"),
        respond_async=respond_async,
        file_name=disposition.group(1) if disposition else None,
        sync_max_bytes=settings.import_sync_max_bytes,
        check=check_member_row,
        options=members.Options(
            mode=mode,
            atomic=atomic,
            allow_same_name=allow_same_name,
            today=today,
            min_age=settings.admission_min_age,
            probation_months=settings.probation_months,
        ),
        sync_max_rows=settings.import_sync_max_rows,
        annotate=answer == "file",
    )
    if isinstance(imported, jobs.Submitted):
        location = f"/api/v1/jobs/{imported.job_id}"
        headers = {"Location": location, **({"Preference-Applied": "respond-async"} if respond_async else {})}
        return json_response(imported.document.encode(), status_code=202, headers=headers)
    if imported.file is not None:
        media = imported.report.format
        extension = {files.CSV: "csv", files.XLSX: "xlsx", files.NDJSON: "ndjson"}[media]
        return Response(
            imported.file,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="members-import-{mode}-errors.{extension}"'},
        )
    return json_response(dump(imported.report.as_dict()))


@router.get(
    "/import/template",
    responses={
        200: {
            "description": "The template: headers, one example row (and drop-down lists in .xlsx)",
            "content": {files.CSV: {"schema": {"type": "string"}}, files.XLSX: _FILE},
        },
        **problems(),
    },
    response_class=Response,
)
async def member_import_template(
    reader: ReaderDep,
    file_format: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "xlsx",
) -> Response:
    """The file to fill in for POST /members/import: the Vietnamese headers, one example row and, in .xlsx,
    drop-down lists of the enumerated columns (gender, status, ethnicity, religion, levels)."""
    body, media = (
        (template.template_csv(), files.CSV) if file_format == "csv" else (template.template_xlsx(), files.XLSX)
    )
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="coso-members-import-template.{file_format}"'},
    )
