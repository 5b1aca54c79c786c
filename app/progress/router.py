"""Progress endpoints, nested under the project they belong to."""

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response

from app.auth.deps import ProgressWriter, Reader, Reviewer
from app.db import SessionDep, StatementsDep
from app.http import metrics
from app.http.responses import model_response
from app.models import ReviewState
from app.problems import problem_responses
from app.progress import idempotency, service
from app.progress.schemas import (
    FIGURES_DESCRIPTION,
    ApproveRequest,
    Figures,
    ProgressCreate,
    ProgressEntryPublic,
    ProgressHistory,
    ReturnRequest,
)
from app.projects.deps import ProjectByCode, ProjectCode

router = APIRouter(prefix="/projects/{code}/progress", tags=["progress"])

EntryId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Progress entry id.")]
IDEMPOTENCY_KEY_DESCRIPTION = (
    "Any unique string (e.g. a UUID). A retry with the same key and body returns the first "
    "answer and stores nothing new; the same key with another body is refused (422)."
)
# 1–255 printable ASCII characters, as `idempotency.parse_key` takes them, not quoted.
IDEMPOTENCY_KEY_PATTERN = r"^[!#-~]([ -~]{0,253}[!-~])?$"


@router.get(
    "",
    response_model=ProgressHistory,
    status_code=200,
    summary="Get a project's progress history",
    responses=problem_responses(401, 404, 422),
)
def list_progress(
    _: Reader,
    session: SessionDep,
    project: ProjectByCode,
    figures: Annotated[Figures, Query(description=FIGURES_DESCRIPTION)] = Figures.latest,
) -> ProgressHistory:
    """Every progress entry of the project, newest first, the printed baseline included."""
    entries = service.list_history(session, project=project, figures=figures)
    items = [service.to_public(e, project_code=project.code) for e in entries]
    return ProgressHistory(
        project_code=project.code, figures=figures, items=items, total=len(items)
    )


@router.post(
    "",
    response_model=ProgressEntryPublic,
    status_code=201,
    summary="Report progress on a project",
    responses={
        201: {
            "headers": {
                "Location": {"description": "The stored entry."},
                "Idempotent-Replayed": {
                    "description": "`true` when this answers a retry with a used key."
                },
            }
        },
        **problem_responses(401, 403, 404, 409, 413, 422),
    },
)
async def create_progress(
    principal: ProgressWriter,
    statements: StatementsDep,
    code: ProjectCode,
    report: ProgressCreate,
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description=IDEMPOTENCY_KEY_DESCRIPTION,
            # Documented only: `idempotency.parse_key` also takes the draft's quoted form.
            json_schema_extra={"pattern": IDEMPOTENCY_KEY_PATTERN},
        ),
    ] = None,
) -> Response:
    """Append a report: officers for their own park's projects, admins for any."""
    result = await service.create_progress(
        statements,
        code=code,
        report=report,
        principal=principal,
        idempotency_key=idempotency.parse_key(idempotency_key),
    )
    if not result.replayed:
        metrics.reports_stored(1, source="api")
    headers = {"Location": f"{request.url.path}/{result.entry.id}"}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return model_response(result.entry, status_code=201, headers=headers)


@router.get(
    "/{entry_id}",
    response_model=ProgressEntryPublic,
    status_code=200,
    summary="Get one progress entry",
    responses=problem_responses(401, 404, 422),
)
def get_progress(
    _: Reader, session: SessionDep, project: ProjectByCode, entry_id: EntryId
) -> ProgressEntryPublic:
    """One entry of the project's history, with its review state."""
    return service.get_entry(session, project=project, entry_id=entry_id)


@router.post(
    "/{entry_id}/approve",
    response_model=ProgressEntryPublic,
    status_code=200,
    summary="Approve a report",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def approve_progress(
    principal: Reviewer,
    session: SessionDep,
    project: ProjectByCode,
    entry_id: EntryId,
    body: ApproveRequest | None = None,
) -> ProgressEntryPublic:
    """Planners and admins approve a submitted report; it then counts in official figures."""
    return service.review_entry(
        session,
        project=project,
        entry_id=entry_id,
        principal=principal,
        decision=ReviewState.approved,
        comment=body.comment if body else "",
    )


@router.post(
    "/{entry_id}/return",
    response_model=ProgressEntryPublic,
    status_code=200,
    summary="Return a report for revision",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def return_progress(
    principal: Reviewer,
    session: SessionDep,
    project: ProjectByCode,
    entry_id: EntryId,
    body: ReturnRequest,
) -> ProgressEntryPublic:
    """Planners and admins send a report back with a comment; the officer then revises it."""
    return service.review_entry(
        session,
        project=project,
        entry_id=entry_id,
        principal=principal,
        decision=ReviewState.returned,
        comment=body.comment,
    )
