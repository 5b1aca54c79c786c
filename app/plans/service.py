"""Annual plans (with every revision) and milestone dates of a project."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app import clock
from app.audit import log
from app.audit.log import AuditObject
from app.auth.policy import (
    Principal,
    ensure_can_read_plans,
    ensure_can_report,
    ensure_can_write_milestones,
)
from app.db import Statements, Transaction
from app.models import (
    Milestone,
    MilestoneKind,
    PlanRevision,
    ProgressEntry,
    Project,
    ProjectStatus,
    ProjectYear,
    utcnow,
)
from app.plans import milestones
from app.plans.milestones import MilestoneDates, StoredMilestone
from app.plans.schemas import (
    MilestoneList,
    MilestonePublic,
    MilestonePut,
    PlanFigures,
    PlanList,
    PlanPublic,
    PlanPut,
    PlanRevisionPublic,
    PlanRowAction,
)
from app.problems import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    field_error,
)
from app.progress.schemas import ProgressCreate
from app.progress.service import store_report
from app.versions import etag, json_body, require_if_match

PLAN = "plan"  # the kind its ETags name


def plan_key(code: str, year: int) -> str:
    """What a plan's ETag names it by."""
    return f"{code}-{year}"


def _revisions(
    session: Session, project_id: int, years: Sequence[int]
) -> dict[int, list[PlanRevision]]:
    found: dict[int, list[PlanRevision]] = {year: [] for year in years}
    if not years:
        return found
    rows = session.exec(
        select(PlanRevision)
        .where(PlanRevision.project_id == project_id, col(PlanRevision.year).in_(years))
        .order_by(col(PlanRevision.year), col(PlanRevision.revision))
    ).all()
    for row in rows:
        found[row.year].append(row)
    return found


def _public(code: str, row: ProjectYear, history: Sequence[PlanRevision]) -> PlanPublic:
    assert row.planned_investment_wan is not None
    return PlanPublic(
        project_code=code,
        year=row.year,
        planned_investment_wan=row.planned_investment_wan,
        target=row.target,
        planned_start=row.planned_start,
        planned_completion=row.planned_completion,
        revision=row.plan_revision,
        adjusted=row.plan_revision > 1,
        history=[
            PlanRevisionPublic.model_validate(revision, from_attributes=True)
            for revision in history
        ],
    )


def list_plans(session: Session, *, project: Project, principal: Principal) -> PlanList:
    """Every year the project has a plan for, each with its revisions; officers: own park."""
    ensure_can_read_plans(principal, park_id=project.park_id)
    assert project.id is not None
    rows = session.exec(
        select(ProjectYear)
        .where(ProjectYear.project_id == project.id, col(ProjectYear.plan_revision) > 0)
        .order_by(col(ProjectYear.year))
    ).all()
    history = _revisions(session, project.id, [row.year for row in rows])
    items = [_public(project.code, row, history[row.year]) for row in rows]
    return PlanList(project_code=project.code, items=items, total=len(items))


@dataclass(frozen=True)
class PlanAnswer:
    """A plan as the API answers it, with its version (the ETag's)."""

    plan: PlanPublic
    version: int


def get_plan(session: Session, *, project: Project, year: int, principal: Principal) -> PlanAnswer:
    """The plan in force for one year, or NotFound; officers: own park."""
    ensure_can_read_plans(principal, park_id=project.park_id)
    assert project.id is not None
    row = _year_row(session, project.id, year, lock=False)
    if row is None or row.plan_revision == 0:
        raise NotFound(f"Project {project.code} has no plan for {year}.")
    return PlanAnswer(
        _public(project.code, row, _revisions(session, project.id, [year])[year]), row.version
    )


def plan_etag(answer: PlanAnswer) -> str:
    """The ETag a plan's answer carries: its version and the bytes of its representation."""
    plan = answer.plan
    return etag(PLAN, plan_key(plan.project_code, plan.year), answer.version, body=json_body(plan))


