"""Spreadsheet round trip for park officers: the monthly template out, filled files in."""

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Response, UploadFile

from app.auth.deps import PlanWriter, ProgressWriter, Reader
from app.db import SessionDep, StatementsDep
from app.exports.writers import XLSX_MEDIA_TYPE
from app.http import metrics
from app.plans.schemas import YEAR_MAX, YEAR_MIN, PlanUploadSummary
from app.problems import problem_responses
from app.spreadsheets import plans, service
from app.spreadsheets.schemas import (
    DRY_RUN_DESCRIPTION,
    FILE_DESCRIPTION,
    PERIOD_DESCRIPTION,
    PERIOD_PATTERN,
    UploadSummary,
)

router = APIRouter(tags=["spreadsheets"])

ParkId = Annotated[
    str, Path(max_length=32, pattern=r"^[a-z0-9_-]+$", description="Park id, e.g. gaoxin.")
]
PlanYear = Annotated[
    int, Query(ge=YEAR_MIN, le=YEAR_MAX, description="Calendar year of the plans, e.g. 2026.")
]

TEMPLATE_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The XLSX template: sheet 月度进展 to fill in, sheet 说明 explaining it.",
        "content": {XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get(
    "/parks/{park_id}/report-template",
    response_model=None,
    response_class=Response,
    status_code=200,
    summary="Download a park's monthly progress template",
    responses={**TEMPLATE_RESPONSE, **problem_responses(401, 403, 404, 422)},
)
def get_report_template(
    principal: Reader,
    session: SessionDep,
    park_id: Annotated[
        str, Path(max_length=32, pattern=r"^[a-z0-9_-]+$", description="Park id, e.g. gaoxin.")
    ],
    period: Annotated[
        str | None,
        Query(pattern=PERIOD_PATTERN, description=PERIOD_DESCRIPTION, examples=["2026-10"]),
    ] = None,
) -> Response:
    """An XLSX of the park's projects prefilled with their last figures; officers: own park."""
    template = service.report_template(session, park_id=park_id, period=period, principal=principal)
    return Response(
        template.content,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": template.content_disposition},
    )


@router.post(
    "/progress-uploads",
    response_model=UploadSummary,
    status_code=201,
    summary="Upload a filled progress spreadsheet",
    responses={
        200: {"model": UploadSummary, "description": "Dry run: what would be stored."},
        **problem_responses(401, 403, 409, 413, 415, 422),
    },
)
async def upload_progress(
    principal: ProgressWriter,
    statements: StatementsDep,
    file: Annotated[UploadFile, File(description=FILE_DESCRIPTION)],
    response: Response,
    dry_run: Annotated[bool, Query(description=DRY_RUN_DESCRIPTION)] = False,
) -> UploadSummary:
    """Store every row of an XLSX or CSV file as a progress report, or none if any is wrong."""
    summary = await service.upload_progress(
        statements, stream=file.file, size=file.size, dry_run=dry_run, principal=principal
    )
    if dry_run:
        response.status_code = 200
    else:
        metrics.reports_stored(len(summary.entry_ids), source="spreadsheet")
    return summary


PLAN_TEMPLATE_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The XLSX template: sheet 年度计划 to fill in, sheet 说明 explaining it.",
        "content": {XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get(
    "/parks/{park_id}/plan-template",
    response_model=None,
    response_class=Response,
    status_code=200,
    summary="Download a park's annual plan template",
    responses={**PLAN_TEMPLATE_RESPONSE, **problem_responses(401, 403, 404, 422)},
)
def get_plan_template(
    principal: Reader, session: SessionDep, park_id: ParkId, year: PlanYear
) -> Response:
    """An XLSX of the park's active projects prefilled with the year's plans; officers: own park."""
    template = plans.plan_template(session, park_id=park_id, year=year, principal=principal)
    return Response(
        template.content,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": template.content_disposition},
    )


@router.post(
    "/parks/{park_id}/plans",
    response_model=PlanUploadSummary,
    status_code=201,
    summary="Upload a park's filled annual plan spreadsheet",
    responses={
        200: {"model": PlanUploadSummary, "description": "Dry run: what would be stored."},
        **problem_responses(401, 403, 404, 413, 415, 422),
    },
)
def upload_plans(
    principal: PlanWriter,
    session: SessionDep,
    park_id: ParkId,
    year: PlanYear,
    file: Annotated[UploadFile, File(description=FILE_DESCRIPTION)],
    response: Response,
    dry_run: Annotated[bool, Query(description=DRY_RUN_DESCRIPTION)] = False,
) -> PlanUploadSummary:
    """Create or adjust each row's plan (adjustments need reason and 文号); any error: none."""
    summary = plans.upload_plans(
        session,
        park_id=park_id,
        year=year,
        stream=file.file,
        size=file.size,
        dry_run=dry_run,
        principal=principal,
    )
    if dry_run:
        response.status_code = 200
    return summary
