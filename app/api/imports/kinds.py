"""Imports of the other kinds (organisations, members' histories, ratings, leadership seats, public
posts, progress reports of plan tasks): the same shape as POST
/members/import (file as the body, mode, atomic, answer=file; a template per kind), one domain call each
(app/domain/imports/kinds.py)."""

from typing import Annotated, Any, Literal

from fastapi import Query, Request
from starlette.responses import Response

from app.api.auth import EditorDep, ReaderDep, api_router
from app.api.deps import SettingsDep, Today
from app.api.imports import checks
from app.api.imports.models import ImportReport
from app.api.ratings.routes import rating_rules
from app.api.responses import problems
from app.api.types import dump, json_response
from app.domain.imports import (
    files,
    kinds,
    member_events,
    organizations,
    positions,
    posts,
    ratings,
    rows,
    task_reports,
    template,
)
from app.domain.imports.members import Imported
from app.domain.positions.composition import SeatRules

router = api_router("/api/v1", "imports")
PATHS = {
    "organizations": "/organizations/import",
    "member_events": "/members/events/import",
    "ratings": "/members/ratings/import",
    "positions": "/organizations/positions/import",
    "posts": "/members/posts/import",
    "task_reports": "/tasks/reports/import",
}
# The body limit of these paths is COSO_IMPORT_MAX_BYTES (app/main.py), like the member import's.
IMPORT_PATHS = tuple(f"/api/v1{path}" for path in PATHS.values())

_FILE = {"schema": {"type": "string", "format": "binary"}}
Mode = Annotated[
    Literal["validate", "commit"],
    Query(description="validate: every row checked and written, then rolled back (the exact report); commit: written"),
]
Atomic = Annotated[
    bool,
    Query(description="true: all rows or none (a bad row: 422 `import_rejected` with the report); false: per row"),
]
Answer = Annotated[
    Literal["report", "file"],
    Query(description="report: the JSON report; file: the file back, each row's errors in a column of its own"),
]
Format = Annotated[Literal["csv", "xlsx"], Query(alias="format")]


def _post_docs(example: str) -> dict[str, Any]:
    return {
        "response_model": ImportReport,
        "responses": {
            200: {
                "description": "The report (JSON); with `answer=file`, the file as sent with a column `Lỗi` "
                "(NDJSON: `_errors`) holding each row's errors",
                "content": {files.CSV: {"schema": {"type": "string"}}, files.XLSX: _FILE, files.NDJSON: {}},
            },
            **problems(403, 413, 415),
        },
        "openapi_extra": {
            "requestBody": {
                "required": True,
                "description": "The file itself as the body (curl --data-binary @file), with its media type",
                "content": {
                    files.CSV: {"schema": {"type": "string", "format": "binary"}, "example": example},
                    files.XLSX: _FILE,
                    files.NDJSON: _FILE,
                    files.OCTET: _FILE,
                },
            }
        },
    }


_TEMPLATE_DOCS: dict[str, Any] = {
    "responses": {
        200: {
            "description": "The template: headers, one example row (and drop-down lists in .xlsx)",
            "content": {files.CSV: {"schema": {"type": "string"}}, files.XLSX: _FILE},
        },
        **problems(),
    },
    "response_class": Response,
}


async def _run(
    request: Request, writer: EditorDep, *, kind: str, check: rows.RowChecker, options: Any, max_rows: int, answer: str
) -> Response:
    imported: Imported = await kinds.import_file(
        writer.tx,
        kind=kind,
        actor=writer.actor,
        scope=writer.scope,
        data=await request.body(),
        content_type=request.headers.get("content-type"),
        check=check,
        options=options,
        max_rows=max_rows,
        annotate=answer == "file",
    )
    if imported.file is None:
        return json_response(dump(imported.report.as_dict()))
    media = imported.report.format
    extension = {files.CSV: "csv", files.XLSX: "xlsx", files.NDJSON: "ndjson"}[media]
    name = f"{kind.replace('_', '-')}-import-{imported.report.mode}-errors.{extension}"
    return Response(imported.file, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _template(kind: str, file_format: str) -> Response:
    layout = kinds.KINDS[kind].layout
    body, media = (
        (template.template_csv(layout), files.CSV)
        if file_format == "csv"
        else (template.template_xlsx(layout), files.XLSX)
    )
    name = f"coso-{kind.replace('_', '-')}-import-template.{file_format}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post(
    PATHS["organizations"], **_post_docs("code,name,kind,parent_code\nCB-05,Chi bộ Thôn 5,Chi bộ trực thuộc,DU-01\n")
)
async def import_organizations(
    request: Request,
    writer: EditorDep,
    settings: SettingsDep,
    today: Today,
    mode: Mode = "validate",
    atomic: Atomic = True,
    answer: Answer = "report",
) -> Response:
    """Organisations from a file (CSV, XLSX, NDJSON): the columns of the organisation export, or their Vietnamese
    headers (GET …/import/template). A row names its unit by `id`, else `code`, else an external id: a unit it
    names is corrected as by PATCH (the fields that differ; none: `unchanged`), another is created as by POST
    under the parent named by `parent_id` or `parent_code` (parents the same file creates come first). A row that
    would move or end a unit fails naming the reorganisation to use (`/move`, `/dissolve`)."""
    options = organizations.Options(mode=mode, atomic=atomic, today=today)
    return await _run(
        request,
        writer,
        kind="organizations",
        check=checks.check_organization_row,
        options=options,
        max_rows=settings.import_sync_max_rows,
        answer=answer,
    )


