"""The read model of each project's current and official figures.

A project's figures (status, percent complete, investment to date, open blockers) are
those of its current entry. The current entry is the newest revision of the latest period
among the entries the caller's conditions keep (`entry_conditions` in
`app.progress.service` writes them on `NEWEST`): the entries that count (`counts`: every
entry not returned for the latest figures, approved ones only for the official figures),
and with `as_of` only the entries known by the end of that day. A project with no such
entry has not started.

The project row keeps the present figures in step with every report and review: the
latest in its own columns (`status`, `percent_complete`, …), the official in its
`official_…` columns. `present_state` reads those columns and no history; the other forms
look the current entry up in the history.

The forms here are portable; `app/progress/current_postgresql.py` holds PostgreSQL's form
of `current_state`; `app.db.ByDialect` chooses between them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.models import Category, Park, ProgressEntry, Project, ProjectStatus, ReviewState

# The entry a current-entry lookup considers; conditions on it come from the caller.
NEWEST = aliased(ProgressEntry, name="newest")


def counts(review_state: Any, *, official: bool) -> Any:
    """The rule of which entries may state a project's figures, on a `review_state` column:
    for the latest figures every entry a planner has not returned, for the official figures
    approved entries only. Every reader of the history (the current entry, the year
    openings, the moves) applies it."""
    if official:
        return review_state == ReviewState.approved.value
    return review_state != ReviewState.returned.value


def months_before(period: str, months: int) -> str:
    """The `YYYY-MM` period `months` before `period`."""
    year, month = divmod(int(period[:4]) * 12 + int(period[5:7]) - 1 - months, 12)
    return f"{year:04d}-{month + 1:02d}"


def walk_conditions(conditions: Sequence[Any], month: str | None) -> list[Any]:
    """`conditions` for a walk of the `project` row's entries, newest period first.

    With `month`, the walk starts at that period instead of stepping back through every
    later entry. The bound is written on (project_id, period) so that only the index led by
    the project can serve it: on `period` alone, the planner may range over the period
    index once per project when few entries are that old.
    """
    walk = [col(NEWEST.project_id) == col(Project.id), *conditions]
    if month is not None:
        walk.append(
            sa.tuple_(col(NEWEST.project_id), col(NEWEST.period))
            <= sa.tuple_(col(Project.id), sa.literal(month))
        )
    return walk


def current_entry_id(
    conditions: Sequence[Any], *, month: str | None = None
) -> sa.ScalarSelect[Any]:
    """The id of the `project` row's current entry among those `conditions` keep, or NULL.

    A report's period is the month of its `as_of`, so the entry with the latest `as_of`
    among each period's newest revision is the newest revision of the latest period: one
    descending walk of the (project_id, period, revision) index per project, stopping at
    the first entry that qualifies, instead of ranking the whole history. `month` is the
    latest period the conditions admit.
    """
    return (
        sa.select(col(NEWEST.id))
        .where(*walk_conditions(conditions, month))
        .order_by(col(NEWEST.period).desc(), col(NEWEST.revision).desc())
        .limit(1)
        .correlate(Project)
        .scalar_subquery()
    )


def current_entries(
    conditions: Sequence[Any],
    *,
    month: str | None = None,
    project_ids: Sequence[int] | sa.Select[Any] | None = None,
) -> sa.Subquery:
    """Per project (`project_id`, `entry_id`): its current entry among those `conditions` keep."""
    query = sa.select(
        col(Project.id).label("project_id"),
        current_entry_id(conditions, month=month).label("entry_id"),
    )
    if project_ids is not None:
        query = query.where(col(Project.id).in_(project_ids))
    return query.subquery()


@dataclass(frozen=True)
class ProjectState:
    """Each project's figures: from the entry `current` ranks first, or (None) its own row."""

    current: sa.FromClause | None
    entry: Any
    prefix: str = ""
    # Outer joins bringing in `entry`'s figures (PostgreSQL's LATERAL forms). Without them,
    # `current` joins by project id and the entry by `current.entry_id`.
    joins: tuple[tuple[sa.FromClause, Any], ...] = ()

    def _figure(self, name: str) -> Any:
        if self.current is None:
            return getattr(Project, f"{self.prefix}{name}")
        return getattr(self.entry, name)

    @property
    def status(self) -> Any:
        if self.current is None:
            return self._figure("status")
        # A project with no (approved) report by then has not started.
        return sa.func.coalesce(self.entry.status, sa.literal(ProjectStatus.pre_construction.value))

    @property
    def invested(self) -> Any:
        return self._figure("invested_to_date_wan")

    @property
    def percent(self) -> Any:
        return self._figure("percent_complete")

    @property
    def has_blocker(self) -> Any:
        if self.current is None:
            return self._figure("open_issues")
        return sa.func.coalesce(self.entry.has_issues, sa.false())

    def select_from(self, query: Any) -> Any:
        """Join projects to parks, categories and, if ranked, their current entries."""
        # Every project has a park and a category (NOT NULL foreign keys), so outer joins
        # keep the same rows, and both engines drop an outer join to a unique key whose
        # columns the query never reads.
        query = (
            query.select_from(Project)
            .outerjoin(Park, col(Park.id) == Project.park_id)
            .outerjoin(Category, col(Category.id) == Project.category_id)
        )
        if self.current is None:
            return query
        if self.joins:
            for table, onclause in self.joins:
                query = query.outerjoin(table, onclause)
            return query
        return query.outerjoin(self.current, self.current.c.project_id == Project.id).outerjoin(
            self.entry, self.entry.id == self.current.c.entry_id
        )


def project_state(current: sa.Subquery) -> ProjectState:
    """Wrap a `current_entries` subquery for joining."""
    return ProjectState(current=current, entry=aliased(ProgressEntry))


def current_state(
    conditions: Sequence[Any],
    *,
    month: str | None = None,
    whole_portfolio: bool = False,
) -> ProjectState:
    """Each project's current entry among those `conditions` (on `NEWEST`) keep, for joining.

    The portable form: `current_entries`, joined by id. SQLite has no LATERAL but always
    joins by nested loop, so it looks up one entry per project this way. `month` is the
    last period `conditions` admit; `whole_portfolio` (whether the caller reads every
    project) does not change this form.
    """
    return project_state(current_entries(conditions, month=month))


def present_state(prefix: str = "") -> ProjectState:
    """The present figures as each project row keeps them: no history is read.

    `prefix` picks the columns: none for the latest figures, `official_` for the official.
    """
    return ProjectState(current=None, entry=None, prefix=prefix)
