"""Blockers (问题清单): raised on a project, moved through their life one recorded step at a
time, listed, summed, and the plan's own first items loaded."""

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app import clock
from app.audit import log as audit
from app.auth.policy import Principal
from app.blockers import queries, records
from app.blockers.queries import BLOCKER, WITH_CATEGORY
from app.blockers.schemas import (
    BlockerChange,
    BlockerCounts,
    BlockerCreate,
    BlockerDetail,
    BlockerEventPublic,
    BlockerFilters,
    BlockerList,
    BlockerListQuery,
    BlockerPublic,
    BlockerSummary,
    BlockerSummaryQuery,
    BlockerSummaryRow,
    SummaryBy,
)
from app.clock import REPORTING_TZ
from app.config import API_PREFIX
from app.models import (
    BLOCKER_LEVEL_NAMES,
    BLOCKER_STATE_NAMES,
    BLOCKER_TYPE_NAMES,
    Blocker,
    BlockerEvent,
    BlockerLevel,
    BlockerState,
    BlockerType,
    Park,
    Project,
    Role,
    utcnow,
)
from app.problems import Conflict, Forbidden, InvalidInput, NotFound, field_error
from app.versions import etag, json_body, require_if_match

BLOCKER_KIND = "blocker"  # the kind its ETags name
UNASSIGNED = "未指定"  # a summary's name for the blockers without a responsible unit

# Where each state may go (the rule: `app.blockers.schemas.LIFE_RULES`).
MOVES: dict[BlockerState, frozenset[BlockerState]] = {
    BlockerState.open: frozenset({BlockerState.in_progress, BlockerState.resolved}),
    BlockerState.in_progress: frozenset({BlockerState.resolved}),
    BlockerState.resolved: frozenset({BlockerState.reopened}),
    BlockerState.reopened: frozenset({BlockerState.in_progress, BlockerState.resolved}),
}
_LEVEL_ORDER = {level: i for i, level in enumerate(BlockerLevel)}
# What the audit log calls a step, by the state it moves to; a step that moves no state is an
# `update` (assignment, escalation, deadline, type) or a `note`.
_ACTIONS = {
    BlockerState.in_progress: "start",
    BlockerState.resolved: "resolve",
    BlockerState.reopened: "reopen",
}
# The fields a step may change besides the state; officers change none of them.
_PLANNER_FIELDS = ("type", "responsible_unit", "level", "deadline")

_PROJECT = Project.__table__  # type: ignore[attr-defined]
_PARK = Park.__table__  # type: ignore[attr-defined]
_EVENT = BlockerEvent.__table__  # type: ignore[attr-defined]
_PUBLIC_COLUMNS = (
    *(BLOCKER.c[name] for name in ("id", "type", "description", "raised_by", "raised_at")),
    *(BLOCKER.c[name] for name in ("source_entry_id", "responsible_unit", "level", "deadline")),
    *(BLOCKER.c[name] for name in ("state", "resolution", "resolved_at", "version")),
    BLOCKER.c.updated_at,
    _PROJECT.c.code.label("project_code"),
    _PROJECT.c.name.label("project_name"),
    _PARK.c.id.label("park_id"),
    _PARK.c.name.label("park_name"),
)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _officer_park(principal: Principal) -> str | None:
    return principal.park_id if principal.role is Role.officer else None


def ensure_can_see(principal: Principal, *, park_id: str) -> None:
    """Officers see their own park's blockers only; planners and admins every park's."""
    own = _officer_park(principal)
    if principal.role is Role.officer and own != park_id:
        raise Forbidden(
            f"This officer token covers park {own!r}; the blockers of park {park_id!r} are "
            "not for it."
        )