@router.get(PATHS["organizations"] + "/template", **_TEMPLATE_DOCS)
async def organization_import_template(reader: ReaderDep, file_format: Format = "xlsx") -> Response:
    """The file to fill in for POST /organizations/import (drop-down lists of kinds and categories in .xlsx)."""
    return _template("organizations", file_format)


@router.post(PATHS["member_events"], **_post_docs("citizen_id,kind,date\n001090001111,Kết nạp,03/02/2015\n"))
async def import_member_events(
    request: Request,
    writer: EditorDep,
    settings: SettingsDep,
    mode: Mode = "validate",
    atomic: Atomic = True,
    answer: Answer = "report",
) -> Response:
    """Members' histories from a file (another system's admissions, transfers, exits … with their dates): a row
    names the member by `member_id`, citizen ID or an external id, and is recorded as by POST
    /members/{id}/events, every rule of the lifecycle applied; rows run oldest first. An event already recorded
    (same member, kind and date) is `unchanged`. Disciplinary events need pii."""
    options = member_events.Options(
        mode=mode,
        atomic=atomic,
        min_age=settings.admission_min_age,
        max_age=settings.admission_max_age,
        probation_months=settings.probation_months,
        sponsor_min_months=settings.sponsor_min_months,
    )
    return await _run(
        request,
        writer,
        kind="member_events",
        check=checks.check_event_row,
        options=options,
        max_rows=settings.import_sync_max_rows,
        answer=answer,
    )


@router.get(PATHS["member_events"] + "/template", **_TEMPLATE_DOCS)
async def member_event_import_template(reader: ReaderDep, file_format: Format = "xlsx") -> Response:
    """The file to fill in for POST /members/events/import (a drop-down list of the event kinds in .xlsx)."""
    return _template("member_events", file_format)


@router.post(PATHS["ratings"], **_post_docs("citizen_id,period,rating\n001090001111,2025,Hoàn thành tốt nhiệm vụ\n"))
async def import_ratings(
    request: Request,
    writer: EditorDep,
    settings: SettingsDep,
    mode: Mode = "validate",
    atomic: Atomic = True,
    answer: Answer = "report",
) -> Response:
    """Members' quality ratings from a file: a row names the member (`member_id`, citizen ID or external id) and
    the period (2025, 2025Q2, 2020-2025), and is recorded as by POST /members/{id}/ratings or, for a period
    already rated, PUT …/ratings/{period} (an empty cell keeps the stored value; identical: `unchanged`). Score,
    comment and sick-leave months need pii."""
    options = ratings.Options(mode=mode, atomic=atomic, rules=rating_rules(settings))
    return await _run(
        request,
        writer,
        kind="ratings",
        check=checks.check_rating_row,
        options=options,
        max_rows=settings.import_sync_max_rows,
        answer=answer,
    )


@router.get(PATHS["ratings"] + "/template", **_TEMPLATE_DOCS)
async def rating_import_template(reader: ReaderDep, file_format: Format = "xlsx") -> Response:
    """The file to fill in for POST /members/ratings/import (drop-down lists of bands and reasons in .xlsx)."""
    return _template("ratings", file_format)


