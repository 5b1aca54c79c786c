"""Every GROUP BY of the service: aggregates computed by the database.

These forms are portable; `app/rollups/queries_postgresql.py` holds PostgreSQL's form of
`aggregate_groupings`, with the same signature; `app.db.ByDialect` chooses between them. Each
project's figures come from the read model of `app.progress.current`.
"""

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.util import ClauseAdapter
from sqlmodel import Session, col

from app.blockers.queries import PER_PROJECT
from app.models import (
    Category,
    Milestone,
    MilestoneKind,
    Park,
    ProgressEntry,
    Project,
    ProjectStatus,
    ProjectYear,
)
from app.progress import years
from app.progress.current import ProjectState, present_state
from app.projects.derived import construction_type_expr, start_bucket_expr


def project_totals_by(column: Any) -> sa.Subquery:
    """Project count and planned investment per value of a `project` column."""
    return (
        sa.select(
            column.label("key"),
            sa.func.count().label("project_count"),
            sa.func.sum(col(Project.total_investment_wan)).label("total_investment_wan"),
        )
        .where(col(Project.archived_at).is_(None))
        .group_by(column)
        .subquery()
    )


def active_projects() -> list[Any]:
    """The condition every rollup shares: archived projects are left out."""
    return [col(Project.archived_at).is_(None)]


@dataclass(frozen=True)
class Dimension:
    """A `by=` name: the SQL that groups by it, and the (aggregate) order of its groups."""

    key: Any
    order: Any
    label: Any | None = None


def dimensions(state: ProjectState, reporting_year: int) -> dict[str, Dimension]:
    """The whitelist of `by=` names and their SQL."""
    earliest_start = sa.func.min(col(Project.start_year))
    status_order = sa.case(
        *((state.status == s.value, i) for i, s in enumerate(ProjectStatus)), else_=99
    )
    return {
        "park": Dimension(col(Project.park_id), sa.func.min(col(Park.position)), col(Park.name)),
        "category": Dimension(
            col(Project.category_id), sa.func.min(col(Category.position)), col(Category.name)
        ),
        "start_year": Dimension(col(Project.start_year), earliest_start),
        "start_bucket": Dimension(start_bucket_expr(), earliest_start),
        "status": Dimension(state.status, sa.func.min(status_order)),
        "tier": Dimension(
            col(Park.tier), sa.func.min(sa.case((col(Park.tier) == "demonstration", 0), else_=1))
        ),
        "construction_type": Dimension(construction_type_expr(reporting_year), earliest_start),
        # By name; the projects without one (an empty name) first.
        "unit": Dimension(
            col(Project.responsible_unit), sa.func.min(col(Project.responsible_unit))
        ),
        "leader": Dimension(col(Project.leader), sa.func.min(col(Project.leader))),
    }


# The verdict on a year's progress: behind (滞后) when the year's completion rate trails the
# share of the year elapsed (序时进度) by more than this many percentage points, ahead (超前)
# when it leads by more, on schedule (正常) in between.
VERDICT_MARGIN_PCT = 5.0


