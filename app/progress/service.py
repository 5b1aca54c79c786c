"""Progress history: reports in, review, and which entry states each project's figures."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.auth.policy import Principal, ensure_can_report
from app.blockers import records as blocker_records
from app.clock import REPORTING_TZ
from app.config import API_PREFIX
from app.db import Statements, Transaction
from app.models import (
    MilestoneKind,
    ProgressEntry,
    Project,
    ProjectStatus,
    ReviewAction,
    ReviewRecord,
    ReviewState,
    utcnow,
)
from app.plans import milestones
from app.problems import Conflict, InvalidInput, NotFound, field_error
from app.progress import current, idempotency, years
from app.progress.idempotency import IdempotentRequest
from app.progress.schemas import Figures, ProgressCreate, ProgressEntryPublic

# Newest first: by the date reported on, then by when it was received.
NEWEST_FIRST = (
    col(ProgressEntry.as_of).desc(),
    col(ProgressEntry.received_at).desc(),
    col(ProgressEntry.id).desc(),
)
_WRITE_ATTEMPTS = 3


# The entry's own columns the API shows; `project_code` comes from its project.
_PUBLIC_COLUMNS = [name for name in ProgressEntryPublic.model_fields if name != "project_code"]


def to_public(
    entry: ProgressEntry | Mapping[str, Any], *, project_code: str
) -> ProgressEntryPublic:
    """Shape an entry (an object, or a row of its columns by name) for the API."""
    if not isinstance(entry, Mapping):
        entry = {name: getattr(entry, name) for name in _PUBLIC_COLUMNS}
    return ProgressEntryPublic(
        project_code=project_code, **{name: entry[name] for name in _PUBLIC_COLUMNS}
    )


def end_of_day_utc(day: date) -> datetime:
    """The first instant after `day` ends in China, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=REPORTING_TZ).astimezone(UTC)


def month_of(*days: date | None) -> str | None:
    """The latest period (`YYYY-MM`) a lookup bounded by these days can see (None: no bound)."""
    bounds = [day for day in days if day is not None]
    return min(bounds).strftime("%Y-%m") if bounds else None


def entry_conditions(
    figures: Figures,
    *,
    as_of: date | None = None,
    period_end: date | None = None,
    entry: Any = current.NEWEST,
) -> list[Any]:
    """Which entries may state a project's figures, as conditions on `entry` (by default the
    current-entry lookup's `current.NEWEST`).

    `as_of`: as known at the end of that day (reports received later are unseen, and none
    can describe a later day). `period_end`: the figures for the period ending that day
    (reports describing later days are unseen, whenever they arrived).
    """
    conditions: list[Any] = [
        current.counts(col(entry.review_state), official=figures is Figures.official)
    ]
    if period_end is not None:
        conditions.append(col(entry.as_of) <= period_end)
    if as_of is not None:
        conditions.append(col(entry.as_of) <= as_of)
        # The printed baseline was public from the plan's date, whenever it was loaded.
        conditions.append(
            sa.or_(col(entry.received_at) < end_of_day_utc(as_of), col(entry.is_baseline))
        )
    return conditions


def current_entries(
    figures: Figures,
    *,
    as_of: date | None = None,
    period_end: date | None = None,
    project_ids: Sequence[int] | sa.Select[Any] | None = None,
) -> sa.Subquery:
    """One row per project (`project_id`, `entry_id`): the entry stating its current figures.

    A period counts with its newest revision (with `official` figures, its newest approved
    one); the current entry is the counting entry with the latest `as_of`, then the latest
    receipt. With `as_of`, reports dated or received after the end of that day are unseen.
    `entry_id` is NULL for a project with no such entry.
    """
    return current.current_entries(
        entry_conditions(figures, as_of=as_of, period_end=period_end),
        month=month_of(as_of, period_end),
        project_ids=project_ids,
    )


