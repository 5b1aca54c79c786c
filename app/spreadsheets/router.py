"""Spreadsheet round trip for park officers: the monthly template out, filled files in."""

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Response, UploadFile

from app.auth.deps import ProgressWriter, Reader
from app.db import SessionDep, StatementsDep
from app.exports.writers import XLSX_MEDIA_TYPE
from app.http import metrics
from app.problems import problem_responses
from app.spreadsheets import service
from app.spreadsheets.schemas import (
    DRY_RUN_DESCRIPTION,
    FILE_DESCRIPTION,
    PERIOD_DESCRIPTION,
    PERIOD_PATTERN,
    UploadSummary,
)

router = APIRouter(tags=["spreadsheets"])

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
