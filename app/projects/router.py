"""Project endpoints."""

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response
from sqlmodel import Session

from app.auth.deps import Admin, Reader
from app.db import SessionDep
from app.exports.negotiation import Accepted
from app.exports.writers import EXPORT_RESPONSES, export_response
from app.http.etags import CREATED, VERSIONED, IfMatch, versioned_response
from app.http.responses import model_response
from app.models import Project
from app.problems import NotFound, problem_responses
from app.progress.schemas import FIGURES_DESCRIPTION, Figures
from app.projects import service, tables
from app.projects.deps import ProjectByCode, ProjectCode, ReadableProject
from app.projects.schemas import (
    ProjectChange,
    ProjectCreate,
    ProjectList,
    ProjectListQuery,
    ProjectPublic,
    ProjectUpdate,
)

router = APIRouter(prefix="/projects", tags=["projects"])
Why = Annotated[ProjectChange | None, Body(description="Optional: why, for the audit log.")]


@router.get(
    "",
    response_model=ProjectList,
    status_code=200,
    summary="List projects",
    responses={**EXPORT_RESPONSES, **problem_responses(401, 422)},
)
def list_projects(
    _: Reader,
    session: SessionDep,
    query: Annotated[ProjectListQuery, Query()],
    accepted: Accepted,
) -> Response:
    """Projects matching the filters, a page at a time; CSV or XLSX exports every match."""
    if export := query.format or accepted:
        return export_response(tables.export_table(session, query=query), export)
    items, total = service.list_projects(session, query=query)
    return model_response(
        ProjectList(
            items=items, figures=query.figures, total=total, limit=query.limit, offset=query.offset
        )
    )


@router.post(
    "",
    response_model=ProjectPublic,
    status_code=201,
    summary="Create a project",
    responses={**CREATED, **problem_responses(401, 403, 409, 422)},
)
def create_project(
    principal: Admin, session: SessionDep, data: ProjectCreate, request: Request
) -> Response:
    """Admins add a project to a batch of the library; its code is assigned from its category."""
    project = service.create_project(session, data=data, actor=principal)
    return versioned_response(
        service.project_public(session, project=project),
        kind=service.PROJECT,
        key=project.code,
        version=project.version,
        status_code=201,
        headers={"Location": f"{request.url.path}/{project.code}"},
    )


@router.get(
    "/{code}",
    response_model=ProjectPublic,
    status_code=200,
    summary="Get one project",
    responses={**VERSIONED, **problem_responses(401, 404, 422)},
)
async def get_project(
    project: ReadableProject,
    code: ProjectCode,
    figures: Annotated[Figures, Query(description=FIGURES_DESCRIPTION)] = Figures.latest,
) -> Response:
    """One project with its master data, current progress entry and (header) ETag."""
    if project is None:
        raise NotFound(f"No project has the code {code!r}.")
    answer = service.to_public(project, figures=figures)
    return versioned_response(
        answer, kind=service.PROJECT, key=answer.code, version=project["version"]
    )


@router.patch(
    "/{code}",
    response_model=ProjectPublic,
    status_code=200,
    summary="Change a project's master data",
    responses={**VERSIONED, **problem_responses(401, 403, 404, 409, 412, 422, 428)},
)
def update_project(
    principal: Admin,
    session: SessionDep,
    project: ProjectByCode,
    changes: ProjectUpdate,
    if_match: IfMatch,
) -> Response:
    """Admins change master data, sending If-Match with the ETag they read; audit-logged."""
    project = service.update_project(
        session, project=project, changes=changes, if_match=if_match, actor=principal
    )
    return _versioned(session, project)


@router.post(
    "/{code}/archive",
    response_model=ProjectPublic,
    status_code=200,
    summary="Archive a project (出库)",
    responses={**VERSIONED, **problem_responses(401, 403, 404, 409, 412, 422, 428)},
)
def archive_project(
    principal: Admin,
    session: SessionDep,
    project: ProjectByCode,
    if_match: IfMatch,
    change: Why = None,
) -> Response:
    """Take a project out of the library (出库) with its reason; its history stays readable."""
    project = service.archive_project(
        session,
        project=project,
        if_match=if_match,
        archive=True,
        actor=principal,
        change=change,
    )
    return _versioned(session, project)


@router.post(
    "/{code}/restore",
    response_model=ProjectPublic,
    status_code=200,
    summary="Restore an archived project",
    responses={**VERSIONED, **problem_responses(401, 403, 404, 409, 412, 422, 428)},
)
def restore_project(
    principal: Admin,
    session: SessionDep,
    project: ProjectByCode,
    if_match: IfMatch,
    change: Why = None,
) -> Response:
    """Bring an archived project back into lists and rollups; its exit reason is cleared."""
    project = service.archive_project(
        session,
        project=project,
        if_match=if_match,
        archive=False,
        actor=principal,
        change=change,
    )
    return _versioned(session, project)


def _versioned(session: Session, project: Project) -> Response:
    # The tag digests the bytes sent, so the answer is serialized here, not by FastAPI.
    return versioned_response(
        service.project_public(session, project=project),
        kind=service.PROJECT,
        key=project.code,
        version=project.version,
    )