def filter_conditions(
    session: Session, filters: BlockerFilters, principal: Principal, *, today: date
) -> list[Any]:
    """The filters as conditions on `blocker`, `project`, `park` and `category`; unknown
    parks are refused (422), another park's for an officer too (403)."""
    conditions: list[Any] = [_PROJECT.c.archived_at.is_(None)]
    if filters.park:
        known = set(session.exec(select(Park.id).where(col(Park.id).in_(filters.park))).all())
        unknown = [p for p in filters.park if p not in known]
        if unknown:
            raise InvalidInput(
                f"Unknown park id: {', '.join(unknown)}; see /api/v1/parks.",
                errors=[field_error("query", "park", msg="unknown park id")],
            )
        for park_id in filters.park:
            ensure_can_see(principal, park_id=park_id)
        conditions.append(_PROJECT.c.park_id.in_(filters.park))
    if (own := _officer_park(principal)) is not None:
        conditions.append(_PROJECT.c.park_id == own)
    if filters.category:
        conditions.append(_PROJECT.c.category_id.in_(filters.category))
    if filters.project:
        conditions.append(_PROJECT.c.code.in_([code.upper() for code in filters.project]))
    for name in ("type", "state", "level"):
        if values := getattr(filters, name):
            conditions.append(BLOCKER.c[name].in_(values))
    if filters.unit:
        conditions.append(BLOCKER.c.responsible_unit.in_([u.strip() for u in filters.unit]))
    if filters.overdue is not None:
        overdue = queries.is_overdue(today)
        conditions.append(overdue if filters.overdue else sa.not_(overdue))
    if filters.q:
        pattern = f"%{_escape_like(filters.q.strip().lower())}%"
        conditions.append(sa.func.lower(BLOCKER.c.description).like(pattern, escape="\\"))
    return conditions


def _public(row: Mapping[Any, Any], *, today: date) -> BlockerPublic:
    state = BlockerState(row["state"])
    level = BlockerLevel(row["level"])
    kind = BlockerType(row["type"])
    deadline = row["deadline"]
    return BlockerPublic(
        id=row["id"],
        project_code=row["project_code"],
        project_name=row["project_name"],
        park_id=row["park_id"],
        park_name=row["park_name"],
        type=kind,
        type_name=BLOCKER_TYPE_NAMES[kind],
        description=row["description"],
        raised_by=row["raised_by"],
        raised_at=row["raised_at"],
        source_entry_id=row["source_entry_id"],
        responsible_unit=row["responsible_unit"],
        level=level,
        level_name=BLOCKER_LEVEL_NAMES[level],
        deadline=deadline,
        state=state,
        state_name=BLOCKER_STATE_NAMES[state],
        overdue=state is not BlockerState.resolved and deadline is not None and deadline < today,
        resolution=row["resolution"],
        resolved_at=row["resolved_at"],
        version=row["version"],
        updated_at=row["updated_at"],
        links={
            "self": f"{API_PREFIX}/blockers/{row['id']}",
            "project": f"{API_PREFIX}/projects/{row['project_code']}",
        },
    )


def list_blockers(
    session: Session, *, query: BlockerListQuery, principal: Principal
) -> BlockerList:
    """One page of the blockers matching the filters, newest first, and how many match."""
    today = clock.today()
    conditions = filter_conditions(session, query, principal, today=today)
    rows = session.execute(
        sa.select(*_PUBLIC_COLUMNS)
        .select_from(WITH_CATEGORY)
        .where(*conditions)
        .order_by(BLOCKER.c.id.desc())
        .limit(query.limit)
        .offset(query.offset)
    ).mappings()
    items = [_public(row, today=today) for row in rows]
    total = session.execute(
        sa.select(sa.func.count()).select_from(WITH_CATEGORY).where(*conditions)
    ).scalar_one()
    return BlockerList(items=items, total=total, limit=query.limit, offset=query.offset)


def export_rows(
    session: Session, *, filters: BlockerFilters, principal: Principal
) -> tuple[Iterator[BlockerPublic], int]:
    """Every matching blocker, newest first, streamed from the cursor; and how many there are
    (read first, so that a refused filter is refused before the download starts)."""
    today = clock.today()
    conditions = filter_conditions(session, filters, principal, today=today)
    total = session.execute(
        sa.select(sa.func.count()).select_from(WITH_CATEGORY).where(*conditions)
    ).scalar_one()
    statement = (
        sa.select(*_PUBLIC_COLUMNS)
        .select_from(WITH_CATEGORY)
        .where(*conditions)
        .order_by(BLOCKER.c.id.desc())
        .execution_options(yield_per=1000)
    )

    def rows() -> Iterator[BlockerPublic]:
        for row in session.execute(statement).mappings():
            yield _public(row, today=today)

    return rows(), int(total)


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _counts(row: Mapping[Any, Any]) -> dict[str, Any]:
    raised, resolved = int(row["raised"]), int(row["resolved"])
    return {
        "raised": raised,
        "open": int(row["open"]),
        "overdue": int(row["overdue"]),
        "resolved": resolved,
        "resolution_rate_pct": _pct(resolved, raised),
    }