def _year_row(session: Session, project_id: int, year: int, *, lock: bool) -> ProjectYear | None:
    query = select(ProjectYear).where(
        ProjectYear.project_id == project_id, ProjectYear.year == year
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def lock_project(session: Session, *, project_id: int) -> Project:
    """The project row under the lock its reports queue on (PostgreSQL); plan writes take it
    first, since reports add `project_year` rows too."""
    query = select(Project).where(Project.id == project_id).with_for_update()
    return session.exec(query.execution_options(populate_existing=True)).one()


@dataclass(frozen=True)
class PlanWrite:
    """What a plan write did: the plan in force after it, and whether it was new."""

    answer: PlanAnswer
    action: PlanRowAction


def apply_plan(
    session: Session,
    *,
    project: Project,
    year: int,
    data: PlanPut,
    principal: Principal,
    if_match: str | None = None,
) -> PlanWrite:
    """Create, adjust or leave a year's plan, in the caller's transaction (flushed, not
    committed), the project locked by the caller. Raises Conflict (archived), PreconditionFailed
    (If-Match) or InvalidInput (an adjustment without reason or document)."""
    assert project.id is not None
    if project.archived_at is not None:
        raise Conflict(f"Project {project.code} is archived; it takes no plans.")
    row = _year_row(session, project.id, year, lock=True)
    has_plan = row is not None and row.plan_revision > 0
    if if_match is not None:
        if not has_plan:
            raise PreconditionFailed(
                f"Project {project.code} has no plan for {year} to match; send the first plan "
                "without If-Match."
            )
        assert row is not None
        current = PlanAnswer(
            _public(project.code, row, _revisions(session, project.id, [year])[year]), row.version
        )
        require_if_match(if_match, plan_etag(current))
    before: dict[str, Any] = {}
    if has_plan:
        assert row is not None
        if data.same_plan(PlanFigures.of(row)):
            return PlanWrite(_answer(session, project, row), PlanRowAction.unchanged)
        _require_adjustment_grounds(data)
        before = PlanFigures.of(row).model_dump()
    now = utcnow()
    if row is None:
        row = ProjectYear(project_id=project.id, year=year, version=0)
    revision = row.plan_revision + 1
    session.add(
        PlanRevision(
            project_id=project.id,
            year=year,
            revision=revision,
            planned_investment_wan=data.planned_investment_wan,
            target=data.target,
            planned_start=data.planned_start,
            planned_completion=data.planned_completion,
            reason=data.reason,
            document=data.document,
            document_date=data.document_date,
            changed_by=principal.name,
            changed_at=now,
        )
    )
    row.plan_revision = revision
    row.planned_investment_wan = data.planned_investment_wan
    row.target = data.target
    row.planned_start = data.planned_start
    row.planned_completion = data.planned_completion
    row.version += 1
    row.updated_at = now
    session.add(row)
    action = PlanRowAction.adjust if revision > 1 else PlanRowAction.create
    after = PlanFigures.of(data).model_dump()
    log.record(
        session,
        actor=principal,
        object_type=AuditObject.plan,
        object_key=audit_key(project.code, year),
        action=action.value,
        changes=log.diff(before, after) if has_plan else log.created(after),
        reason=_grounds(data),
    )
    session.flush()
    return PlanWrite(_answer(session, project, row), action)


def audit_key(code: str, year: int) -> str:
    """What the audit log names a year's plan by: `INF-005/2026`."""
    return f"{code}/{year}"


def _grounds(data: PlanPut) -> str:
    """The reason, then the approving document and its date: 理由（文号，日期）."""
    parts = [data.document] if data.document else []
    if data.document_date is not None:
        parts.append(data.document_date.isoformat())
    return f"{data.reason}（{'，'.join(parts)}）" if parts else data.reason


def _answer(session: Session, project: Project, row: ProjectYear) -> PlanAnswer:
    assert project.id is not None
    history = _revisions(session, project.id, [row.year])[row.year]
    return PlanAnswer(_public(project.code, row, history), row.version)


def _require_adjustment_grounds(data: PlanPut) -> None:
    missing = [name for name in ("reason", "document") if not getattr(data, name)]
    if missing:
        raise InvalidInput(
            "This changes the plan in force: a mid-year adjustment (中期调整) needs "
            f"{' and '.join(missing)} (the approving document's 文号).",
            errors=[
                field_error("body", name, msg="required to adjust a plan", type_="missing")
                for name in missing
            ],
        )


def put_plan(
    session: Session,
    *,
    project: Project,
    year: int,
    data: PlanPut,
    principal: Principal,
    if_match: str | None,
) -> PlanWrite:
    """Create or adjust a year's plan in a transaction of its own (see `apply_plan`)."""
    assert project.id is not None
    locked = lock_project(session, project_id=project.id)
    try:
        written = apply_plan(
            session, project=locked, year=year, data=data, principal=principal, if_match=if_match
        )
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return written


def _milestone_public(
    kind: MilestoneKind, row: Milestone | StoredMilestone | None
) -> MilestonePublic:
    planned = row.planned_date if row else None
    actual = row.actual_date if row else None
    return MilestonePublic(
        kind=kind,
        name=milestones.milestone_name(kind),
        planned_date=planned,
        actual_date=actual,
        recorded_at=row.actual_recorded_at if row else None,
        late=planned is not None and actual is None and planned < clock.today(),
        updated_by=row.updated_by if row else "",
    )


def list_milestones(session: Session, *, project: Project) -> MilestoneList:
    """All five stages of the project in life-cycle order, with their dates."""
    rows = {
        MilestoneKind(row.kind): row
        for row in session.exec(select(Milestone).where(Milestone.project_id == project.id)).all()
    }
    return MilestoneList(
        project_code=project.code,
        items=[_milestone_public(kind, rows.get(kind)) for kind in milestones.LIFE_CYCLE],
    )


async def put_milestone(
    statements: Statements,
    *,
    code: str,
    kind: MilestoneKind,
    change: MilestonePut,
    principal: Principal,
) -> MilestonePublic:
    """Set a milestone's dates under the project's lock (rules: `app.plans.milestones`)."""
    async with statements.transaction() as transaction:
        project = await transaction.first(milestones.LOCK_PROJECT, {"code": code.upper()})
        if project is None:
            raise NotFound(f"No project has the code {code!r}.")
        ensure_can_write_milestones(principal, _Owned(project["code"], project["park_id"]))
        if project["archived_at"] is not None:
            raise Conflict(f"Project {project['code']} is archived; its milestones are closed.")
        stored = await milestones.read_milestones(transaction, project_id=project["id"])
        old = stored.get(kind)
        given = change.model_fields_set
        wanted = MilestoneDates(
            change.planned_date if "planned_date" in given else (old.planned_date if old else None),
            change.actual_date if "actual_date" in given else (old.actual_date if old else None),
        )
        status = ProjectStatus(project["status"])
        old_actual = old.actual_date if old else None
        if wanted.actual_date != old_actual:
            errors = milestones.date_errors(
                {kind: wanted.actual_date},
                milestones.actual_dates(stored),
                status=status,
                loc=lambda _: ("body", "actual_date"),
            )
            if errors:
                raise InvalidInput(
                    "The milestone's dates break the life-cycle rules: "
                    + "; ".join(e["msg"] for e in errors)
                    + ".",
                    errors=errors,
                )
            if wanted.actual_date is not None and milestones.status_not_reached(status, kind):
                await _report_the_status(
                    transaction,
                    project=project,
                    kind=kind,
                    day=wanted.actual_date,
                    principal=principal,
                )
                stored = await milestones.read_milestones(transaction, project_id=project["id"])
        await milestones.record_milestones(
            transaction,
            project_id=project["id"],
            project_code=project["code"],
            stored=stored,
            wanted={kind: wanted},
            actor=principal,
            now=utcnow(),
            reason=change.reason,
        )
        after = await milestones.read_milestones(transaction, project_id=project["id"])
    return _milestone_public(kind, after.get(kind))


_ENTRY = ProgressEntry.__table__  # type: ignore[attr-defined]
# The project's newest entry (parameter `project_id`): its period and figures.
_NEWEST_ENTRY = (
    sa.select(
        _ENTRY.c.period,
        _ENTRY.c.status,
        _ENTRY.c.percent_complete,
        _ENTRY.c.invested_to_date_wan,
    )
    .where(_ENTRY.c.project_id == sa.bindparam("project_id"))
    .order_by(_ENTRY.c.period.desc(), _ENTRY.c.revision.desc())
    .limit(1)
)


async def _report_the_status(
    transaction: Transaction,
    *,
    project: Mapping[str, Any],
    kind: MilestoneKind,
    day: date,
    principal: Principal,
) -> None:
    """Let the status follow an actual date it has not reached: a progress report of the
    implied status dated `day`, with the latest figures, carrying the date (the one report
    write, `store_report`). InvalidInput where no such report can be."""
    implied = milestones.implied_status(kind)
    assert implied is not None

    def refuse(why: str) -> InvalidInput:
        message = (
            f"An actual {kind} date means the project is {implied}, but its status is "
            f"{project['status']}; {why}"
        )
        return InvalidInput(
            message,
            errors=[
                field_error(
                    "body",
                    "actual_date",
                    msg=message,
                    type_="milestone_contradicts_status",
                    ctx={"kind": kind.value, "status": project["status"], "implied": implied.value},
                )
            ],
        )

    newest = await transaction.first(_NEWEST_ENTRY, {"project_id": project["id"]})
    if newest is not None and newest["period"] > day.strftime("%Y-%m"):
        raise refuse(
            f"its report for {newest['period']} is later than {day}: send a progress report "
            f"with status {implied} carrying the {kind} date (milestones.{kind})."
        )
    try:
        ensure_can_report(principal, _Owned(project["code"], project["park_id"]))
    except Forbidden:
        raise refuse(
            "a project's status comes from its park's progress reports: the park's officer "
            f"reports the {kind} (a report with status {implied} carrying the date)."
        ) from None
    report = ProgressCreate(
        as_of=day,
        status=implied,
        percent_complete=(
            100
            if implied is ProjectStatus.completed
            else (newest["percent_complete"] if newest else None)
        ),
        invested_to_date_wan=newest["invested_to_date_wan"] if newest else None,
        note=f"{milestones.milestone_name(kind)}：{day.isoformat()}。",
        milestones={kind: day},
    )
    await store_report(transaction, code=project["code"], report=report, principal=principal)


@dataclass(frozen=True)
class _Owned:
    code: str
    park_id: str
