"""What the history derives, kept beside it: each project's year openings (the investment to
date and status it opened each year with) and each entry's move (investment added, 复工).

The year's completed investment (1–N 月完成投资) is the investment to date at a day minus
the investment to date at the end of the year before. So that a rollup of the present reads
one row per project for the second figure, `project_year` keeps it for every year in which
the project has an entry: the figure of the entry that was current at the end of the year
before (the newest revision of the latest earlier period), among the entries that count
(`app.progress.current.counts`: not returned for the latest figures, approved for the
official); NULL where no earlier entry states
an amount. A project with no entry in a year did not move in it.

A series of the present sums, per period, what each entry moved: where it counts (the
newest revision of its period among the entries that count, as above), the rise
of its investment to date over the largest amount before it (investment to date never
falls, so that is the last one stated; a first amount counts whole) and whether it is under
construction after a period suspended. `progress_entry` keeps these (`invested_added_wan`,
`resumed` and their `official_` twins), NULL and false where an entry does not count.

`history_statements` recomputes both from the history, for the projects a condition on
`project_year.project_id`/`progress_entry.project_id` keeps; every writer of history (a
report, a review, the seed, a synthetic portfolio) runs them after writing, under the
project's lock where there is one; the migrations that added each ran them once.
"""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from app.models import ProgressEntry, ProjectStatus, ProjectYear
from app.progress.current import counts

_ENTRY = ProgressEntry.__table__  # type: ignore[attr-defined]
_YEAR = ProjectYear.__table__  # type: ignore[attr-defined]

Which = Callable[[Any], Any]


def _entry_year(period: Any) -> Any:
    return sa.cast(sa.func.substr(period, 1, 4), sa.Integer)


def _opening(column: str, *, approved: bool) -> sa.ScalarSelect[Any]:
    """A figure of the entry current at the end of the year before `project_year`'s."""
    earlier = _ENTRY.alias("earlier")
    first_period = sa.cast(_YEAR.c.year, sa.String) + sa.literal("-01")
    conditions = [
        earlier.c.project_id == _YEAR.c.project_id,
        earlier.c.period < first_period,
        counts(earlier.c.review_state, official=approved),
    ]
    return (
        sa.select(earlier.c[column])
        .where(*conditions)
        .order_by(earlier.c.period.desc(), earlier.c.revision.desc())
        .limit(1)
        .scalar_subquery()
    )


def opening_statements(which: Which) -> tuple[sa.Insert, sa.Update]:
    """The two statements refreshing the openings of the projects `which(project_id)` keeps.

    The first adds the `project_year` rows of years with entries that have none yet; the
    second recomputes the openings of every row of those projects.
    """
    years = (
        sa.select(_ENTRY.c.project_id, _entry_year(_ENTRY.c.period).label("year"))
        .where(which(_ENTRY.c.project_id))
        .distinct()
        .subquery("entry_years")
    )
    missing = sa.select(
        years.c.project_id,
        years.c.year,
        sa.literal(0),
        sa.literal(""),
        sa.false(),
        sa.false(),
        sa.literal(1),
        sa.func.current_timestamp(),
    ).where(
        ~sa.exists().where(_YEAR.c.project_id == years.c.project_id, _YEAR.c.year == years.c.year)
    )
    insert = sa.insert(_YEAR).from_select(
        [
            "project_id",
            "year",
            "plan_revision",
            "target",
            "planned_start",
            "planned_completion",
            "version",
            "updated_at",
        ],
        missing,
    )
    update = (
        sa.update(_YEAR)
        .where(which(_YEAR.c.project_id))
        .values(
            opening_invested_wan=_opening("invested_to_date_wan", approved=False),
            official_opening_invested_wan=_opening("invested_to_date_wan", approved=True),
            opening_status=_opening("status", approved=False),
            official_opening_status=_opening("status", approved=True),
        )
    )
    return insert, update


# The entry columns `moves_statement` writes; an entry is inserted without them.
MOVE_COLUMNS = frozenset(
    {"invested_added_wan", "resumed", "official_invested_added_wan", "official_resumed"}
)


