"""Reading progress history and the newest entry of each project."""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.models import ProgressEntry, Project, ProjectStatus
from app.progress.schemas import ProgressEntryPublic

# Newest first: by the date reported on, then by when it was received.
NEWEST_FIRST = (
    col(ProgressEntry.as_of).desc(),
    col(ProgressEntry.received_at).desc(),
    col(ProgressEntry.id).desc(),
)


def to_public(entry: ProgressEntry, *, project_code: str) -> ProgressEntryPublic:
    """Shape an entry for the API."""
    assert entry.id is not None
    return ProgressEntryPublic(
        id=entry.id,
        project_code=project_code,
        as_of=entry.as_of,
        period=entry.as_of.strftime("%Y-%m"),
        status=ProjectStatus(entry.status),
        percent_complete=entry.percent_complete,
        invested_to_date_wan=entry.invested_to_date_wan,
        note=entry.note,
        issues=entry.issues,
        is_baseline=entry.is_baseline,
        reporter_name=entry.reporter_name,
        reporter_role=entry.reporter_role,
        received_at=entry.received_at,
    )


def list_history(session: Session, *, project: Project) -> Sequence[ProgressEntry]:
    """Return a project's entries, newest first."""
    query = select(ProgressEntry).where(ProgressEntry.project_id == project.id)
    return session.exec(query.order_by(*NEWEST_FIRST)).all()


def latest_entries(session: Session, *, project_ids: Sequence[int]) -> dict[int, ProgressEntry]:
    """Return the newest entry of each given project, in one query."""
    if not project_ids:
        return {}
    ranked = (
        sa.select(
            col(ProgressEntry.id).label("id"),
            sa.func.row_number()
            .over(partition_by=col(ProgressEntry.project_id), order_by=NEWEST_FIRST)
            .label("rank"),
        )
        .where(col(ProgressEntry.project_id).in_(project_ids))
        .subquery()
    )
    newest = select(ProgressEntry).join(ranked, ranked.c.id == ProgressEntry.id)
    entries = session.exec(newest.where(ranked.c.rank == 1)).all()
    return {entry.project_id: entry for entry in entries if entry.project_id is not None}
