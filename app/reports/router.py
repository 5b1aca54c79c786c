"""Report endpoints: reconciliation and tracking."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.deps import Reader
from app.config import get_settings
from app.db import SessionDep
from app.problems import problem_responses
from app.progress.schemas import REPORTING_TZ
from app.projects.schemas import ProjectFilters
from app.reports import service
from app.reports.schemas import (
    Blockers,
    Changes,
    ChangesQuery,
    Compliance,
    ComplianceQuery,
    Reconciliation,
)

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get(
    "/reconciliation",
    response_model=Reconciliation,
    status_code=200,
    summary="Reconcile the plan's tables 4 and 5 with the library",
    responses=problem_responses(401),
)
def get_reconciliation(_: Reader, session: SessionDep) -> Reconciliation:
    """Each published cell next to the same cell computed from the projects, and the gap."""
    return service.reconcile(session, seed_dir=get_settings().seed_dir)


@router.get(
    "/compliance",
    response_model=Compliance,
    status_code=200,
    summary="Reporting compliance for a period",
    responses=problem_responses(401, 422),
)
def get_compliance(
    _: Reader, session: SessionDep, query: Annotated[ComplianceQuery, Query()]
) -> Compliance:
    """Per park: projects reported, missing, late and returned for revision in a period."""
    settings = get_settings()
    return service.compliance(
        session,
        filters=query,
        period=query.period or datetime.now(REPORTING_TZ).strftime("%Y-%m"),
        due_day=query.due_day or settings.report_due_day,
    )


@router.get(
    "/changes",
    response_model=Changes,
    status_code=200,
    summary="What changed between two dates",
    responses=problem_responses(401, 422),
)
def get_changes(_: Reader, session: SessionDep, query: Annotated[ChangesQuery, Query()]) -> Changes:
    """Projects started, completed, suspended, cancelled and investment added, by park."""
    return service.changes(session, filters=query, from_date=query.from_date, to_date=query.to_date)


@router.get(
    "/blockers",
    response_model=Blockers,
    status_code=200,
    summary="Open blockers by park",
    responses=problem_responses(401, 422),
)
def get_blockers(
    _: Reader, session: SessionDep, query: Annotated[ProjectFilters, Query()]
) -> Blockers:
    """Projects whose current report names blockers, with the reports that raised them."""
    return service.blockers(session, filters=query)