def compared_entries(conditions: Callable[[Any], list[Any]], name: str) -> sa.Subquery:
    """Each counting entry (the newest revision of its period) among the entries
    `conditions(entry)` keep, with the status and investment to date before it: `id`,
    `project_id`, `period`, `status`, `invested_to_date_wan`, `status_before`,
    `invested_before` (NULL before a project's first) and `nth`, its place in the project's
    counting entries kept."""
    entry = _ENTRY.alias(f"{name}_entry")
    ranked = (
        sa.select(
            entry.c.id,
            entry.c.project_id,
            entry.c.period,
            entry.c.status,
            entry.c.invested_to_date_wan,
            sa.func.lead(entry.c.period)
            .over(partition_by=entry.c.project_id, order_by=(entry.c.period, entry.c.revision))
            .label("next_period"),
        )
        .where(*conditions(entry))
        .subquery(f"{name}_ranked")
    )
    counting = (
        sa.select(ranked)
        .where(sa.or_(ranked.c.next_period.is_(None), ranked.c.next_period != ranked.c.period))
        .subquery(f"{name}_counting")
    )
    project, in_order = counting.c.project_id, counting.c.period
    return sa.select(
        counting.c.id,
        counting.c.project_id,
        counting.c.period,
        counting.c.status,
        counting.c.invested_to_date_wan,
        sa.func.lag(counting.c.status)
        .over(partition_by=project, order_by=in_order)
        .label("status_before"),
        # Investment to date never falls, so the largest earlier amount is the last one.
        sa.func.max(counting.c.invested_to_date_wan)
        .over(partition_by=project, order_by=in_order, rows=(None, -1))
        .label("invested_before"),
        sa.func.row_number().over(partition_by=project, order_by=in_order).label("nth"),
    ).subquery(name)


def move(
    status: Any, invested: Any, *, status_before: Any, invested_before: Any
) -> tuple[Any, Any]:
    """The rule of a counting entry's move: the investment it added over the amount before it
    (a first amount counts whole) and whether it resumed (复工: under construction after a
    period suspended)."""
    added = invested - sa.func.coalesce(invested_before, 0)
    resumed = sa.and_(
        status == ProjectStatus.under_construction.value,
        status_before == ProjectStatus.suspended.value,
    )
    return added, resumed


def _moves(which: Which, *, approved: bool) -> sa.Subquery:
    """Each counting entry's id, investment added and resumption, among the entries of the
    projects `which(project_id)` keeps (approved ones only if `approved`)."""

    def conditions(entry: Any) -> list[Any]:
        return [which(entry.c.project_id), counts(entry.c.review_state, official=approved)]

    name = "official_moves" if approved else "moves"
    compared = compared_entries(conditions, f"{name}_compared")
    added, resumed = move(
        compared.c.status,
        compared.c.invested_to_date_wan,
        status_before=compared.c.status_before,
        invested_before=compared.c.invested_before,
    )
    return sa.select(
        compared.c.id,
        added.label("added"),
        sa.case((resumed, sa.true()), else_=sa.false()).label("resumed"),
    ).subquery(name)


def moves_statement(which: Which) -> sa.Update:
    """The statement recomputing the moves of the entries of the projects `which` keeps,
    writing only the entries whose moves change."""
    latest, official = _moves(which, approved=False), _moves(which, approved=True)
    entry = _ENTRY.alias("every_entry")
    moved = (
        sa.select(
            entry.c.id,
            latest.c.added,
            sa.func.coalesce(latest.c.resumed, sa.false()).label("resumed"),
            official.c.added.label("official_added"),
            sa.func.coalesce(official.c.resumed, sa.false()).label("official_resumed"),
        )
        .select_from(
            entry.outerjoin(latest, latest.c.id == entry.c.id).outerjoin(
                official, official.c.id == entry.c.id
            )
        )
        .where(which(entry.c.project_id))
        .subquery("moved")
    )
    pairs = {
        "invested_added_wan": moved.c.added,
        "resumed": moved.c.resumed,
        "official_invested_added_wan": moved.c.official_added,
        "official_resumed": moved.c.official_resumed,
    }
    assert set(pairs) == MOVE_COLUMNS
    return (
        sa.update(_ENTRY)
        .where(
            _ENTRY.c.id == moved.c.id,
            sa.or_(*(_ENTRY.c[name].is_distinct_from(value) for name, value in pairs.items())),
        )
        .values(pairs)
    )


def history_statements(which: Which) -> tuple[sa.Insert, sa.Update, sa.Update]:
    """Every statement refreshing what the history derives, for the projects `which` keeps."""
    return (*opening_statements(which), moves_statement(which))


# For one project, the statements a report or a review sends (prebuilt, bound parameter).
ONE_PROJECT = history_statements(lambda column: column == sa.bindparam("of_project"))


def refresh_statements() -> tuple[sa.Insert, sa.Update, sa.Update]:
    """The statements refreshing every project's derived figures (seed, synthetic data)."""
    return history_statements(lambda column: sa.true())