@router.post(
    PATHS["positions"],
    **_post_docs("citizen_id,organization,position,valid_from\n001090001111,CB-01,Bí thư,01/08/2025\n"),
)
async def import_positions(
    request: Request,
    writer: EditorDep,
    settings: SettingsDep,
    mode: Mode = "validate",
    atomic: Atomic = True,
    answer: Answer = "report",
) -> Response:
    """Leadership seats from a file: a row names the member (`member_id`, citizen ID or external id), the unit
    (`organization`: id or code), the `position` (code or label: "Bí thư", "Phó Bí thư", "Cấp ủy viên (chi ủy
    viên)", …), `valid_from`, `valid_to` and `decision_ref`, and is seated as by POST
    /organizations/{id}/positions (every rule of the composition). A seat already recorded (same member, unit,
    position and start) is `unchanged`, or ended if the row gives the end an open seat lacks."""
    options = positions.Options(
        mode=mode,
        atomic=atomic,
        rules=SeatRules(
            cell_committee_max_members=settings.cell_committee_max_members,
            cell_max_deputy_secretaries=settings.cell_max_deputy_secretaries,
            group_max_deputy_leaders=settings.group_max_deputy_leaders,
        ),
    )
    return await _run(
        request,
        writer,
        kind="positions",
        check=checks.check_position_row,
        options=options,
        max_rows=settings.import_sync_max_rows,
        answer=answer,
    )


@router.get(PATHS["positions"] + "/template", **_TEMPLATE_DOCS)
async def position_import_template(reader: ReaderDep, file_format: Format = "xlsx") -> Response:
    """The file to fill in for POST /organizations/positions/import (a drop-down list of positions in .xlsx)."""
    return _template("positions", file_format)


@router.post(
    PATHS["posts"], **_post_docs("citizen_id,post,place,valid_from\n001090001111,village_head,Thôn Đông,01/08/2025\n")
)
async def import_posts(
    request: Request,
    writer: EditorDep,
    settings: SettingsDep,
    mode: Mode = "validate",
    atomic: Atomic = True,
    answer: Answer = "report",
) -> Response:
    """Public posts members hold (village head, commune chair, …) from a file: a row names the member
    (`member_id`, citizen ID or external id), the `post` (code or label), `place` and/or `organization` (id or
    code), `valid_from`, `valid_to`, `decision_ref`, and is recorded as by POST /members/{id}/posts. A post already
    recorded (same member, post and start) is `unchanged`, or ended if the row gives the end an open post lacks."""
    return await _run(
        request,
        writer,
        kind="posts",
        check=checks.check_post_row,
        options=posts.Options(mode=mode, atomic=atomic),
        max_rows=settings.import_sync_max_rows,
        answer=answer,
    )


@router.get(PATHS["posts"] + "/template", **_TEMPLATE_DOCS)
async def post_import_template(reader: ReaderDep, file_format: Format = "xlsx") -> Response:
    """The file to fill in for POST /members/posts/import (a drop-down list of posts in .xlsx)."""
    return _template("posts", file_format)


@router.post(
    PATHS["task_reports"],
    **_post_docs(
        "plan_code,task_code,body,reported_on,status\n211-KH/TU,2.1.1.a,Ban Thường vụ Thị ủy,15/12/2025,Đã hoàn thành\n"
    ),
)
async def import_task_reports(
    request: Request,
    writer: EditorDep,
    settings: SettingsDep,
    today: Today,
    mode: Mode = "validate",
    atomic: Atomic = True,
    answer: Answer = "report",
) -> Response:
    """Progress reports on plan tasks from a file: a row names the task by `task_id`, or `plan_code` and
    `task_code` (with `plan_organization`, id or code, where two units' plans share a number), the reporting `body`
    (id, or its name as the task lists it), for a collective the reporting `organization` (id or code), and gives
    `reported_on`, `status` (code or label: "Đã hoàn thành", "Đang thực hiện", …), `period_year` for a recurring
    task, `text`, `evidence_ref`. Each row is recorded as by POST /tasks/{id}/reports, every rule applied; a report
    already recorded (same task, body, organisation, date and year) is `unchanged`."""
    return await _run(
        request,
        writer,
        kind="task_reports",
        check=checks.check_report_row,
        options=task_reports.Options(mode=mode, atomic=atomic, today=today, due_soon_days=settings.due_soon_days),
        max_rows=settings.import_sync_max_rows,
        answer=answer,
    )


@router.get(PATHS["task_reports"] + "/template", **_TEMPLATE_DOCS)
async def task_report_import_template(reader: ReaderDep, file_format: Format = "xlsx") -> Response:
    """The file to fill in for POST /tasks/reports/import (a drop-down list of statuses in .xlsx)."""
    return _template("task_reports", file_format)
