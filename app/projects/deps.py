"""Validating dependencies for project routes."""

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Path, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, SecurityScopes

from app.auth.deps import admit, bearer
from app.auth.scopes import Scope
from app.db import SessionDep, StatementsDep
from app.models import Project
from app.progress.schemas import Figures
from app.projects import service

ProjectCode = Annotated[
    str,
    Path(description="Project code, e.g. INF-001.", max_length=20, pattern=r"^[A-Za-z0-9_-]+$"),
]


def project_by_code(session: SessionDep, code: ProjectCode) -> Project:
    """Load the project named in the path or answer 404."""
    return service.get_project(session, code=code)


ProjectByCode = Annotated[Project, Depends(project_by_code)]


async def readable_project(
    request: Request,
    security_scopes: SecurityScopes,
    statements: StatementsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Mapping[str, Any] | None:
    """The caller admitted and the project the path names read, in one statement, or None.

    GET one project is the hottest read: checking the token in the statement that reads the
    project saves a round trip (docs/performance.md). The code and `figures` are taken as
    sent; the route validates them after this runs (422), so that a request with a dead
    token is refused 401, as on every other route, whatever else is wrong with it.
    """
    try:
        figures = Figures(request.query_params.get("figures", Figures.latest))
    except ValueError:
        figures = Figures.latest  # the route refuses the request: the row goes unused
    _, row = await admit(
        request,
        statements,
        credentials,
        security_scopes.scopes,
        service.read_by_code(figures),
        {"code": request.path_params["code"].upper()},
    )
    return row


ReadableProject = Annotated[
    Mapping[str, Any] | None, Security(readable_project, scopes=[Scope.read])
]
