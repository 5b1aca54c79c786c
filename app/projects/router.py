"""Project endpoints."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.auth.deps import Reader
from app.db import SessionDep
from app.exports.negotiation import Accepted
from app.exports.writers import EXPORT_RESPONSES, export_response
from app.problems import problem_responses
from app.progress.schemas import FIGURES_DESCRIPTION, Figures
from app.projects import service
from app.projects.deps import ProjectByCode
from app.projects.schemas import ProjectList, ProjectListQuery, ProjectPublic

router = APIRouter(prefix="/projects", tags=["projects"])


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
) -> ProjectList | Response:
    """Projects matching the filters, a page at a time; CSV or XLSX exports every match."""
    if export := query.format or accepted:
        return export_response(service.export_table(session, query=query), export)
    items, total = service.list_projects(session, query=query)
    return ProjectList(
        items=items, figures=query.figures, total=total, limit=query.limit, offset=query.offset
    )


@router.get(
    "/{code}",
    response_model=ProjectPublic,
    status_code=200,
    summary="Get one project",
    responses=problem_responses(401, 404, 422),
)
def get_project(
    _: Reader,
    session: SessionDep,
    project: ProjectByCode,
    figures: Annotated[Figures, Query(description=FIGURES_DESCRIPTION)] = Figures.latest,
) -> ProjectPublic:
    """One project with its master data and current progress entry."""
    return service.project_public(session, project=project, figures=figures)