def latest_entries(
    session: Session,
    *,
    project_ids: Sequence[int],
    figures: Figures = Figures.latest,
    as_of: date | None = None,
) -> dict[int, ProgressEntry]:
    """Return the entry stating each given project's current figures, in one query."""
    if not project_ids:
        return {}
    current = current_entries(figures, as_of=as_of, project_ids=project_ids)
    entries = session.exec(
        select(ProgressEntry).join(current, current.c.entry_id == ProgressEntry.id)
    ).all()
    return {entry.project_id: entry for entry in entries if entry.project_id is not None}


def list_history(
    session: Session, *, project: Project, figures: Figures = Figures.latest
) -> Sequence[ProgressEntry]:
    """Return a project's entries, newest first; with `official`, approved ones only."""
    query = select(ProgressEntry).where(ProgressEntry.project_id == project.id)
    if figures is Figures.official:
        query = query.where(ProgressEntry.review_state == ReviewState.approved)
    return session.exec(query.order_by(*NEWEST_FIRST)).all()


@dataclass(frozen=True)
class ReportResult:
    """A stored report, or the stored answer to an earlier identical request."""

    entry: ProgressEntryPublic
    replayed: bool


@dataclass(frozen=True)
class LockedProject:
    """What a report needs of the project it locks."""

    id: int
    code: str
    name: str
    park_id: str
    archived_at: datetime | None
    total_investment_wan: int
    completed_on: date | None


async def lock_project(transaction: Transaction, *, code: str) -> LockedProject | None:
    """Read a project under the lock its reports queue on (PostgreSQL), or None."""
    row = await transaction.first(_LOCK_BY_CODE, {"code": code.upper()})
    return None if row is None else LockedProject(**row)


async def create_progress(
    statements: Statements,
    *,
    code: str,
    report: ProgressCreate,
    principal: Principal,
    idempotency_key: str | None = None,
) -> ReportResult:
    """Append a report to a project's history and update its current status, in a
    transaction of its own; a repeated `idempotency_key` replays the first answer."""
    request = None
    if idempotency_key is not None:
        # The request as the API names it, whichever way it came (API or form).
        path = f"{API_PREFIX}/projects/{code}/progress"
        # A report without milestones fingerprints as it did before they could be sent.
        body = report.model_dump(mode="json", exclude=_unsent(report))
        request = IdempotentRequest(idempotency_key, idempotency.fingerprint("POST", path, body))
    for _ in range(_WRITE_ATTEMPTS):
        try:
            async with statements.transaction() as transaction:
                return await store_report(
                    transaction, code=code, report=report, principal=principal, request=request
                )
        except IntegrityError:
            # A concurrent request took the same revision number or idempotency key; look
            # again: the key's answer is now stored, or the next revision is free.
            continue
    raise Conflict("Too many simultaneous reports on this project; send the report again.")


def _unsent(report: ProgressCreate) -> set[str]:
    # A report fingerprints as it did before these fields existed when it leaves them out.
    defaults = {"milestones": None, "no_change_confirmed": False, "reason": ""}
    return {name for name, default in defaults.items() if getattr(report, name) == default}


