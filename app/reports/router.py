"""Report endpoints: reconciliation and tracking; each also as CSV or XLSX."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app import clock
from app.auth.deps import Reader
from app.config import get_settings
from app.db import SessionDep
from app.exports.negotiation import Accepted
from app.exports.writers import ExportFormat, export_response
from app.http.caching import CACHE_RESPONSES, ETag
from app.problems import problem_responses
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
from app.reports.tables import (
    blockers_table,
    changes_table,
    compliance_table,
    reconciliation_table,
)

router = APIRouter(prefix="/reports", tags=["reports"])
RESPONSES = {**CACHE_RESPONSES, **problem_responses(401, 422)}


@router.get(
    "/reconciliation",
    response_model=Reconciliation,
    status_code=200,
    summary="Reconcile the plan's tables 4 and 5 with the library",
    responses=RESPONSES,
)
def get_reconciliation(
    _: Reader,
    session: SessionDep,
    accepted: Accepted,
    etag: ETag,
    format_: Annotated[
        ExportFormat | None, Query(alias="format", description="`csv` or `xlsx` to download.")
    ] = None,
) -> Reconciliation | Response:
    """Each published cell next to the same cell computed from the projects, and the gap."""
    report = service.reconcile(session, seed_dir=get_settings().seed_dir)
    if export := format_ or accepted:
        return export_response(reconciliation_table(report), export, etag=etag)
    return report


@router.get(
    "/compliance",
    response_model=Compliance,
    status_code=200,
    summary="Reporting compliance for a period",
    responses=RESPONSES,
)
def get_compliance(
    _: Reader,
    session: SessionDep,
    query: Annotated[ComplianceQuery, Query()],
    accepted: Accepted,
    etag: ETag,
) -> Compliance | Response:
    """Per park: projects reported, missing, late and returned for revision in a period."""
    report = service.compliance(
        session,
        filters=query,
        period=query.period or service.period_due(clock.today()),
        due_day=query.due_day or get_settings().report_due_day,
    )
    if export := query.format or accepted:
        return export_response(compliance_table(report), export, etag=etag)
    return report


@router.get(
    "/changes",
    response_model=Changes,
    status_code=200,
    summary="What changed between two dates",
    responses=RESPONSES,
)
def get_changes(
    _: Reader,
    session: SessionDep,
    query: Annotated[ChangesQuery, Query()],
    accepted: Accepted,
    etag: ETag,
) -> Changes | Response:
    """Projects started, completed, suspended, cancelled and investment added, by park."""
    report = service.changes(
        session, filters=query, from_date=query.from_date, to_date=query.to_date
    )
    if export := query.format or accepted:
        return export_response(changes_table(report), export, etag=etag)
    return report


@router.get(
    "/blockers",
    response_model=Blockers,
    status_code=200,
    summary="Open blockers by park",
    responses=RESPONSES,
)
def get_blockers(
    _: Reader,
    session: SessionDep,
    query: Annotated[ProjectFilters, Query()],
    accepted: Accepted,
    etag: ETag,
) -> Blockers | Response:
    """Projects whose current report names blockers (存在问题 as reported, with `figures` and
    `as_of`), with the reports that raised them; the tracked 问题清单 is GET /blockers."""
    report = service.blockers(session, filters=query)
    if export := query.format or accepted:
        return export_response(blockers_table(report), export, etag=etag)
    return report
