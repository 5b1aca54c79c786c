"""PostgreSQL's form of the current-figures lookup, with the signature of its portable form.

`app.db.ByDialect` chooses it on PostgreSQL instead of `app.progress.current.current_state`.
"""

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.sql.selectable import LateralFromClause
from sqlmodel import col

from app.models import Project
from app.progress.current import NEWEST, ProjectState, months_before, walk_conditions

# An `as_of` rollup of the whole portfolio reads the entries of this many months, ending
# with the date's, in one range of the period index (a report is often received after its
# month is over); only projects with no entry there walk their own index.
RECENT_MONTHS = 3
_FIGURES = ("status", "percent_complete", "invested_to_date_wan", "has_issues")


def _newest_lateral(conditions: Sequence[Any], month: str | None, name: str) -> LateralFromClause:
    """Per project, the figures of its newest entry that `conditions` keep, walking its index."""
    # Only the figures, which the index carries: the walk never reads the table.
    return (
        sa.select(*(getattr(NEWEST, f) for f in _FIGURES))
        .where(*walk_conditions(conditions, month))
        .order_by(col(NEWEST.period).desc(), col(NEWEST.revision).desc())
        .limit(1)
        .lateral(name)
    )


def current_state(
    conditions: Sequence[Any],
    *,
    month: str | None = None,
    whole_portfolio: bool = False,
) -> ProjectState:
    """Each project's current entry among those `conditions` (on `NEWEST`) keep, for joining.

    The lookup is a LATERAL subquery holding the figures: joined by id instead, the planner
    hashes the whole history rather than fetching one row per project.

    `month` is the last period `conditions` admit. For the `whole_portfolio` this first
    takes the newest entry per project among the last `RECENT_MONTHS` periods, from one
    range of the period index, and walks a project's own index only for the few with no
    entry there: one range read serves most projects instead of an index descent each. A
    filtered part of the portfolio walks each of its projects, which is cheaper than reading
    every project's recent entries.
    """
    if month is None or not whole_portfolio:
        newest = _newest_lateral(conditions, month, "current_entry")
        return ProjectState(current=newest, entry=newest.c, joins=((newest, sa.true()),))
    first = months_before(month, RECENT_MONTHS - 1)
    recent = (
        sa.select(col(NEWEST.project_id), *(getattr(NEWEST, f) for f in _FIGURES))
        .where(*conditions, col(NEWEST.period).between(first, month))
        .ext(distinct_on(col(NEWEST.project_id)))
        .order_by(col(NEWEST.project_id), col(NEWEST.period).desc(), col(NEWEST.revision).desc())
        .subquery("recent_entry")
    )
    found = recent.c.project_id.is_not(None)
    # Evaluated before the walk, `~found` spares it for every project found above.
    older = _newest_lateral([*conditions, ~found], month, "older_entry")
    figures = SimpleNamespace(
        **{f: sa.case((found, recent.c[f]), else_=older.c[f]) for f in _FIGURES}
    )
    # Both join the rollup's own scan of `project`, so the walks go in the order the projects
    # are read, before any grouping.
    return ProjectState(
        current=recent,
        entry=figures,
        joins=((recent, recent.c.project_id == col(Project.id)), (older, sa.true())),
    )