async def store_report(
    transaction: Transaction,
    *,
    code: str,
    report: ProgressCreate,
    principal: Principal,
    request: IdempotentRequest | None = None,
) -> ReportResult:
    """The one report write: lock the project, check the report against its history, append
    it and move the project's latest figures, inside the caller's transaction.

    Raises NotFound, Forbidden, Conflict (archived) or InvalidInput (the history's rules).
    """
    # The project is read once, under the lock its reports queue on (PostgreSQL): revision
    # numbers and the current status are computed from a history no one else is changing.
    project = await lock_project(transaction, code=code)
    if project is None:
        raise NotFound(f"No project has the code {code!r}.")
    ensure_can_report(principal, project)
    if request is not None:
        stored = await idempotency.find(transaction, token_id=principal.token_id, request=request)
        if stored is not None:
            return ReportResult(ProgressEntryPublic.model_validate(stored), replayed=True)
    past = [Past(**row) for row in await transaction.all(_HISTORY, {"project_id": project.id})]
    period = report.as_of.strftime("%Y-%m")
    reopened_at = None
    if any(_approved_report(e) for e in past if e.period == period):
        row = await transaction.first(_REOPENED_AT, {"project_id": project.id, "period": period})
        reopened_at = row["at"] if row else None
    before = previous_counting(past, period)
    before_note = (
        None
        if before is None or not _same_figures(report, before)
        else (await transaction.first(_NOTE, {"entry_id": before.id}) or {}).get("note")
    )
    values, figures = _plan_report(
        project,
        report=report,
        principal=principal,
        history=past,
        reopened_at=reopened_at,
        before_note=before_note,
    )
    if report.milestones:
        await _record_report_milestones(
            transaction, project=project, report=report, principal=principal
        )
    entry = await transaction.first(_INSERT_ENTRY, values)
    assert entry is not None
    await blocker_records.raise_from_report(
        transaction, project_id=project.id, entry=entry, issues=report.issues, reporter=principal
    )
    await transaction.execute(_UPDATE_FIGURES, {"project_id": project.id, **figures})
    for statement in years.ONE_PROJECT:
        await transaction.execute(statement, {"of_project": project.id})
    public = to_public(entry, project_code=project.code)
    if request is not None:
        await idempotency.remember(
            transaction,
            token_id=principal.token_id,
            request=request,
            status_code=201,
            body=public.model_dump(mode="json"),
        )
    return ReportResult(public, replayed=False)


async def _record_report_milestones(
    transaction: Transaction,
    *,
    project: LockedProject,
    report: ProgressCreate,
    principal: Principal,
) -> None:
    """Check the actual dates a report carries and store them (InvalidInput if they
    contradict the report or the project's other dates)."""
    assert report.milestones
    stored = await milestones.read_milestones(transaction, project_id=project.id)
    errors = milestones.check_report_milestones(
        report.status, report.milestones, milestones.actual_dates(stored), as_of=report.as_of
    )
    if errors:
        raise _refused(
            "The report's milestone dates contradict it or the project's other dates", errors
        )
    await milestones.record_milestones(
        transaction,
        project_id=project.id,
        project_code=project.code,
        stored=stored,
        wanted=milestones.with_actual_dates(stored, report.milestones),
        actor=principal,
        now=utcnow(),
        reason=f"进度报告（{report.as_of.isoformat()}）",
    )


# Built once, with bound parameters, for the statements every report sends.
_PROJECT_TABLE = Project.__table__  # type: ignore[attr-defined]
_LOCK_BY_CODE = (
    sa.select(*(_PROJECT_TABLE.c[field.name] for field in fields(LockedProject)))
    .where(_PROJECT_TABLE.c.code == sa.bindparam("code"))
    .with_for_update()
)


class Past(NamedTuple):
    """An earlier entry of the project, as far as a new report's checks and figures go."""

    id: int | None
    period: str
    revision: int
    status: str
    percent_complete: int | None
    invested_to_date_wan: int | None
    issues: str
    review_state: str
    reviewed_at: datetime | None
    is_baseline: bool


# Only the columns the checks and the figures need, not whole entries with their notes.
_ENTRY_TABLE = ProgressEntry.__table__  # type: ignore[attr-defined]
_HISTORY = sa.select(*(_ENTRY_TABLE.c[name] for name in Past._fields)).where(
    _ENTRY_TABLE.c.project_id == sa.bindparam("project_id")
)
_NOTE = sa.select(_ENTRY_TABLE.c.note).where(_ENTRY_TABLE.c.id == sa.bindparam("entry_id"))
_REVIEW_TABLE = ReviewRecord.__table__  # type: ignore[attr-defined]
_REOPENED_AT = sa.select(sa.func.max(_REVIEW_TABLE.c.at).label("at")).where(
    _REVIEW_TABLE.c.project_id == sa.bindparam("project_id"),
    _REVIEW_TABLE.c.period == sa.bindparam("period"),
    _REVIEW_TABLE.c.action == ReviewAction.reopen.value,
)


