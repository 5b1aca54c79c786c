"""Each project's year openings: the investment to date and status it opened each year with.

The year's completed investment (1–N 月完成投资) is the investment to date at a day minus
the investment to date at the end of the year before. So that a rollup of the present reads
one row per project for the second figure, `project_year` keeps it for every year in which
the project has an entry: the figure of the entry that was current at the end of the year
before (the newest revision of the latest earlier period), from every entry for the latest
figures and from approved ones for the official figures; NULL where no earlier entry states
an amount. A project with no entry in a year did not move in it.

`refresh_openings` computes them from the history, for the projects a condition on
`project_year.project_id`/`progress_entry.project_id` keeps; every writer of history (a
report, a review, the seed, a synthetic portfolio, the migration that added the table)
calls it after writing, under the project's lock where there is one.
"""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from app.models import ProgressEntry, ProjectYear, ReviewState

_ENTRY = ProgressEntry.__table__  # type: ignore[attr-defined]
_YEAR = ProjectYear.__table__  # type: ignore[attr-defined]

Which = Callable[[Any], Any]


def _entry_year(period: Any) -> Any:
    return sa.cast(sa.func.substr(period, 1, 4), sa.Integer)


def _opening(column: str, *, approved: bool) -> sa.ScalarSelect[Any]:
    """A figure of the entry current at the end of the year before `project_year`'s."""
    earlier = _ENTRY.alias("earlier")
    first_period = sa.cast(_YEAR.c.year, sa.String) + sa.literal("-01")
    conditions = [earlier.c.project_id == _YEAR.c.project_id, earlier.c.period < first_period]
    if approved:
        conditions.append(earlier.c.review_state == ReviewState.approved.value)
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


# For one project, the statements a report or a review sends (prebuilt, bound parameter).
ONE_PROJECT = opening_statements(lambda column: column == sa.bindparam("of_project"))


def refresh_statements() -> tuple[sa.Insert, sa.Update]:
    """The statements refreshing every project's openings (seed, synthetic data, migration)."""
    return opening_statements(lambda column: sa.true())
