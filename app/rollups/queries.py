"""Every GROUP BY of the service: aggregates computed by the database."""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import LateralFromClause
from sqlmodel import Session, col

from app.models import Category, Park, ProgressEntry, Project, ProjectStatus


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


# Table 5 of the plan groups start years as "2019年以前", 2019, 2020, 2021.
FIRST_BUCKET_YEAR = 2019
BEFORE_FIRST_BUCKET = f"before_{FIRST_BUCKET_YEAR}"


def start_bucket_expr() -> sa.ColumnElement[str]:
    """A project's start-year bucket as table 5 prints them: `before_2019`, `2019`, …"""
    return sa.case(
        (col(Project.start_year) < FIRST_BUCKET_YEAR, sa.literal(BEFORE_FIRST_BUCKET)),
        else_=sa.cast(col(Project.start_year), sa.String),
    )


def construction_type_expr(reporting_year: int) -> sa.ColumnElement[str]:
    """新建 (`new`) if a project starts in the reporting year, 续建 (`continuing`) if before."""
    return sa.case(
        (col(Project.start_year) < reporting_year, sa.literal("continuing")),
        (col(Project.start_year) == reporting_year, sa.literal("new")),
        else_=sa.literal("planned"),
    )


# The entry a current-entry lookup considers; conditions on it come from the caller.
NEWEST = aliased(ProgressEntry, name="newest")


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
class Dimension:
    """A `by=` name: the SQL that groups by it, and the (aggregate) order of its groups."""

    key: Any
    order: Any
    label: Any | None = None


def dimensions(state: "ProjectState", reporting_year: int) -> dict[str, Dimension]:
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
    }


@dataclass(frozen=True)
class EntryFigures:
    """The figures a rollup takes from each project's current entry, as SQL expressions."""

    status: Any
    percent_complete: Any
    invested_to_date_wan: Any
    has_issues: Any


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
        # columns the query never reads: 100,000 rows less to hash for most rollups.
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


# An `as_of` rollup reads the entries of this many months, ending with the date's, in one
# range of the period index; at 100,000 projects reporting monthly that finds the current
# entry of 99.8% of them (a report is often received after its month is over).
RECENT_MONTHS = 3
_FIGURES = ("status", "percent_complete", "invested_to_date_wan", "has_issues")


def months_before(period: str, months: int) -> str:
    """The `YYYY-MM` period `months` before `period`."""
    year, month = divmod(int(period[:4]) * 12 + int(period[5:7]) - 1 - months, 12)
    return f"{year:04d}-{month + 1:02d}"


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
    dialect: str,
    month: str | None = None,
    whole_portfolio: bool = False,
) -> ProjectState:
    """Each project's current entry among those `conditions` (on `NEWEST`) keep, for joining.

    PostgreSQL gets the lookup as a LATERAL subquery holding the figures: joined by id instead,
    its planner hashes the whole history (2.3 million rows at 100,000 projects) rather than
    fetching one row per project. SQLite has no LATERAL but always joins by nested loop, so
    it takes the portable form of `current_entries`.

    `month` is the last period `conditions` admit. For the `whole_portfolio` PostgreSQL
    first takes the newest entry per project among the last `RECENT_MONTHS` periods, from
    one range of the period index, and walks a project's own index only for the few with no
    entry there: one walk per project, in the order of the rollup's grouping, had read most
    of that index from disk again for every date. A filtered part of the portfolio walks
    each of its projects, which is cheaper than reading every project's recent entries.
    """
    if dialect != "postgresql":
        return project_state(current_entries(conditions, month=month))
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


def present_state(prefix: str = "") -> ProjectState:
    """The present figures as each project row keeps them (`official_…`): no history is read."""
    return ProjectState(current=None, entry=None, prefix=prefix)


def measures(state: ProjectState, *, reference_year: float) -> list[Any]:
    """Aggregates per group; money stays exact integer sums.

    Each is written for the fewest operations per project row, which is where a rollup at
    100,000 projects spends its time: counts FILTER their rows instead of summing a CASE,
    and the schedule gap divides only where it must.
    """
    planned = col(Project.total_investment_wan)
    start, end = col(Project.start_year), col(Project.end_year)
    reference = sa.literal(reference_year, sa.Float)
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
    ]


# Measures that stay NULL where no project has a known progress (no schedule gap).
NULLABLE_MEASURES = frozenset({"gap_weighted", "gap_weight"})


@lru_cache
def measure_names() -> tuple[str, ...]:
    """The labels `measures` gives its aggregates, in order."""
    return tuple(m.name for m in measures(present_state(), reference_year=0.0))


def rollup(
    session: Session,
    *,
    state: ProjectState,
    group: Sequence[Dimension],
    conditions: Sequence[Any],
    reference_year: float,
) -> Sequence[sa.Row[Any]]:
    """Aggregate the filtered projects by the given dimensions (none: the grand total)."""
    keys = [d.key.label(f"key_{i}") for i, d in enumerate(group)]
    labels = [
        d.label.label(f"label_{i}") if d.label is not None else sa.null().label(f"label_{i}")
        for i, d in enumerate(group)
    ]
    query = state.select_from(
        sa.select(*keys, *labels, *measures(state, reference_year=reference_year))
    ).where(*conditions)
    if group:
        grouping = [d.key for d in group] + [d.label for d in group if d.label is not None]
        query = query.group_by(*grouping).order_by(*(d.order for d in group))
    return session.execute(query).all()