def _counts(entry: Past) -> bool:
    # `current.counts` for an entry in hand: the latest figures skip returned reports.
    return entry.review_state != ReviewState.returned


def _approved_report(entry: Past) -> bool:
    # The printed baseline is approved by the plan itself, not by a review: it locks nothing.
    return entry.review_state == ReviewState.approved and not entry.is_baseline


def counting_by_period(past: Sequence[Past]) -> dict[str, Past]:
    """Each period's counting entry for the latest figures: its newest revision not returned."""
    counting: dict[str, Past] = {}
    for entry in past:
        if not _counts(entry):
            continue
        if entry.period not in counting or entry.revision > counting[entry.period].revision:
            counting[entry.period] = entry
    return counting


def previous_counting(past: Sequence[Past], period: str) -> Past | None:
    """The entry stating the latest figures before `period`: the counting entry of the latest
    earlier period, or None."""
    earlier = [e for p, e in counting_by_period(past).items() if p < period]
    return max(earlier, key=lambda e: e.period, default=None)


def _same_figures(report: ProgressCreate, before: Past) -> bool:
    return (
        report.status == before.status
        and report.percent_complete == before.percent_complete
        and report.invested_to_date_wan == before.invested_to_date_wan
    )


def locked_since(past: Sequence[Past], period: str, reopened_at: datetime | None) -> Past | None:
    """The approved report locking `period` (approved after its latest reopening), or None."""
    approved = [e for e in past if e.period == period and _approved_report(e)]
    if not approved:
        return None
    newest = max(approved, key=lambda e: e.revision)
    if reopened_at is not None and (
        newest.reviewed_at is None or newest.reviewed_at <= reopened_at
    ):
        return None
    return newest


