"""The planners' inbox across the portfolio, bulk decisions and the review log."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.auth.policy import Principal
from app.models import Category, Park, ProgressEntry, Project, ReviewRecord, ReviewState, Role
from app.progress import service as progress
from app.reviews.schemas import (
    INBOX_COUNT_CAP,
    BulkApprove,
    BulkReturn,
    BulkReviewResult,
    Decision,
    Inbox,
    InboxItem,
    InboxQuery,
    InboxSort,
    ReviewLog,
    ReviewLogQuery,
    ReviewRecordPublic,
)

_LATER = aliased(ProgressEntry, name="later")


def _inbox_conditions(query: InboxQuery, principal: Principal) -> list[Any]:
    """Reports in the inbox's state that are their period's newest revision, filtered; an
    officer sees their own park's only."""
    conditions: list[Any] = [
        col(ProgressEntry.review_state) == query.state.value,
        sa.not_(col(ProgressEntry.is_baseline)),
        col(Project.archived_at).is_(None),
        # A revision sent after a report supersedes it: only the newest is up for review.
        ~sa.exists().where(
            col(_LATER.project_id) == col(ProgressEntry.project_id),
            col(_LATER.period) == col(ProgressEntry.period),
            col(_LATER.revision) > col(ProgressEntry.revision),
        ),
    ]
    if principal.role is Role.officer:
        conditions.append(col(Project.park_id) == principal.park_id)
    if query.park:
        conditions.append(col(Project.park_id).in_(query.park))
    if query.category:
        conditions.append(col(Project.category_id).in_(query.category))
    if query.period:
        conditions.append(col(ProgressEntry.period).in_(query.period))
    if query.project:
        conditions.append(col(Project.code).in_([c.upper() for c in query.project]))
    if query.unchanged is not None:
        conditions.append(col(ProgressEntry.unchanged).is_(query.unchanged))
    return conditions


def inbox(session: Session, *, query: InboxQuery, principal: Principal) -> Inbox:
    """A page of the reports waiting in `query.state`, oldest first by default."""
    conditions = _inbox_conditions(query, principal)
    joined = sa.join(
        ProgressEntry.__table__,  # type: ignore[attr-defined]
        Project.__table__,  # type: ignore[attr-defined]
        col(Project.id) == col(ProgressEntry.project_id),
    )
    # Counted up to a cap: a backlog past it reads "more than", not a scan of all of it.
    counted = sa.select(sa.literal(1)).select_from(joined).where(*conditions)
    total = session.execute(
        sa.select(sa.func.count()).select_from(counted.limit(INBOX_COUNT_CAP + 1).subquery())
    ).scalar_one()
    order: tuple[Any, ...] = (col(ProgressEntry.received_at), col(ProgressEntry.id))
    if query.sort is InboxSort.newest:
        order = (col(ProgressEntry.received_at).desc(), col(ProgressEntry.id).desc())
    rows = session.execute(
        sa.select(
            ProgressEntry,
            col(Project.code),
            col(Project.name),
            col(Project.park_id),
            col(Park.name),
            col(Project.category_id),
        )
        .join(Project, col(Project.id) == col(ProgressEntry.project_id))
        .join(Park, col(Park.id) == col(Project.park_id))
        .join(Category, col(Category.id) == col(Project.category_id))
        .where(*conditions)
        .order_by(*order)
        .limit(query.limit)
        .offset(query.offset)
    ).all()
    items = [
        InboxItem(
            **progress.to_public(entry, project_code=code).model_dump(),
            project_name=name,
            park_id=park_id,
            park_name=park_name,
            category=category,
        )
        for entry, code, name, park_id, park_name, category in rows
    ]
    return Inbox(
        state=query.state,
        items=items,
        total=min(total, INBOX_COUNT_CAP),
        total_exact=total <= INBOX_COUNT_CAP,
        limit=query.limit,
        offset=query.offset,
    )


def decide(
    session: Session, *, review: BulkApprove | BulkReturn, principal: Principal
) -> BulkReviewResult:
    """Approve or return every report named, all or nothing, each recorded on its own."""
    state = ReviewState.approved if review.decision is Decision.approve else ReviewState.returned
    items = progress.review_entries(
        session,
        entry_ids=review.entry_ids,
        principal=principal,
        decision=state,
        comment=review.comment,
    )
    return BulkReviewResult(decision=review.decision, state=state, items=items, total=len(items))


def review_log(session: Session, *, query: ReviewLogQuery, principal: Principal) -> ReviewLog:
    """Review actions matching the filters, newest first."""
    conditions: list[Any] = []
    if principal.role is Role.officer:
        conditions.append(col(Project.park_id) == principal.park_id)
    if query.project:
        conditions.append(col(Project.code).in_([c.upper() for c in query.project]))
    if query.park:
        conditions.append(col(Project.park_id).in_(query.park))
    if query.period:
        conditions.append(col(ReviewRecord.period).in_(query.period))
    if query.action:
        conditions.append(col(ReviewRecord.action).in_([a.value for a in query.action]))
    if query.actor:
        conditions.append(col(ReviewRecord.actor_name) == query.actor)
    base = sa.select(ReviewRecord, col(Project.code)).join(
        Project, col(Project.id) == col(ReviewRecord.project_id)
    )
    total = session.execute(
        sa.select(sa.func.count()).select_from(base.where(*conditions).subquery())
    ).scalar_one()
    rows = session.execute(
        base.where(*conditions)
        .order_by(col(ReviewRecord.id).desc())
        .limit(query.limit)
        .offset(query.offset)
    ).all()
    return ReviewLog(
        items=[_record_public(record, code) for record, code in rows],
        total=total,
        limit=query.limit,
        offset=query.offset,
    )


def _record_public(record: ReviewRecord, code: str) -> ReviewRecordPublic:
    assert record.id is not None
    return ReviewRecordPublic(
        id=record.id,
        project_code=code,
        period=record.period,
        entry_id=record.entry_id,
        action=record.action,  # type: ignore[arg-type]
        comment=record.comment,
        actor_name=record.actor_name,
        actor_role=record.actor_role,
        at=record.at,
    )


def reopen(
    session: Session, *, project: Project, period: str, principal: Principal, reason: str
) -> ReviewRecordPublic:
    """Reopen an approved period of a project to new reports."""
    record = progress.reopen_period(
        session, project=project, period=period, principal=principal, reason=reason
    )
    return _record_public(record, project.code)
