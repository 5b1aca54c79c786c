"""The blockers' SQL: which are overdue, their counts per project (for rollups) and per
group (for the summary), one statement each on both engines."""

import enum
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app import clock
from app.models import Blocker, BlockerLevel, BlockerState, BlockerType, Category, Park, Project

BLOCKER = Blocker.__table__  # type: ignore[attr-defined]
_RESOLVED = BlockerState.resolved.value


def is_resolved(blocker: Any = BLOCKER) -> Any:
    """Resolved (已办结), on a `blocker` table or alias."""
    return blocker.c.state == _RESOLVED


def is_overdue(today: Any, blocker: Any = BLOCKER) -> Any:
    """Overdue (超期): not resolved, and the deadline before `today` (a date or a bound
    parameter); a blocker without a deadline never is."""
    return sa.and_(blocker.c.state != _RESOLVED, blocker.c.deadline < today)


# Today in China, read when a statement runs: the subquery below is built once.
_TODAY = sa.bindparam("blockers_today", callable_=clock.today, type_=sa.Date())


def counts(condition: Any = None, blocker: Any = BLOCKER, today: Any = _TODAY) -> list[Any]:
    """raised, open, overdue and resolved among the rows counted (FILTER where given)."""

    def count(extra: Any = None) -> Any:
        where = [c for c in (condition, extra) if c is not None]
        return sa.func.count().filter(sa.and_(*where)) if where else sa.func.count()

    return [
        count().label("raised"),
        count(sa.not_(is_resolved(blocker))).label("open"),
        count(is_overdue(today, blocker)).label("overdue"),
        count(is_resolved(blocker)).label("resolved"),
    ]


# Per project with any blocker: raised, resolved and overdue (open is raised − resolved). Rollups
# join it to the project rows (`app.rollups.queries.Frame.join`) and sum it per group: the
# blockers are grouped once, however many projects the rollup reads, with as few aggregates
# as the measures need, since a rollup over every project spends its time per row.
PER_PROJECT = (
    sa.select(
        BLOCKER.c.project_id,
        sa.func.count().label("raised"),
        sa.func.count().filter(is_resolved()).label("resolved"),
        sa.func.count().filter(is_overdue(_TODAY)).label("overdue"),
    )
    .group_by(BLOCKER.c.project_id)
    .subquery("blocker_counts")
)


_PROJECT = Project.__table__  # type: ignore[attr-defined]
_PARK = Park.__table__  # type: ignore[attr-defined]
_CATEGORY = Category.__table__  # type: ignore[attr-defined]
# A blocker with its project, park and category: what the list and the summary filter on.
WITH_PROJECT = BLOCKER.join(_PROJECT, _PROJECT.c.id == BLOCKER.c.project_id).join(
    _PARK, _PARK.c.id == _PROJECT.c.park_id
)
WITH_CATEGORY = WITH_PROJECT.join(_CATEGORY, _CATEGORY.c.id == _PROJECT.c.category_id)
_CODELISTS: dict[str, type[enum.StrEnum]] = {
    "type": BlockerType,
    "level": BlockerLevel,
    "state": BlockerState,
}


def _summary_key(by: str) -> tuple[Any, ...]:
    """A summary grouping: its key, its label (or None), and the order of its groups."""
    if by == "park":
        return _PARK.c.id, _PARK.c.name, sa.func.min(_PARK.c.position)
    if by == "category":
        return _CATEGORY.c.id, _CATEGORY.c.name, sa.func.min(_CATEGORY.c.position)
    if by == "unit":
        # The unassigned ("") last, the units by name.
        unit = BLOCKER.c.responsible_unit
        return unit, None, sa.case((unit == "", 1), else_=0), unit
    column = BLOCKER.c[by]
    # The codelist's own order (用地, 征地拆迁, …; 园区, 区, 市; 待办, 办理中, …).
    order = sa.case(
        {value.value: i for i, value in enumerate(_CODELISTS[by])}, value=column, else_=99
    )
    return column, None, order


def summary(
    session: Session, *, by: str, conditions: Sequence[Any], today: date
) -> tuple[list[sa.Row[Any]], sa.Row[Any]]:
    """Counts per group of `by` (type, unit, level, state, park, category) and in total, over
    the blockers `conditions` keep (on `blocker`, `project`, `park` and `category`)."""
    key, label, *order = _summary_key(by)
    grouped = (
        sa.select(
            key.label("key"),
            (sa.func.min(label) if label is not None else sa.null()).label("label"),
            *counts(today=today),
        )
        .select_from(WITH_CATEGORY)
        .where(*conditions)
        .group_by(key)
        .order_by(*order)
    )
    total = sa.select(*counts(today=today)).select_from(WITH_CATEGORY).where(*conditions)
    return list(session.execute(grouped).all()), session.execute(total).one()