def _plan_report(
    project: LockedProject,
    *,
    report: ProgressCreate,
    principal: Principal,
    history: Sequence[Past],
    reopened_at: datetime | None = None,
    before_note: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check a report against its locked project's history: the entry to insert, and the
    figures the project row then keeps. Raises Conflict or InvalidInput.

    `reopened_at`: when the report's period was last reopened; `before_note`: the note of
    the entry stating the figures before the period, read only when its figures and status
    equal the report's (an unchanged report is one whose note is equal too).
    """
    if project.archived_at is not None:
        raise Conflict(f"Project {project.code} is archived; it takes no more reports.")
    past = list(history)
    period = report.as_of.strftime("%Y-%m")
    locking = locked_since(past, period, reopened_at)
    if locking is not None:
        raise Conflict(
            f"The report of {period} for {project.code} was approved; the period is closed "
            "to new reports until a planner reopens it with a reason "
            f"(POST {API_PREFIX}/projects/{project.code}/progress/periods/{period}/reopen)."
        )
    _check_consistency(report, period=period, history=past)
    _check_plausibility(project, report=report, before=previous_counting(past, period))
    unchanged = before_note is not None and before_note == report.note
    now = utcnow()
    # Core statements, not the unit of work: an append-only row and four figures need no
    # change tracking.
    entry: dict[str, Any] = {
        "project_id": project.id,
        "as_of": report.as_of,
        "period": period,
        "revision": 1 + max((e.revision for e in past if e.period == period), default=0),
        "status": report.status,
        "percent_complete": report.percent_complete,
        "invested_to_date_wan": report.invested_to_date_wan,
        "note": report.note,
        "issues": report.issues,
        "is_baseline": False,
        "reporter_name": principal.name,
        "reporter_role": principal.role,
        "reporter_token_id": principal.token_id,
        "received_at": now,
        "review_state": ReviewState.submitted,
        "review_comment": "",
        "unchanged": unchanged and not report.no_change_confirmed,
        "no_change_confirmed": unchanged and report.no_change_confirmed,
        "plausibility_reason": report.reason,
    }
    # A new report is submitted, not approved: only the latest figures can move. They are
    # stated by the newest revision of the latest period, found here in the history in hand.
    new = Past(
        id=None,
        period=period,
        revision=entry["revision"],
        status=report.status,
        percent_complete=report.percent_complete,
        invested_to_date_wan=report.invested_to_date_wan,
        issues=report.issues,
        review_state=ReviewState.submitted,
        reviewed_at=None,
        is_baseline=False,
    )
    current = max([*filter(_counts, past), new], key=lambda e: (e.period, e.revision))
    return entry, {**figures_of(current), "updated_at": now}


# Where each kind of figures is kept on the project row.
FIGURE_PREFIX = {Figures.latest: "", Figures.official: "official_"}


def refresh_figures(session: Session, *, project: Project) -> None:
    """Copy the entries that now state the project's latest and official figures to its row."""
    assert project.id is not None
    for figures, prefix in FIGURE_PREFIX.items():
        current = latest_entries(session, project_ids=[project.id], figures=figures).get(project.id)
        _copy_figures(project, prefix, current)
    project.updated_at = utcnow()
    session.add(project)
    session.flush()
    for statement in years.ONE_PROJECT:
        session.execute(statement, {"of_project": project.id})


def figures_of(current: Any) -> dict[str, Any]:
    """The figures a project row keeps for its current entry (None: no report, not started)."""
    # `current` is an entry or a row of its columns.
    return {
        "status": current.status if current else ProjectStatus.pre_construction,
        "percent_complete": current.percent_complete if current else None,
        "invested_to_date_wan": current.invested_to_date_wan if current else None,
        "open_issues": bool(current and current.issues),
    }


def _copy_figures(project: Project, prefix: str, current: Any) -> None:
    for name, value in figures_of(current).items():
        setattr(project, f"{prefix}{name}", value)


# Every column a report states; the database fills in the id and `has_issues`, a review the
# reviewer's columns.
_INSERT_ENTRY = (
    sa.insert(_ENTRY_TABLE)
    .values(
        {
            column.name: sa.bindparam(column.name)
            for column in _ENTRY_TABLE.c
            if column.name not in {"id", "has_issues", "reviewer_name", "reviewed_at"}
            and column.name not in years.MOVE_COLUMNS
        }
    )
    .returning(*_ENTRY_TABLE.c)
)
_UPDATE_FIGURES = (
    sa.update(_PROJECT_TABLE)
    .where(_PROJECT_TABLE.c.id == sa.bindparam("project_id"))
    .values({name: sa.bindparam(name) for name in (*figures_of(None), "updated_at")})
)


def _check_consistency(report: ProgressCreate, *, period: str, history: Sequence[Past]) -> None:
    errors = []
    percent = report.percent_complete
    if report.status is ProjectStatus.completed and percent is not None and percent < 100:
        errors.append(
            field_error(
                "body",
                "percent_complete",
                msg=f"a completed project is 100% complete, not {percent}%",
                type_="completed_below_100",
                ctx={"percent": percent},
            )
        )
    if report.status is ProjectStatus.pre_construction and percent:
        errors.append(
            field_error(
                "body",
                "percent_complete",
                msg=f"a project not yet under construction cannot be {percent}% complete",
                type_="percent_before_start",
                ctx={"percent": percent},
            )
        )
    invested = report.invested_to_date_wan
    if invested is not None:
        errors += _investment_errors(invested, period=period, history=history)
    if errors:
        raise _refused("The report contradicts itself or the project's history", errors)


# The stages a project moves through in order; `suspended` and `cancelled` stand apart.
_STAGE = {
    ProjectStatus.pre_construction: 0,
    ProjectStatus.under_construction: 1,
    ProjectStatus.completed: 2,
}


def _check_plausibility(
    project: LockedProject, *, report: ProgressCreate, before: Past | None
) -> None:
    """The plausibility rules (stated in `PLAUSIBILITY_DESCRIPTION`): each is refused unless
    the report carries a `reason`."""
    errors = []
    invested, percent, status = report.invested_to_date_wan, report.percent_complete, report.status
    total = project.total_investment_wan
    if invested is not None and total and invested > total:
        errors.append(
            field_error(
                "body",
                "invested_to_date_wan",
                msg=f"{invested} 万元 is above the project's total investment of {total} 万元",
                type_="investment_above_total",
                ctx={"invested": invested, "total": total},
            )
        )
    if before is not None:
        earlier = before.percent_complete
        if percent is not None and earlier is not None and percent < earlier:
            errors.append(
                field_error(
                    "body",
                    "percent_complete",
                    msg=f"{percent}% is below the {before.percent_complete}% reported for "
                    f"{before.period}",
                    type_="percent_backwards",
                    ctx={"percent": percent, "reported": before.percent_complete},
                )
            )
        old = _STAGE.get(ProjectStatus(before.status))
        new = _STAGE.get(status)
        if old is not None and new is not None and new < old:
            errors.append(
                field_error(
                    "body",
                    "status",
                    msg=f"{status.value} moves back from {before.status} reported for "
                    f"{before.period}",
                    type_="status_backwards",
                    ctx={"status": status.value, "reported": before.status},
                )
            )
    # Only the report completing the project: a completed project reporting again is not.
    completing = before is None or before.status != ProjectStatus.completed
    if status is ProjectStatus.completed and completing:
        dated = (report.milestones or {}).get(MilestoneKind.completion) or project.completed_on
        if dated is None:
            errors.append(
                field_error(
                    "body",
                    "milestones",
                    msg="a completed project needs its actual completion date "
                    '(milestones {"completion": "YYYY-MM-DD"})',
                    type_="completed_without_date",
                )
            )
        if percent is None:
            errors.append(
                field_error(
                    "body",
                    "percent_complete",
                    msg="a completed project is 100% complete; send percent_complete 100",
                    type_="completed_without_percent",
                )
            )
    if errors and not report.reason:
        raise _refused(
            "The report looks implausible; correct it, or send a `reason` saying why it is right",
            errors,
        )


def _refused(summary: str, errors: list[dict[str, Any]]) -> InvalidInput:
    """A report's refusal: `summary`, then each field's error."""
    return InvalidInput(
        f"{summary}: " + "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in errors) + ".",
        errors=errors,
    )


def _investment_errors(
    invested: int, *, period: str, history: Sequence[Past]
) -> list[dict[str, object]]:
    # Investment to date is cumulative: it may not fall below an earlier period's figure nor
    # rise above a later one's. Each period counts with its counting entry.
    stated = [e for e in history if e.invested_to_date_wan is not None]
    counting = {p: e for p, e in counting_by_period(stated).items() if p != period}
    errors = []
    earlier = [e for p, e in counting.items() if p < period]
    later = [e for p, e in counting.items() if p > period]
    if earlier:
        before = max(earlier, key=lambda e: e.period)
        assert before.invested_to_date_wan is not None
        if invested < before.invested_to_date_wan:
            errors.append(
                field_error(
                    "body",
                    "invested_to_date_wan",
                    msg=f"{invested} 万元 is below the {before.invested_to_date_wan} 万元 "
                    f"reported for {before.period}; investment to date is cumulative",
                    type_="investment_below_earlier",
                    ctx={
                        "invested": invested,
                        "reported": before.invested_to_date_wan,
                        "period": before.period,
                    },
                )
            )
    if later:
        after = min(later, key=lambda e: e.period)
        assert after.invested_to_date_wan is not None
        if invested > after.invested_to_date_wan:
            errors.append(
                field_error(
                    "body",
                    "invested_to_date_wan",
                    msg=f"{invested} 万元 is above the {after.invested_to_date_wan} 万元 "
                    f"reported for the later period {after.period}",
                    type_="investment_above_later",
                    ctx={
                        "invested": invested,
                        "reported": after.invested_to_date_wan,
                        "period": after.period,
                    },
                )
            )
    return errors


def _entry_of(
    session: Session, *, project: Project, entry_id: int, lock: bool = False
) -> ProgressEntry:
    query = select(ProgressEntry).where(
        ProgressEntry.id == entry_id, ProgressEntry.project_id == project.id
    )
    entry = session.exec(query.with_for_update() if lock else query).first()
    if entry is None:
        raise NotFound(f"Project {project.code} has no progress entry {entry_id}.")
    return entry


def get_entry(session: Session, *, project: Project, entry_id: int) -> ProgressEntryPublic:
    """One entry of a project's history, or NotFound."""
    entry = _entry_of(session, project=project, entry_id=entry_id)
    return to_public(entry, project_code=project.code)


# A bulk review's most reports at once: each is locked and its project refreshed.
MAX_REVIEWED = 500


def review_entry(
    session: Session,
    *,
    project: Project,
    entry_id: int,
    principal: Principal,
    decision: ReviewState,
    comment: str,
) -> ProgressEntryPublic:
    """Approve or return one submitted report of `project` (see `review_entries`)."""
    [reviewed] = review_entries(
        session,
        entry_ids=[entry_id],
        principal=principal,
        decision=decision,
        comment=comment,
        project=project,
    )
    return reviewed


def review_entries(
    session: Session,
    *,
    entry_ids: Sequence[int],
    principal: Principal,
    decision: ReviewState,
    comment: str,
    project: Project | None = None,
) -> list[ProgressEntryPublic]:
    """Approve or return submitted reports, all or nothing, each recorded on its own.

    Only a period's newest revision is reviewable. Raises NotFound for an entry that does not
    exist (or, with `project`, is not that project's) and Conflict, naming every entry, when
    any cannot be reviewed; then nothing changes.
    """
    wanted = list(dict.fromkeys(entry_ids))
    query = select(ProgressEntry).where(col(ProgressEntry.id).in_(wanted))
    entries = {e.id: e for e in session.exec(query).all() if e.id is not None}
    missing = [i for i in wanted if i not in entries]
    if project is not None:
        missing += [i for i, e in entries.items() if e.project_id != project.id]
    if missing:
        where = f"Project {project.code} has" if project is not None else "There is"
        raise NotFound(f"{where} no progress entry {', '.join(map(str, sorted(missing)))}.")
    # The project rows first, in id order, as reports take them: their official figures may
    # change here, and two bulk reviews sharing projects queue instead of deadlocking.
    project_ids = sorted({e.project_id for e in entries.values() if e.project_id is not None})
    projects = {
        p.id: p
        for p in session.exec(
            select(Project)
            .where(col(Project.id).in_(project_ids))
            .order_by(col(Project.id))
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    }
    locked = session.exec(
        select(ProgressEntry)
        .where(col(ProgressEntry.id).in_(wanted))
        .order_by(col(ProgressEntry.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    newest = _newest_revisions(session, locked)
    problems = [
        problem
        for entry in locked
        if (problem := _unreviewable(entry, newest, projects[entry.project_id].code))
    ]
    if problems:
        raise Conflict(" ".join(problems))
    now = utcnow()
    action = ReviewAction.approve if decision is ReviewState.approved else ReviewAction.return_
    for entry in locked:
        assert entry.project_id is not None
        entry.review_state = decision
        entry.reviewer_name = principal.name
        entry.reviewed_at = now
        entry.review_comment = comment
        session.add(entry)
        session.add(
            ReviewRecord(
                project_id=entry.project_id,
                period=entry.period,
                entry_id=entry.id,
                action=action,
                comment=comment,
                actor_name=principal.name,
                actor_role=principal.role,
                actor_token_id=principal.token_id,
                at=now,
            )
        )
    session.flush()
    for project_id in project_ids:
        refresh_figures(session, project=projects[project_id])
    session.commit()
    reviewed = []
    for entry_id in wanted:
        entry = entries[entry_id]
        session.refresh(entry)
        assert entry.project_id is not None
        reviewed.append(to_public(entry, project_code=projects[entry.project_id].code))
    return reviewed


def _newest_revisions(
    session: Session, entries: Sequence[ProgressEntry]
) -> dict[tuple[int, str], int]:
    """The newest revision of each (project, period) of `entries`."""
    pairs = {(e.project_id, e.period) for e in entries}
    rows = session.exec(
        select(ProgressEntry.project_id, ProgressEntry.period, sa.func.max(ProgressEntry.revision))
        .where(sa.tuple_(col(ProgressEntry.project_id), col(ProgressEntry.period)).in_(pairs))
        .group_by(col(ProgressEntry.project_id), col(ProgressEntry.period))
    ).all()
    return {(project_id, period): top for project_id, period, top in rows if project_id}


def _unreviewable(entry: ProgressEntry, newest: Mapping[tuple[int, str], int], code: str) -> str:
    """Why an entry cannot be reviewed now ('' if it can)."""
    assert entry.project_id is not None
    if entry.is_baseline:
        return f"Entry {entry.id} ({code}) is the baseline printed in the plan, not up for review."
    if entry.review_state != ReviewState.submitted:
        return f"Entry {entry.id} ({code}, {entry.period}) was already {entry.review_state}."
    top = newest.get((entry.project_id, entry.period), entry.revision)
    if top > entry.revision:
        return (
            f"Entry {entry.id} is revision {entry.revision} of {code} {entry.period}; "
            f"revision {top} supersedes it. Review that one."
        )
    return ""


def closed_periods(session: Session, *, project_id: int) -> dict[str, int]:
    """The project's periods closed to reports now, each with the approved report closing it."""
    past = [Past(**row._mapping) for row in session.execute(_HISTORY, {"project_id": project_id})]
    reopened = dict(
        session.execute(
            sa.select(_REVIEW_TABLE.c.period, sa.func.max(_REVIEW_TABLE.c.at))
            .where(
                _REVIEW_TABLE.c.project_id == project_id,
                _REVIEW_TABLE.c.action == ReviewAction.reopen.value,
            )
            .group_by(_REVIEW_TABLE.c.period)
        ).all()
    )
    closed = {}
    for period in {e.period for e in past if _approved_report(e)}:
        closing = locked_since(past, period, reopened.get(period))
        if closing is not None and closing.id is not None:
            closed[period] = closing.id
    return closed


def reopen_period(
    session: Session, *, project: Project, period: str, principal: Principal, reason: str
) -> ReviewRecord:
    """Reopen an approved period to new reports, recording why (Conflict if not closed)."""
    locked = session.exec(
        select(Project)
        .where(Project.id == project.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    assert locked.id is not None
    past = [
        Past(**row._mapping) for row in session.execute(_HISTORY, {"project_id": locked.id}).all()
    ]
    reopened_at = session.execute(
        _REOPENED_AT, {"project_id": locked.id, "period": period}
    ).scalar_one_or_none()
    closing = locked_since(past, period, reopened_at)
    if closing is None:
        raise Conflict(f"{project.code} {period} is open to reports: no approved report closes it.")
    record = ReviewRecord(
        project_id=locked.id,
        period=period,
        entry_id=closing.id,
        action=ReviewAction.reopen,
        comment=reason,
        actor_name=principal.name,
        actor_role=principal.role,
        actor_token_id=principal.token_id,
    )
    session.add(record)
    session.commit()
    session.refresh(record)
    return record