def elapsed_share(day: date, year: int) -> float:
    """序时进度 of `year` at the end of `day` (0–1): whole months elapsed, plus the elapsed
    days of `day`'s month as a share of that month, over twelve; so N/12 at the end of month N."""
    if day.year < year:
        return 0.0
    if day.year > year:
        return 1.0
    next_month = date(year + day.month // 12, day.month % 12 + 1, 1)
    days_in_month = (next_month - date(year, day.month, 1)).days
    return (day.month - 1 + day.day / days_in_month) / 12


_THIS_YEAR = sa.alias(ProjectYear.__table__, "this_year")  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Frame:
    """When the measures are taken: the calendar `year` of the year's measures, the `day`
    they are seen at, and `prefix` of the opening figures (`official_` for official ones)."""

    year: int
    day: date
    prefix: str = ""

    @property
    def reference_year(self) -> float:
        """The end of `day` as a fractional year, e.g. 2020-12-31 -> 2021.0."""
        days_in_year = (date(self.day.year + 1, 1, 1) - date(self.day.year, 1, 1)).days
        return self.day.year + self.day.timetuple().tm_yday / days_in_year

    @property
    def project_year(self) -> Any:
        """The `project_year` rows of `year`, joined to each project."""
        return _THIS_YEAR

    def join(self, query: Any) -> Any:
        """`query` with each project's row of the year (plan and openings) and its blockers'
        counts (`app.blockers.queries.PER_PROJECT`), where it has them."""
        this_year = self.project_year
        return query.outerjoin(
            this_year,
            sa.and_(this_year.c.project_id == col(Project.id), this_year.c.year == self.year),
        ).outerjoin(PER_PROJECT, PER_PROJECT.c.project_id == col(Project.id))


def measures(state: ProjectState, frame: Frame) -> list[Any]:
    """Aggregates per group; money stays exact integer sums.

    Each is written for the fewest operations per project row, which is where a rollup
    spends its time: counts FILTER their rows instead of summing a CASE, and the schedule
    gap divides only where it must.
    """
    planned = col(Project.total_investment_wan)
    start, end = col(Project.start_year), col(Project.end_year)
    reference = sa.literal(frame.reference_year, sa.Float)
    # 序时进度: the share of the construction years elapsed at the reference date, compared
    # in whole years first so that only projects under way pay for the division.
    expected = sa.case(
        (reference < start, 0.0),
        (reference > end + 1, 1.0),
        else_=(reference - start) / sa.cast(end - start + 1, sa.Float),
    )
    weight = sa.cast(planned, sa.Float)
    # The reported share of the work, weighted by the planned investment: the percentage
    # reported, or else the investment reported (its share of the plan, times the plan).
    known = sa.or_(state.percent.is_not(None), sa.and_(state.invested.is_not(None), planned > 0))
    reported = sa.case(
        (state.percent.is_not(None), weight * sa.cast(state.percent, sa.Float) / 100),
        else_=sa.cast(state.invested, sa.Float),
    )
    # The year's measures, from the project's row of the year (`frame.join`).
    this_year = frame.project_year.c
    year_planned = this_year.planned_investment_wan
    # 1–N 月完成投资: investment to date minus the year's opening; a project with no entry in
    # the year and no plan for it has no row of it, and did not move.
    year_invested = sa.case(
        (this_year.project_id.is_(None), 0),
        else_=state.invested
        - sa.func.coalesce(this_year[f"{frame.prefix}opening_invested_wan"], 0),
    )
    elapsed = 100 * elapsed_share(frame.day, frame.year)
    # A planned project's own rate against 序时进度, compared without dividing: invested
    # over planned above (elapsed ± margin) / 100.
    with_plan = year_planned > 0
    invested_or_zero = sa.func.coalesce(year_invested, 0)

    def rate_above(pct: float) -> Any:
        return sa.and_(with_plan, invested_or_zero * 100 > year_planned * pct)

    def rate_below(pct: float) -> Any:
        return sa.and_(with_plan, invested_or_zero * 100 < year_planned * pct)

    started = sa.and_(this_year.planned_start, col(Project.started_on) <= frame.day)
    completed = sa.and_(this_year.planned_completion, col(Project.completed_on) <= frame.day)
    finished = state.status.in_([ProjectStatus.completed.value, ProjectStatus.cancelled.value])
    return [
        sa.func.count().label("project_count"),
        sa.func.coalesce(sa.func.sum(planned), 0).label("total_investment_wan"),
        sa.func.coalesce(sa.func.sum(state.invested), 0).label("invested_to_date_wan"),
        *(
            sa.func.count().filter(state.status == s.value).label(f"count_{s.value}")
            for s in ProjectStatus
        ),
        sa.func.count().filter(state.has_blocker).label("open_blockers"),
        sa.func.sum(weight * expected - reported).filter(known).label("gap_weighted"),
        sa.func.sum(weight).filter(known).label("gap_weight"),
        sa.func.coalesce(sa.func.sum(year_planned), 0).label("year_planned_investment_wan"),
        sa.func.coalesce(sa.func.sum(year_invested), 0).label("year_invested_wan"),
        sa.func.count().filter(with_plan).label("year_planned_projects"),
        sa.func.count().filter(rate_above(elapsed + VERDICT_MARGIN_PCT)).label("projects_ahead"),
        sa.func.count().filter(rate_below(elapsed - VERDICT_MARGIN_PCT)).label("projects_behind"),
        sa.func.count().filter(this_year.planned_start).label("planned_starts"),
        sa.func.count().filter(started).label("actual_starts"),
        sa.func.count().filter(this_year.planned_completion).label("planned_completions"),
        sa.func.count().filter(completed).label("actual_completions"),
        sa.func.count().filter(end < frame.day.year, ~finished).label("overdue"),
        # The 问题清单 as it stands today (`app.blockers`), summed over the group's projects.
        *(
            sa.func.coalesce(sa.func.sum(PER_PROJECT.c[name]), 0).label(f"blockers_{name}")
            for name in ("raised", "resolved", "overdue")
        ),
    ]


# Measures that stay NULL where no project has a known progress (no schedule gap).
NULLABLE_MEASURES = frozenset({"gap_weighted", "gap_weight"})


@lru_cache
def measure_names() -> tuple[str, ...]:
    """The labels `measures` gives its aggregates, in order."""
    return tuple(m.name for m in measures(present_state(), Frame(year=2000, day=date(2000, 1, 1))))


def aggregate(
    session: Session,
    *,
    state: ProjectState,
    group: Sequence[Dimension],
    conditions: Sequence[Any],
    frame: Frame,
) -> Sequence[sa.Row[Any]]:
    """Aggregate the filtered projects by the given dimensions (none: the grand total)."""
    keys = [d.key.label(f"key_{i}") for i, d in enumerate(group)]
    labels = [
        d.label.label(f"label_{i}") if d.label is not None else sa.null().label(f"label_{i}")
        for i, d in enumerate(group)
    ]
    query = frame.join(state.select_from(sa.select(*keys, *labels, *measures(state, frame)))).where(
        *conditions
    )
    if group:
        grouping = [d.key for d in group] + [d.label for d in group if d.label is not None]
        query = query.group_by(*grouping).order_by(*(d.order for d in group))
    return session.execute(query).all()


def aggregate_groupings(
    session: Session,
    *,
    state: ProjectState,
    groupings: Sequence[Sequence[Dimension]],
    conditions: Sequence[Any],
    frame: Frame,
) -> list[list[dict[str, Any]]]:
    """Aggregate the filtered projects once per grouping, as `aggregate` would.

    Each grouping's rows name their own dimensions `key_0`, `label_0`, … The portable form
    sends one statement per grouping: SQLite has no GROUPING SETS.
    """
    return [
        [
            dict(row._mapping)
            for row in aggregate(
                session,
                state=state,
                group=group,
                conditions=conditions,
                frame=frame,
            )
        ]
        for group in groupings
    ]


def period_reports(period: str) -> sa.Subquery:
    """Per project: when its first report of `period` arrived, and if its newest was returned
    or unchanged (repeating the figures before without the officer confirming it)."""
    ranked = (
        sa.select(
            col(ProgressEntry.project_id).label("project_id"),
            col(ProgressEntry.received_at).label("received_at"),
            col(ProgressEntry.review_state).label("review_state"),
            col(ProgressEntry.unchanged).label("unchanged"),
            sa.func.row_number()
            .over(
                partition_by=col(ProgressEntry.project_id),
                order_by=col(ProgressEntry.revision).desc(),
            )
            .label("newest"),
        )
        .where(col(ProgressEntry.period) == period, sa.not_(col(ProgressEntry.is_baseline)))
        .subquery()
    )
    returned = sa.and_(ranked.c.newest == 1, ranked.c.review_state == "returned")
    return (
        sa.select(
            ranked.c.project_id,
            sa.func.min(ranked.c.received_at).label("first_received_at"),
            sa.func.max(sa.case((returned, 1), else_=0)).label("returned"),
            sa.func.max(
                sa.case((sa.and_(ranked.c.newest == 1, ranked.c.unchanged), 1), else_=0)
            ).label("unchanged"),
        )
        .group_by(ranked.c.project_id)
        .subquery()
    )


def compliance_by_park(
    session: Session,
    *,
    reports: sa.Subquery,
    due: Any,
    conditions: Sequence[Any],
    by_park: bool = True,
) -> Sequence[sa.Row[Any]]:
    """Per park (or in total): projects, how many reported something, sent an unchanged
    report, reported late, were returned."""
    unchanged = reports.c.unchanged == 1
    reported = sa.and_(reports.c.first_received_at.is_not(None), ~unchanged)
    keys = [col(Park.id), col(Park.name)] if by_park else [sa.null(), sa.null()]
    query = (
        sa.select(
            keys[0].label("park_id"),
            keys[1].label("park_name"),
            sa.func.count().label("project_count"),
            sa.func.coalesce(sa.func.sum(sa.case((reported, 1), else_=0)), 0).label("reported"),
            sa.func.coalesce(sa.func.sum(sa.case((unchanged, 1), else_=0)), 0).label("unchanged"),
            sa.func.coalesce(
                sa.func.sum(sa.case((reports.c.first_received_at >= due, 1), else_=0)), 0
            ).label("late"),
            sa.func.coalesce(sa.func.sum(sa.func.coalesce(reports.c.returned, 0)), 0).label(
                "returned"
            ),
        )
        .select_from(Project)
        .join(Park, col(Park.id) == Project.park_id)
        .outerjoin(reports, reports.c.project_id == Project.id)
        .where(*conditions)
    )
    if by_park:
        query = query.group_by(col(Park.id), col(Park.name), col(Park.position)).order_by(
            col(Park.position)
        )
    return session.execute(query).all()


def changes_by(
    session: Session,
    *,
    before: ProjectState,
    after: ProjectState,
    group: Sequence[Dimension],
    conditions: Sequence[Any],
) -> Sequence[sa.Row[Any]]:
    """Per group: projects whose status moved between two states, and investment added."""
    assert before.current is not None, "the earlier state is always ranked from history"
    was, now = before.status, after.status
    started = sa.and_(
        was == ProjectStatus.pre_construction.value,
        now.in_([ProjectStatus.under_construction.value, ProjectStatus.completed.value]),
    )

    def moved_to(status: ProjectStatus) -> Any:
        return sa.and_(now == status.value, was != status.value)

    def count(condition: Any) -> Any:
        return sa.func.count().filter(condition)

    added = sa.func.coalesce(after.invested, 0) - sa.func.coalesce(before.invested, 0)
    keys = [d.key.label(f"key_{i}") for i, d in enumerate(group)]
    labels = [
        d.label.label(f"label_{i}") if d.label is not None else sa.null().label(f"label_{i}")
        for i, d in enumerate(group)
    ]
    query = (
        after.select_from(
            sa.select(
                *keys,
                *labels,
                sa.func.count().label("project_count"),
                count(started).label("started"),
                count(moved_to(ProjectStatus.completed)).label("completed"),
                count(moved_to(ProjectStatus.suspended)).label("suspended"),
                count(moved_to(ProjectStatus.cancelled)).label("cancelled"),
                sa.func.coalesce(sa.func.sum(added), 0).label("investment_added_wan"),
            )
        )
        .outerjoin(before.current, before.current.c.project_id == Project.id)
        .outerjoin(before.entry, before.entry.id == before.current.c.entry_id)
        .where(*conditions)
    )
    if group:
        grouping = [d.key for d in group] + [d.label for d in group if d.label is not None]
        query = query.group_by(*grouping).order_by(*(d.order for d in group))
    return session.execute(query).all()


def blockers_by_park(
    session: Session, *, state: ProjectState, conditions: Sequence[Any]
) -> Sequence[sa.Row[Any]]:
    """Per park: projects whose current report names blockers."""
    has_blocker = state.has_blocker
    query = (
        state.select_from(
            sa.select(
                col(Park.id).label("park_id"),
                col(Park.name).label("park_name"),
                sa.func.count().label("open_blockers"),
            )
        )
        .where(*conditions, has_blocker)
        .group_by(col(Park.id), col(Park.name), col(Park.position))
        .order_by(col(Park.position))
    )
    return session.execute(query).all()


class Interval(enum.StrEnum):
    """The periods of a series."""

    month = "month"
    quarter = "quarter"


def bucket(year: Any, month: Any, interval: Interval) -> Any:
    """A period's number, counting from year 0: months, or quarters."""
    if interval is Interval.month:
        return year * 12 + month - 1
    return year * 4 + (month - 1) // 3


def _group_columns(group: Sequence[Dimension]) -> list[Any]:
    # A label follows from its key: grouped by the keys alone, the planner's estimate of the
    # groups stays the product of the keys' own, and it hashes them.
    return [
        *(d.key.label(f"key_{i}") for i, d in enumerate(group)),
        *(
            (sa.func.min(d.label) if d.label is not None else sa.null()).label(f"label_{i}")
            for i, d in enumerate(group)
        ),
        *(d.order.label(f"order_{i}") for i, d in enumerate(group)),
    ]


def _grouped(query: Any, period: Any, group: Sequence[Dimension]) -> Any:
    return query.group_by(period, *(d.key for d in group))


def series_of_reports(
    session: Session,
    *,
    entry_conditions: Sequence[Any],
    opening_prefix: str,
    interval: Interval,
    first_period: str,
    last_period: str,
    group: Sequence[Dimension],
    conditions: Sequence[Any],
) -> Sequence[sa.Row[Any]]:
    """Per period of the series and group: projects resumed (复工: reported under construction
    after a period reported suspended) and investment completed (the rise of investment to
    date over the project's amount before).

    Only the entries from January of the first period's year on are read, in one pass in
    the order of the project index: each project's counting entries (a period's newest
    revision among those `entry_conditions`, on `progress_entry`, keep) compared with the one
    before; the first of a year with the year's opening (`project_year`, by
    `opening_prefix`).
    """
    first_of_year = f"{first_period[:4]}-01"

    def kept(entry: Any) -> list[Any]:
        return [
            entry.c.period.between(first_of_year, last_period),
            *(ClauseAdapter(entry).traverse(condition) for condition in entry_conditions),
        ]

    compared = years.compared_entries(kept, "compared")
    opening = sa.alias(ProjectYear.__table__, "opening")  # type: ignore[attr-defined]
    year = sa.cast(sa.func.substr(compared.c.period, 1, 4), sa.Integer)
    first_of_window = compared.c.nth == 1
    status_before = sa.case(
        (first_of_window, opening.c[f"{opening_prefix}opening_status"]),
        else_=compared.c.status_before,
    )
    invested_before = sa.case(
        (first_of_window, opening.c[f"{opening_prefix}opening_invested_wan"]),
        else_=compared.c.invested_before,
    )
    period = bucket(year, sa.cast(sa.func.substr(compared.c.period, 6, 2), sa.Integer), interval)
    period = period.label("bucket")
    added, resumed = years.move(
        compared.c.status,
        compared.c.invested_to_date_wan,
        status_before=status_before,
        invested_before=invested_before,
    )
    query = (
        present_state()
        .select_from(
            sa.select(
                period,
                *_group_columns(group),
                sa.func.count().filter(resumed).label("resumed"),
                sa.func.coalesce(sa.func.sum(added), 0).label("invested_wan"),
            )
        )
        .join(compared, compared.c.project_id == col(Project.id))
        .outerjoin(
            opening,
            sa.and_(
                opening.c.project_id == compared.c.project_id,
                opening.c.year == year,
                # Only the openings of the series' years: the hash holds those alone.
                opening.c.year.between(int(first_period[:4]), int(last_period[:4])),
            ),
        )
        .where(compared.c.period >= first_period, *conditions)
    )
    return session.execute(_grouped(query, period, group)).all()


def series_of_moves(
    session: Session,
    *,
    prefix: str,
    interval: Interval,
    first_period: str,
    last_period: str,
    group: Sequence[Dimension],
    conditions: Sequence[Any],
) -> Sequence[sa.Row[Any]]:
    """`series_of_reports` for the present: the same figures summed from each entry's
    stored move (`app.progress.years`; `prefix` `official_` for the official figures), one
    range of the period index with no window over the history."""
    entry = ProgressEntry.__table__  # type: ignore[attr-defined]
    added = entry.c[f"{prefix}invested_added_wan"]
    resumed = entry.c[f"{prefix}resumed"]
    # Per month first, on the period as stored; the months' periods after, a few rows.
    per_month = _grouped(
        present_state()
        .select_from(
            sa.select(
                entry.c.period,
                *_group_columns(group),
                sa.func.count().filter(resumed).label("resumed"),
                sa.func.coalesce(sa.func.sum(added), 0).label("invested_wan"),
            )
        )
        .join(entry, entry.c.project_id == col(Project.id))
        .where(entry.c.period.between(first_period, last_period), *conditions),
        entry.c.period,
        group,
    ).subquery("per_month")
    m = per_month.c
    period = bucket(
        sa.cast(sa.func.substr(m.period, 1, 4), sa.Integer),
        sa.cast(sa.func.substr(m.period, 6, 2), sa.Integer),
        interval,
    ).label("bucket")
    keys = [m[f"key_{i}"] for i in range(len(group))]
    labels = [m[f"label_{i}"] for i in range(len(group))]
    query = sa.select(
        period,
        *keys,
        *labels,
        *(sa.func.min(m[f"order_{i}"]).label(f"order_{i}") for i in range(len(group))),
        sa.func.sum(m.resumed).label("resumed"),
        sa.func.sum(m.invested_wan).label("invested_wan"),
    ).group_by(period, *keys, *labels)
    return session.execute(query).all()


def series_of_milestones(
    session: Session,
    *,
    interval: Interval,
    first_day: date,
    last_day: date,
    recorded_before: Any | None,
    group: Sequence[Dimension],
    conditions: Sequence[Any],
) -> Sequence[sa.Row[Any]]:
    """Per period of the series and group: projects started (开工), completed (竣工) and
    commissioned (投产), by the actual dates of those milestones."""
    actual = col(Milestone.actual_date)
    period = bucket(sa.extract("year", actual), sa.extract("month", actual), interval).label(
        "bucket"
    )
    kind = col(Milestone.kind)
    query = (
        present_state()
        .select_from(
            sa.select(
                period,
                *_group_columns(group),
                sa.func.count().filter(kind == MilestoneKind.start.value).label("started"),
                sa.func.count().filter(kind == MilestoneKind.completion.value).label("completed"),
                sa.func.count().filter(kind == MilestoneKind.operation.value).label("commissioned"),
            )
        )
        .join(Milestone, col(Milestone.project_id) == col(Project.id))
        .where(
            kind.in_([MilestoneKind.start, MilestoneKind.completion, MilestoneKind.operation]),
            actual.between(first_day, last_day),
            *conditions,
        )
    )
    if recorded_before is not None:
        query = query.where(col(Milestone.actual_recorded_at) < recorded_before)
    return session.execute(_grouped(query, period, group)).all()
