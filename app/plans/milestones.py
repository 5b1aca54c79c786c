"""Milestone dates: the rules every writer applies, and the statements that store them.

One place for what an actual date may be, used by `PUT /projects/{code}/milestones/{kind}`
(`app.plans.service.put_milestone`) and by a progress report carrying actual dates
(`check_report_milestones`, `record_milestones`, inside the report's transaction). The
statements are Core, built once with bound parameters, and run on a `Transaction`.

The rules, each a field error (422):

- an actual date is not after today in China (`app.clock.today`);
- actual dates follow the life cycle, filing ≤ permits ≤ start ≤ completion ≤ operation,
  comparing only the dates present;
- an actual completion contradicts a cancelled project;
- while a project is completed, its actual start and completion dates stay: clearing either
  contradicts the status;
- (reports only) the report's status must cover every actual date it carries.

The status follows the dates (`implied_status`): an actual start means under construction, an
actual completion completed. Status figures come from progress reports, so a milestone write
outside a report whose date implies a status the project has not reached
(`status_not_reached`) is stored with a report of that status (`app.plans.service`). A date
may be changed or cleared otherwise; the row keeps who changed it and when.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from app import clock
from app.audit import log
from app.audit.log import Actor, AuditObject
from app.db import Transaction
from app.models import MILESTONE_NAMES, Milestone, MilestoneKind, Project, ProjectStatus
from app.problems import field_error

# The life cycle, in order.
LIFE_CYCLE: tuple[MilestoneKind, ...] = tuple(MilestoneKind)
_IMPLIED = {
    MilestoneKind.start: ProjectStatus.under_construction,
    MilestoneKind.completion: ProjectStatus.completed,
}
# The statuses under which a project has reached each implied status. A suspended or a
# cancelled project has left pre-construction as far as its start date goes: it may have
# started before it stopped. Only a completed project has been completed.
_COVERED_BY = {
    ProjectStatus.under_construction: frozenset(
        {
            ProjectStatus.under_construction,
            ProjectStatus.completed,
            ProjectStatus.suspended,
            ProjectStatus.cancelled,
        }
    ),
    ProjectStatus.completed: frozenset({ProjectStatus.completed}),
}

Loc = Callable[[MilestoneKind], tuple[str | int, ...]]


def implied_status(kind: MilestoneKind) -> ProjectStatus | None:
    """The status an actual date of `kind` means the project has reached (None: no status)."""
    return _IMPLIED.get(kind)


def covers(status: ProjectStatus, kind: MilestoneKind) -> bool:
    """Whether a project of `status` has reached the status an actual `kind` date implies."""
    implied = implied_status(kind)
    return implied is None or status in _COVERED_BY[implied]


def status_not_reached(status: ProjectStatus, kind: MilestoneKind) -> bool:
    """Whether an actual `kind` date means a status a project of `status` has not reached
    (a cancelled project aside: the date rules answer for it)."""
    return not covers(status, kind) and status is not ProjectStatus.cancelled


def date_errors(
    changes: Mapping[MilestoneKind, date | None],
    existing: Mapping[MilestoneKind, date | None],
    *,
    status: ProjectStatus,
    loc: Loc,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """The rules an actual-date change breaks (the module's list), as field errors.

    `changes`: the actual dates written (None clears one); `existing`: those stored; `status`:
    the project's status once the write is done. Only the changed dates are blamed.
    """
    today = today or clock.today()
    errors: list[dict[str, Any]] = []
    merged = {**existing, **changes}
    for kind in LIFE_CYCLE:
        if kind not in changes:
            continue
        new = changes[kind]
        if new is None:
            if (
                existing.get(kind) is not None
                and status is ProjectStatus.completed
                and (kind in (MilestoneKind.start, MilestoneKind.completion))
            ):
                errors.append(
                    field_error(
                        *loc(kind),
                        msg=f"the actual {kind} date of a completed project cannot be removed",
                        type_="milestone_cleared",
                        ctx={"kind": kind.value, "status": status.value},
                    )
                )
            continue
        if new > today:
            errors.append(
                field_error(
                    *loc(kind),
                    msg=f"actual {kind} date {new} is in the future (today is {today} in China)",
                    type_="date_in_future",
                    ctx={"value": new.isoformat(), "today": today.isoformat()},
                )
            )
        if kind is MilestoneKind.completion and status is ProjectStatus.cancelled:
            errors.append(
                field_error(
                    *loc(kind),
                    msg="a cancelled project has no actual completion date",
                    type_="milestone_contradicts_status",
                    ctx={"kind": kind.value, "status": status.value},
                )
            )
        if (order := _order_error(kind, new, merged)) is not None:
            errors.append(field_error(*loc(kind), **order))
    return errors


def _order_error(
    kind: MilestoneKind, new: date, merged: Mapping[MilestoneKind, date | None]
) -> dict[str, Any] | None:
    position = LIFE_CYCLE.index(kind)
    for other in reversed(LIFE_CYCLE[:position]):
        if (when := merged.get(other)) is not None and when > new:
            return _out_of_order(kind, new, "before", other, when)
    for other in LIFE_CYCLE[position + 1 :]:
        if (when := merged.get(other)) is not None and when < new:
            return _out_of_order(kind, new, "after", other, when)
    return None


def _out_of_order(
    kind: MilestoneKind, new: date, side: str, other: MilestoneKind, when: date
) -> dict[str, Any]:
    return {
        "msg": f"actual {kind} date {new} is {side} the actual {other} date {when}; "
        "the life cycle runs filing, permits, start, completion, operation",
        "type_": "milestone_order",
        "ctx": {"kind": kind.value, "other": other.value, "other_date": when.isoformat()},
    }


def check_report_milestones(
    status: ProjectStatus,
    milestones: Mapping[MilestoneKind, date],
    existing: Mapping[MilestoneKind, date | None],
    *,
    as_of: date,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """What is wrong with the actual dates a progress report carries, as field errors
    (`body.milestones.<kind>`); empty when the report may store them.

    `status`: the status the report states; `milestones`: its actual dates; `existing`: the
    actual dates stored; `as_of`: the date the report describes. Besides the date rules, a
    report tells of dates on or before its own, and its status must cover each date: a report
    carrying an actual start states a status past pre-construction, one carrying an actual
    completion states `completed`.
    """

    def loc(kind: MilestoneKind) -> tuple[str, ...]:
        return ("body", "milestones", kind.value)

    errors = date_errors(milestones, existing, status=status, loc=loc, today=today)
    for kind, when in milestones.items():
        if when > as_of:
            errors.append(
                field_error(
                    *loc(kind),
                    msg=f"actual {kind} date {when} is after the report's as_of {as_of}",
                    type_="milestone_after_report",
                    ctx={"kind": kind.value, "as_of": as_of.isoformat()},
                )
            )
    for kind in LIFE_CYCLE:
        implied = implied_status(kind)
        if kind in milestones and implied is not None and not covers(status, kind):
            if kind is MilestoneKind.completion and status is ProjectStatus.cancelled:
                continue  # refused above already
            errors.append(
                field_error(
                    *loc(kind),
                    msg=f"an actual {kind} date means the project is {implied}, "
                    f"but the report states {status}",
                    type_="milestone_contradicts_status",
                    ctx={"kind": kind.value, "status": status.value, "implied": implied.value},
                )
            )
    return errors


@dataclass(frozen=True)
class StoredMilestone:
    """A milestone row as the statements read it."""

    kind: MilestoneKind
    planned_date: date | None
    actual_date: date | None
    actual_recorded_at: datetime | None
    updated_by: str
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class MilestoneDates:
    """The dates a milestone is to hold."""

    planned_date: date | None
    actual_date: date | None


def actual_dates(
    stored: Mapping[MilestoneKind, StoredMilestone],
) -> dict[MilestoneKind, date | None]:
    """The stored actual dates by kind, as the checks take them."""
    return {kind: row.actual_date for kind, row in stored.items()}


def with_actual_dates(
    stored: Mapping[MilestoneKind, StoredMilestone], dates: Mapping[MilestoneKind, date | None]
) -> dict[MilestoneKind, MilestoneDates]:
    """What `record_milestones` takes to set actual dates and keep the planned ones."""
    return {
        kind: MilestoneDates(stored[kind].planned_date if kind in stored else None, actual)
        for kind, actual in dates.items()
    }


_MILESTONE = Milestone.__table__  # type: ignore[attr-defined]
_PROJECT = Project.__table__  # type: ignore[attr-defined]

# A project's milestones (parameter `of_project`).
MILESTONES_OF = sa.select(
    *(_MILESTONE.c[name] for name in StoredMilestone.__dataclass_fields__)
).where(_MILESTONE.c.project_id == sa.bindparam("of_project"))
# The project a milestone write locks, as reports lock it (parameter `code`, upper-case).
LOCK_PROJECT = (
    sa.select(
        _PROJECT.c.id,
        _PROJECT.c.code,
        _PROJECT.c.park_id,
        _PROJECT.c.archived_at,
        _PROJECT.c.status,
    )
    .where(_PROJECT.c.code == sa.bindparam("code"))
    .with_for_update()
)
_WRITTEN = ("planned_date", "actual_date", "actual_recorded_at", "updated_by", "updated_at")
# One milestone's dates, by `of_project` and `of_kind`; answers its id, or no row if none.
UPDATE_MILESTONE = (
    sa.update(_MILESTONE)
    .where(
        _MILESTONE.c.project_id == sa.bindparam("of_project"),
        _MILESTONE.c.kind == sa.bindparam("of_kind"),
    )
    .values(
        {
            **{name: sa.bindparam(name) for name in _WRITTEN},
            "version": _MILESTONE.c.version + 1,
        }
    )
    .returning(_MILESTONE.c.id)
)
INSERT_MILESTONE = sa.insert(_MILESTONE).values(
    {name: sa.bindparam(name) for name in ("project_id", "kind", "version", *_WRITTEN)}
)


def _actual_of(kind: MilestoneKind) -> sa.ScalarSelect[Any]:
    return (
        sa.select(_MILESTONE.c.actual_date)
        .where(_MILESTONE.c.project_id == _PROJECT.c.id, _MILESTONE.c.kind == kind.value)
        .scalar_subquery()
    )


# `Project.started_on` and `completed_on` from the actual start and completion dates
# (parameter `of_project`).
SET_PROJECT_DATES = (
    sa.update(_PROJECT)
    .where(_PROJECT.c.id == sa.bindparam("of_project"))
    .values(
        started_on=_actual_of(MilestoneKind.start),
        completed_on=_actual_of(MilestoneKind.completion),
    )
)


async def read_milestones(
    transaction: Transaction, *, project_id: int
) -> dict[MilestoneKind, StoredMilestone]:
    """A project's stored milestones by kind."""
    rows = await transaction.all(MILESTONES_OF, {"of_project": project_id})
    return {
        MilestoneKind(row["kind"]): StoredMilestone(**{**row, "kind": MilestoneKind(row["kind"])})
        for row in rows
    }


async def record_milestones(
    transaction: Transaction,
    *,
    project_id: int,
    project_code: str,
    stored: Mapping[MilestoneKind, StoredMilestone],
    wanted: Mapping[MilestoneKind, MilestoneDates],
    actor: Actor,
    now: datetime,
    reason: str = "",
) -> bool:
    """Store the milestones' dates and keep the project's `started_on` and `completed_on` in
    step, inside the caller's transaction (checked first: `date_errors`); True if any changed.

    A milestone whose dates are unchanged is left alone; a new or changed actual date is
    stamped `actual_recorded_at` = `now`, so a rollup as known on a day leaves it out before.
    Each change is recorded in the audit log (`CODE/kind`, its dates from what to what).
    """
    changed = False
    for kind, dates in wanted.items():
        old = stored.get(kind)
        if old is not None and (old.planned_date, old.actual_date) == (
            dates.planned_date,
            dates.actual_date,
        ):
            continue
        same_actual = old is not None and old.actual_date == dates.actual_date
        values = {
            "planned_date": dates.planned_date,
            "actual_date": dates.actual_date,
            "actual_recorded_at": (
                old.actual_recorded_at
                if same_actual and old is not None
                else (now if dates.actual_date is not None else None)
            ),
            "updated_by": actor.name,
            "updated_at": now,
        }
        if old is None:
            await transaction.execute(
                INSERT_MILESTONE,
                {"project_id": project_id, "kind": kind.value, "version": 1, **values},
            )
        else:
            await transaction.first(
                UPDATE_MILESTONE, {"of_project": project_id, "of_kind": kind.value, **values}
            )
        await log.insert(
            transaction,
            actor=actor,
            object_type=AuditObject.milestone,
            object_key=f"{project_code}/{kind.value}",
            action="create" if old is None else "update",
            changes=log.diff(
                {"planned_date": old.planned_date, "actual_date": old.actual_date} if old else {},
                {"planned_date": dates.planned_date, "actual_date": dates.actual_date},
            ),
            reason=reason,
        )
        changed = True
    if changed:
        await transaction.execute(SET_PROJECT_DATES, {"of_project": project_id})
    return changed


def milestone_name(kind: MilestoneKind) -> str:
    """The stage's Chinese name."""
    return MILESTONE_NAMES[kind]
