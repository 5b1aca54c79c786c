"""Review endpoints: the inbox across the portfolio, bulk decisions, reopening, the log."""

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from app.auth.deps import Reader, Reviewer
from app.db import SessionDep
from app.problems import problem_responses
from app.projects.deps import ProjectByCode
from app.reviews import service
from app.reviews.schemas import (
    BULK_REVIEW_EXAMPLES,
    PERIOD_PATTERN,
    BulkReview,
    BulkReviewResult,
    Inbox,
    InboxQuery,
    ReopenRequest,
    ReviewLog,
    ReviewLogQuery,
    ReviewRecordPublic,
)

router = APIRouter(tags=["reviews"])

LOCK_RULE = (
    "An approved report closes its project's period: a new report for the same project and "
    "period is refused with 409 until a planner reopens the period with a reason. The "
    "printed baseline closes nothing."
)


@router.get(
    "/reviews",
    response_model=Inbox,
    status_code=200,
    summary="The review inbox",
    responses=problem_responses(401, 422),
)
def list_reviews(
    principal: Reader, session: SessionDep, query: Annotated[InboxQuery, Query()]
) -> Inbox:
    """Reports waiting for review (or returned), each its period's newest revision; officers
    see those of their own park only."""
    return service.inbox(session, query=query, principal=principal)


@router.post(
    "/reviews",
    response_model=BulkReviewResult,
    status_code=200,
    summary="Approve or return many reports",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def review_reports(
    principal: Reviewer,
    session: SessionDep,
    review: Annotated[BulkReview, Body(examples=BULK_REVIEW_EXAMPLES)],
) -> BulkReviewResult:
    """Planners and admins approve or return up to 500 reports at once, all or nothing."""
    return service.decide(session, review=review, principal=principal)


@router.get(
    "/reviews/log",
    response_model=ReviewLog,
    status_code=200,
    summary="The review log",
    responses=problem_responses(401, 422),
)
def review_log(
    principal: Reader, session: SessionDep, query: Annotated[ReviewLogQuery, Query()]
) -> ReviewLog:
    """Every approval, return and reopening with who, when and the comment, newest first."""
    return service.review_log(session, query=query, principal=principal)


@router.post(
    "/projects/{code}/progress/periods/{period}/reopen",
    response_model=ReviewRecordPublic,
    status_code=201,
    summary="Reopen an approved period",
    description=LOCK_RULE,
    responses=problem_responses(401, 403, 404, 409, 422),
    tags=["progress"],
)
def reopen_period(
    principal: Reviewer,
    session: SessionDep,
    project: ProjectByCode,
    period: Annotated[str, Path(pattern=PERIOD_PATTERN, description="YYYY-MM.")],
    body: ReopenRequest,
) -> ReviewRecordPublic:
    """Planners and admins let a closed period take a new report, saying why."""
    return service.reopen(
        session, project=project, period=period, principal=principal, reason=body.reason
    )