def rollups(
    session: Session,
    *,
    state: ProjectState,
    groupings: Sequence[Sequence[Dimension]],
    conditions: Sequence[Any],
    reference_year: float,
) -> list[list[dict[str, Any]]]:
    """Aggregate the filtered projects once per grouping, as `rollup` would, in one pass.

    Each grouping's rows name their own dimensions `key_0`, `label_0`, … PostgreSQL computes
    every grouping from one scan with GROUPING SETS, so the projects and, with `as_of`,
    their current entries are read once per request instead of once per grouping.
    """
    if session.get_bind().dialect.name != "postgresql":
        return [
            [
                dict(row._mapping)
                for row in rollup(
                    session,
                    state=state,
                    group=group,
                    conditions=conditions,
                    reference_year=reference_year,
                )
            ]
            for group in groupings
        ]
    dims: list[Dimension] = []
    for group in groupings:
        dims += [d for d in group if d not in dims]
    # First the finest groups, by hashing (a few hundred at most); then the groupings of the
    # request from those, with GROUPING SETS. Grouping the projects themselves by GROUPING
    # SETS sorted all of them, a third of an `as_of` rollup's time at 100,000 projects;
    # every measure is a count or a sum, so summing the groups' sums gives the same figures.
    finest = state.select_from(
        sa.select(
            *(d.key.label(f"key_{i}") for i, d in enumerate(dims)),
            *(d.label.label(f"label_{i}") for i, d in enumerate(dims) if d.label is not None),
            *(d.order.label(f"order_{i}") for i, d in enumerate(dims)),
            *measures(state, reference_year=reference_year),
        )
    ).where(*conditions)
    finest = finest.group_by(
        *(d.key for d in dims), *(d.label for d in dims if d.label is not None)
    ).subquery("finest")
    g = finest.c
    keys = [g[f"key_{i}"] for i in range(len(dims))]
    labels = [g[f"label_{i}"] for i, d in enumerate(dims) if d.label is not None]
    # GROUPING(k0, k1, …): bit set for each dimension a row is not grouped by.
    grouped = sa.func.grouping(*keys).label("grouping")
    # Within a grouping, groups come in the order of its dimensions' own order.
    orders = [
        sa.case((sa.func.grouping(key) == 0, sa.func.min(g[f"order_{i}"])), else_=None).label(
            f"order_{i}"
        )
        for i, key in enumerate(keys)
    ]
    totals = [
        sa.func.sum(g[name]).label(name)
        if name in NULLABLE_MEASURES
        else sa.cast(sa.func.coalesce(sa.func.sum(g[name]), 0), sa.BigInteger).label(name)
        for name in measure_names()
    ]

    def columns(dim: Dimension) -> list[Any]:
        i = dims.index(dim)
        return [g[f"key_{i}"], *([g[f"label_{i}"]] if dim.label is not None else [])]

    sets = [
        sa.tuple_(*(c for d in group for c in columns(d))) if group else sa.text("()")
        for group in groupings
    ]
    query = (
        sa.select(*keys, *labels, grouped, *orders, *totals)
        .select_from(finest)
        .group_by(sa.func.grouping_sets(*sets))
        .order_by(sa.literal_column("grouping"), *(sa.literal_column(o.name) for o in orders))
    )
    by_mask: dict[int, list[dict[str, Any]]] = {}
    for row in session.execute(query):
        by_mask.setdefault(row.grouping, []).append(dict(row._mapping))
    results = []
    for group in groupings:
        positions = [dims.index(d) for d in group]
        mask = sum(1 << (len(dims) - 1 - i) for i in range(len(dims)) if i not in positions)
        results.append(
            [
                {
                    **values,
                    **{f"key_{j}": values[f"key_{i}"] for j, i in enumerate(positions)},
                    **{f"label_{j}": values.get(f"label_{i}") for j, i in enumerate(positions)},
                }
                for values in by_mask.get(mask, [])
            ]
        )
    return results


def period_reports(period: str) -> sa.Subquery:
    """Per project: when its first report of `period` arrived, and if its newest was returned."""
    ranked = (
        sa.select(
            col(ProgressEntry.project_id).label("project_id"),
            col(ProgressEntry.received_at).label("received_at"),
            col(ProgressEntry.review_state).label("review_state"),
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
    """Per park (or in total): projects, how many reported, reported late, were returned."""
    reported = reports.c.first_received_at.is_not(None)
    keys = [col(Park.id), col(Park.name)] if by_park else [sa.null(), sa.null()]
    query = (
        sa.select(
            keys[0].label("park_id"),
            keys[1].label("park_name"),
            sa.func.count().label("project_count"),
            sa.func.coalesce(sa.func.sum(sa.case((reported, 1), else_=0)), 0).label("reported"),
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