def _group_name(by: SummaryBy, key: str, label: str | None) -> str:
    if by is SummaryBy.type:
        return BLOCKER_TYPE_NAMES[BlockerType(key)]
    if by is SummaryBy.level:
        return BLOCKER_LEVEL_NAMES[BlockerLevel(key)]
    if by is SummaryBy.state:
        return BLOCKER_STATE_NAMES[BlockerState(key)]
    if by is SummaryBy.unit:
        return key or UNASSIGNED
    return label or key


def summarize(
    session: Session, *, query: BlockerSummaryQuery, principal: Principal
) -> BlockerSummary:
    """Raised, open, overdue, resolved and 办结率 per group and in total, from the database."""
    today = clock.today()
    conditions = filter_conditions(session, query, principal, today=today)
    rows, total = queries.summary(session, by=query.by.value, conditions=conditions, today=today)
    return BlockerSummary(
        by=query.by,
        rows=[
            BlockerSummaryRow(
                key=row.key,
                name=_group_name(query.by, row.key, row.label),
                **_counts(row._mapping),
            )
            for row in rows
        ],
        totals=BlockerCounts(**_counts(total._mapping)),
    )


@dataclass(frozen=True)
class BlockerAnswer:
    """A blocker with its history as the API answers it, and its version (the ETag's)."""

    blocker: BlockerDetail
    version: int


def blocker_etag(answer: BlockerAnswer) -> str:
    """The ETag a blocker's answer carries: its version and the bytes of its representation."""
    detail = answer.blocker
    return etag(BLOCKER_KIND, str(detail.id), answer.version, body=json_body(detail))


def _row_of(session: Session, blocker_id: int) -> Mapping[Any, Any] | None:
    return (
        session.execute(
            sa.select(*_PUBLIC_COLUMNS)
            .select_from(queries.WITH_PROJECT)
            .where(BLOCKER.c.id == blocker_id)
        )
        .mappings()
        .first()
    )


def _answer(session: Session, row: Mapping[Any, Any]) -> BlockerAnswer:
    events = session.execute(
        sa.select(_EVENT).where(_EVENT.c.blocker_id == row["id"]).order_by(_EVENT.c.id)
    ).mappings()
    public = _public(row, today=clock.today())
    detail = BlockerDetail(
        **public.model_dump(),
        events=[BlockerEventPublic.model_validate(dict(event)) for event in events],
    )
    return BlockerAnswer(detail, row["version"])


def get_blocker(session: Session, *, blocker_id: int, principal: Principal) -> BlockerAnswer:
    """One blocker with its whole history; unknown: 404, another park's for an officer: 403."""
    row = _row_of(session, blocker_id)
    if row is None:
        raise NotFound(f"No blocker has the id {blocker_id}.")
    ensure_can_see(principal, park_id=row["park_id"])
    return _answer(session, row)


def project_blockers(session: Session, *, project: Project) -> list[BlockerPublic]:
    """A project's blockers, newest first (its page shows them)."""
    today = clock.today()
    rows = session.execute(
        sa.select(*_PUBLIC_COLUMNS)
        .select_from(queries.WITH_PROJECT)
        .where(BLOCKER.c.project_id == project.id)
        .order_by(BLOCKER.c.id.desc())
    ).mappings()
    return [_public(row, today=today) for row in rows]


def _record(
    session: Session,
    *,
    blocker: Blocker,
    principal: Principal,
    from_state: str | None,
    changes: dict[str, list[Any]],
    note: str,
    now: datetime,
    action: str,
    audited: dict[str, list[Any]],
) -> None:
    assert blocker.id is not None
    session.add(
        BlockerEvent(
            blocker_id=blocker.id,
            from_state=from_state,
            to_state=blocker.state,
            changes=changes,
            note=note,
            actor_name=principal.name,
            actor_token_id=principal.token_id,
            at=now,
        )
    )
    audit.record(
        session,
        actor=principal,
        object_type=records.OBJECT_TYPE,
        object_key=str(blocker.id),
        action=action,
        changes=audited,
        reason=note,
    )


