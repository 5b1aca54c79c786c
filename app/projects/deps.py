"""Validating dependencies for project routes."""

from typing import Annotated

from fastapi import Depends, Path

from app.db import SessionDep
from app.models import Project
from app.projects import service

ProjectCode = Annotated[
    str,
    Path(description="Project code, e.g. INF-001.", max_length=20, pattern=r"^[A-Za-z0-9_-]+$"),
]


def project_by_code(session: SessionDep, code: ProjectCode) -> Project:
    """Load the project named in the path or answer 404."""
    return service.get_project(session, code=code)


ProjectByCode = Annotated[Project, Depends(project_by_code)]
