"""Liveness and readiness probes, outside the versioned API."""

import sqlalchemy as sa
from fastapi import APIRouter
from pydantic import BaseModel

from app.db import ProbeSessionDep
from app.problems import AppError, problem_responses

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """Probe answer."""

    status: str


class NotReady(AppError):
    status_code = 503


@router.get("/healthz", response_model=Health, status_code=200, summary="Liveness probe")
def healthz() -> Health:
    """Answers while the process is up."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    status_code=200,
    summary="Readiness probe",
    responses=problem_responses(503),
)
def readyz(session: ProbeSessionDep) -> Health:
    """Answers 200 when the database is reachable, 503 otherwise; never queued behind requests."""
    try:
        session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        raise NotReady("The database is not reachable.") from exc
    return Health(status="ready")