def raise_blocker(
    session: Session, *, project: Project, data: BlockerCreate, principal: Principal
) -> BlockerAnswer:
    """Raise a blocker on a project, with its first event and audit record, in one
    transaction. Officers raise on their own park's projects only (403); an archived project
    takes none (409)."""
    try:
        ensure_can_see(principal, park_id=project.park_id)
        if project.archived_at is not None:
            raise Conflict(
                f"Project {project.code} is archived; it takes no new blockers.",
                errors=[
                    field_error("path", "code", msg="archived", type_="blocker_archived_project")
                ],
            )
        now = utcnow()
        blocker = Blocker(
            project_id=project.id,  # type: ignore[arg-type]
            type=data.type.value,
            description=data.description,
            raised_by=principal.name,
            raised_by_token_id=principal.token_id,
            raised_at=now,
            responsible_unit=data.responsible_unit.strip(),
            level=data.level.value,
            deadline=data.deadline,
            state=BlockerState.open.value,
            version=1,
            updated_at=now,
        )
        session.add(blocker)
        session.flush()
        changes = records.raised_fields(blocker.model_dump())
        _record(
            session,
            blocker=blocker,
            principal=principal,
            from_state=None,
            changes=changes,
            note="",
            now=now,
            action="create",
            audited=changes,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    assert blocker.id is not None
    row = _row_of(session, blocker.id)
    assert row is not None
    return _answer(session, row)


def _refuse_officer(
    principal: Principal, target: BlockerState | None, fields: Sequence[str]
) -> None:
    if principal.role is not Role.officer:
        return
    if fields or (target is not None and target is not BlockerState.in_progress):
        asked = [*fields, *([f"state {target.value}"] if target is not None else [])]
        raise Forbidden(
            "Park officers add notes to their park's blockers and move an open or reopened "
            "one to in_progress; assigning, escalating, reclassifying, deadlines, resolving "
            f"and reopening are for planners (asked: {', '.join(asked)}).",
            # Pages word the refusal from its type (`app.web.i18n.FIELD_ERRORS`).
            errors=[
                field_error(
                    "body",
                    name,
                    msg="for planners",
                    type_="blocker_planners_only",
                )
                for name in [*fields, *(["state"] if target is not None else [])]
            ],
        )


def _check_move(current: BlockerState, target: BlockerState) -> None:
    if target not in MOVES[current]:
        allowed = ", ".join(sorted(s.value for s in MOVES[current]))
        raise Conflict(
            f"A blocker that is {current.value} ({BLOCKER_STATE_NAMES[current]}) cannot move "
            f"to {target.value}; it may move to: {allowed}.",
            errors=[
                field_error(
                    "body",
                    "state",
                    msg=f"cannot move from {current.value} to {target.value}",
                    type_="blocker_move",
                    ctx={
                        "current": BLOCKER_STATE_NAMES[current],
                        "target": BLOCKER_STATE_NAMES[target],
                    },
                )
            ],
        )


def change_blocker(
    session: Session,
    *,
    blocker_id: int,
    change: BlockerChange,
    principal: Principal,
    if_match: str | None,
) -> BlockerAnswer:
    """Take one step of a blocker's life (`app.blockers.schemas.LIFE_RULES`): its new state
    and fields, one event and one audit record, in one transaction under the row's lock."""
    try:
        changed = _change(
            session,
            blocker_id=blocker_id,
            change=change,
            principal=principal,
            if_match=if_match,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    row = _row_of(session, changed)
    assert row is not None
    return _answer(session, row)


def _change(
    session: Session,
    *,
    blocker_id: int,
    change: BlockerChange,
    principal: Principal,
    if_match: str | None,
) -> int:
    locked = select(Blocker).where(Blocker.id == blocker_id).with_for_update()
    blocker = session.exec(locked.execution_options(populate_existing=True)).first()
    if blocker is None:
        raise NotFound(f"No blocker has the id {blocker_id}.")
    row = _row_of(session, blocker_id)
    assert row is not None
    ensure_can_see(principal, park_id=row["park_id"])
    require_if_match(if_match, blocker_etag(_answer(session, row)))

    current = BlockerState(blocker.state)
    target = change.state if change.state not in (None, current) else None
    sent = change.model_dump(include=set(_PLANNER_FIELDS) & change.model_fields_set)
    before = {name: getattr(blocker, name) for name in sent}
    fields = audit.diff(before, sent)
    _refuse_officer(principal, target, list(fields))
    if target is not None:
        _check_move(current, target)
    if current is BlockerState.resolved and target is None and fields:
        raise Conflict(
            "The blocker is resolved: reopen it (state reopened) before changing "
            f"{', '.join(fields)}.",
            errors=[
                field_error("body", name, msg="reopen it first", type_="blocker_resolved")
                for name in fields
            ],
        )
    if (
        "level" in fields
        and _LEVEL_ORDER[BlockerLevel(sent["level"])] < _LEVEL_ORDER[BlockerLevel(blocker.level)]
    ):
        level = BlockerLevel(blocker.level)
        raise Conflict(
            f"A blocker's level only moves up (park → district → city); it is at "
            f"{level.value} ({BLOCKER_LEVEL_NAMES[level]}).",
            errors=[
                field_error(
                    "body",
                    "level",
                    msg="only moves up",
                    type_="blocker_level_down",
                    ctx={"level": BLOCKER_LEVEL_NAMES[level]},
                )
            ],
        )
    _check_resolution(change, target)

    now = utcnow()
    for name in fields:
        value = sent[name]
        setattr(
            blocker, name, value.value if isinstance(value, BlockerType | BlockerLevel) else value
        )
    if target is BlockerState.resolved:
        assert change.resolution is not None
        fields["resolution"] = [blocker.resolution, change.resolution]
        blocker.resolution = change.resolution
        blocker.resolved_at = now
    elif target is BlockerState.reopened:
        # The history keeps the earlier resolution; the blocker holds none while open.
        fields["resolution"] = [blocker.resolution, ""]
        blocker.resolution = ""
        blocker.resolved_at = None
    if target is not None:
        blocker.state = target.value
    blocker.version += 1
    blocker.updated_at = now
    session.add(blocker)
    audited = {**({"state": [current.value, target.value]} if target else {}), **fields}
    _record(
        session,
        blocker=blocker,
        principal=principal,
        from_state=current.value,
        changes=fields,
        note=change.note,
        now=now,
        action=_ACTIONS[target] if target is not None else ("update" if fields else "note"),
        audited=audited,
    )
    session.flush()
    return blocker_id


def _check_resolution(change: BlockerChange, target: BlockerState | None) -> None:
    if target is BlockerState.resolved and change.resolution is None:
        raise InvalidInput(
            "Resolving a blocker needs `resolution` (办理结果): how it was solved.",
            errors=[
                field_error(
                    "body", "resolution", msg="required to resolve a blocker", type_="missing"
                )
            ],
        )
    if change.resolution is not None and target is not BlockerState.resolved:
        raise InvalidInput(
            "`resolution` is sent with the step that resolves the blocker (state resolved).",
            errors=[
                field_error(
                    "body",
                    "resolution",
                    msg="only with state resolved",
                    type_="resolution_without_resolving",
                )
            ],
        )


# The plan's own blockers: who raised them, and what file lists them.
SEED_RAISER = "大连沿海产业转型升级示范区建设方案（附件3）"
SEED_FILE = "blockers.json"


def load_seed_blockers(session: Session, *, seed_dir: Path, raised_on: date) -> int:
    """Add the blockers `blockers.json` lists (raised by the plan on `raised_on`) that are not
    stored yet, in the caller's transaction; how many were added."""
    items: list[dict[str, Any]] = json.loads((seed_dir / SEED_FILE).read_text("utf-8"))
    raised_at = datetime.combine(raised_on, time(), tzinfo=REPORTING_TZ)
    projects = {
        p.code: p
        for p in session.exec(
            select(Project).where(col(Project.code).in_([item["code"] for item in items]))
        ).all()
    }
    stored = {
        (b.project_id, b.description)
        for b in session.exec(select(Blocker).where(Blocker.raised_by == SEED_RAISER)).all()
    }
    added = 0
    for item in items:
        project = projects.get(item["code"])
        if project is None or (project.id, item["description"]) in stored:
            continue
        now = utcnow()
        blocker = Blocker(
            project_id=project.id,  # type: ignore[arg-type]
            type=BlockerType(item["type"]).value,
            description=item["description"],
            raised_by=SEED_RAISER,
            raised_at=raised_at,
            responsible_unit=item.get("responsible_unit", ""),
            level=BlockerLevel(item["level"]).value,
            state=BlockerState.open.value,
            version=1,
            updated_at=now,
        )
        session.add(blocker)
        session.flush()
        assert blocker.id is not None
        session.add(
            BlockerEvent(
                blocker_id=blocker.id,
                from_state=None,
                to_state=BlockerState.open.value,
                changes=records.raised_fields(blocker.model_dump()),
                note="附件3 项目进展情况所列。",
                actor_name=SEED_RAISER,
                at=raised_at,
            )
        )
        added += 1
    return added
