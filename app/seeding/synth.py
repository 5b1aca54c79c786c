"""A deterministic synthetic portfolio at any scale, drawn like the real library, bulk-loaded."""

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from psycopg import sql as psql
from sqlmodel import Session, col, select

from app import clock
from app.models import (
    AuditRecord,
    Blocker,
    BlockerEvent,
    BlockerLevel,
    BlockerState,
    BlockerType,
    Category,
    Edition,
    EditionKind,
    Milestone,
    MilestoneKind,
    Park,
    PlanRevision,
    ProgressEntry,
    Project,
    ProjectStatus,
    ProjectYear,
    ReviewRecord,
    Tier,
    utcnow,
)
from app.progress import years
from app.progress.service import figures_of

SYNTH_REPORTER = "synth"
SYNTH_REVIEWER = "合成审核"
_BATCH = 5000
_DAY = timedelta(days=1)
_ISSUES = ("征地拆迁未完成", "资金未及时到位", "环评手续待批复", "施工许可办理中", "设备到货延迟")
_NOTES = ("主体施工", "设备安装", "基础施工", "装饰装修", "配套工程建设")
# Who wrote the plans and milestones a synthetic portfolio holds.
SYNTH_AUTHOR = "合成数据"
# A year's target (形象进度) between the start year ("开工建设") and the end year ("竣工投产").
_MIDDLE_TARGETS = ("主体施工", "主体封顶", "设备安装")
_ADJUSTED_SHARE = 0.1  # of the current year's plans: adjusted mid-year (中期调整)
_OPERATING_SHARE = 0.8  # of completed projects: in operation a month after completion
# Who is responsible for a synthetic project: a unit of 30 and a leader of 60, so that
# scorecards by unit and by leader have groups of a realistic size; a few have neither.
_DISTRICTS = (
    "金州区",
    "甘井子区",
    "旅顺口区",
    "普兰店区",
    "瓦房店市",
    "庄河市",
    "长海县",
    "高新区",
    "长兴岛经济区",
    "花园口经济区",
)
_BUREAUS = ("发展和改革局", "工业和信息化局", "住房和城乡建设局")
UNITS = tuple(f"{district}{bureau}" for district in _DISTRICTS for bureau in _BUREAUS)
LEADERS = tuple(
    f"{surname}{given}"
    for surname in "王李张刘陈杨赵黄周吴"
    for given in ("建国", "志强", "海峰", "晓东", "丽华", "文博")
)
_UNASSIGNED_SHARE = 0.05
# 项目代码 of a synthetic project: its start year, an area code no real one uses, and the
# category and seq that make its project code unique, so its national code is unique too.
_SYNTH_AREA = "210299"
_CATEGORY_DIGITS = {"infrastructure": "01", "service_platform": "02", "innovation": "03"}
# A report in one of these statuses means the project has started (a suspension comes after
# construction began in `_history`; a cancellation here never follows a start).
_STARTED = frozenset(
    {
        ProjectStatus.under_construction.value,
        ProjectStatus.completed.value,
        ProjectStatus.suspended.value,
    }
)


class SynthError(Exception):
    """The database is not ready for synthetic data."""


@dataclass(frozen=True)
class SynthResult:
    """What a synth run added."""

    parks: int
    projects: int
    entries: int
    plans: int  # project years with a plan
    milestones: int


@dataclass(frozen=True)
class _Profile:
    """What the real library looks like: categories, start years, spans and investments."""

    categories: list[str]
    start_years: list[int]
    spans: list[int]
    investments: list[int]


def _profile(seed_dir: Path) -> _Profile:
    # The extracted library itself, not the database: the same seed draws the same portfolio
    # whatever the database already holds.
    rows = json.loads((seed_dir / "projects.json").read_text(encoding="utf-8"))
    return _Profile(
        categories=[r["category"] for r in rows],
        start_years=[r["start_year"] for r in rows],
        spans=[r["end_year"] - r["start_year"] for r in rows],
        investments=[r["total_investment_wan"] for r in rows],
    )


def _month_ends(months: int, today: date) -> list[date]:
    ends = []
    year, month = today.year, today.month
    for _ in range(months):
        # Step back a month at a time; the last report period is the month before today's.
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        next_first = date(year + (month == 12), month % 12 + 1, 1)
        ends.append(next_first - timedelta(days=1))
    return sorted(ends)


def synthesize(
    session: Session,
    *,
    projects: int,
    months: int,
    seed: int,
    seed_dir: Path,
    today: date | None = None,
    progress: Callable[[str, int], None] = lambda stage, done: None,
) -> SynthResult:
    """Add `projects` projects with `months` of monthly reports each, in bulk batches."""
    rng = random.Random(seed)
    # Plans and milestones draw from their own stream, so the projects and reports a seed
    # draws stay those it drew before they were added.
    plan_rng = random.Random(f"plans-{seed}")
    # Who is responsible, and the follow-up (blockers, review and audit records), from streams
    # of their own for the same reason.
    who_rng = random.Random(f"who-{seed}")
    follow_rng = random.Random(f"follow-{seed}")
    profile = _profile(seed_dir)
    today = today or clock.today()
    month_ends = _month_ends(months, today)
    new_parks = _parks(session, count=max(1, projects // 2000), seed=seed)
    edition_id = _batch(session, seed=seed)
    park_ids = list(session.exec(select(Park.id).order_by(col(Park.id))).all())
    prefixes = {
        c.id: c.code_prefix for c in session.exec(select(Category).order_by(col(Category.id))).all()
    }
    if not prefixes or not park_ids:
        raise SynthError(
            "Seed the library first (portfolio seed): synthetic projects need its parks."
        )
    next_seq = {
        cid: (
            session.exec(select(sa.func.max(Project.seq)).where(Project.category_id == cid)).one()
            or 0
        )
        + 1
        for cid in prefixes
    }
    entries = plans = milestones = 0
    for start in range(0, projects, _BATCH):
        size = min(_BATCH, projects - start)
        rows = []
        for _ in range(size):
            category = rng.choice(profile.categories)
            seq = next_seq[category]
            next_seq[category] += 1
            start_year = rng.choice(profile.start_years) + rng.randint(0, 6)
            rows.append(
                {
                    "code": f"{prefixes[category]}-{seq:03d}",
                    "category_id": category,
                    "seq": seq,
                    "name": f"合成项目{seq}",
                    "park_id": rng.choice(park_ids),
                    "printed_park_name": "",
                    "content": "合成数据",
                    "start_year": start_year,
                    "end_year": start_year + rng.choice(profile.spans),
                    "total_investment_wan": max(
                        100, int(rng.choice(profile.investments) * rng.uniform(0.5, 1.5))
                    ),
                    "version": 1,
                    "created_at": utcnow(),
                    "updated_at": utcnow(),
                    "edition_id": edition_id,
                    **_who(who_rng, category=category, seq=seq, start_year=start_year),
                }
            )
        # The histories come before the rows are stored, so each row is inserted with the
        # current figures a report through the API would leave it with (no UPDATE after).
        histories = [list(_history(rng, row, month_ends)) for row in rows]
        stamp = utcnow()
        drawn = []
        for row, history in zip(rows, histories, strict=True):
            row |= _figures(history)
            row |= _figures([r for r in history if r["review_state"] == "approved"], "official_")
            revisions = _plans(plan_rng, row, month_ends, today)
            stages = _milestones(plan_rng, row, history, today, stamp)
            actual = {m["kind"]: m["actual_date"] for m in stages}
            row["started_on"] = actual.get(MilestoneKind.start.value)
            row["completed_on"] = actual.get(MilestoneKind.completion.value)
            drawn.append((revisions, stages))
        _insert(session, Project.__table__, rows)  # type: ignore[attr-defined]
        ids = dict(
            session.execute(
                sa.select(col(Project.code), col(Project.id)).where(
                    col(Project.code).in_([r["code"] for r in rows])
                )
            ).all()
        )
        reports = [
            {**report, "project_id": ids[row["code"]]}
            for row, history in zip(rows, histories, strict=True)
            for report in history
        ]
        _insert(session, ProgressEntry.__table__, reports)  # type: ignore[attr-defined]
        revision_rows: list[dict[str, Any]] = []
        milestone_rows: list[dict[str, Any]] = []
        for row, (revisions, stages) in zip(rows, drawn, strict=True):
            project_id = ids[row["code"]]
            revision_rows += [{**r, "project_id": project_id} for r in revisions]
            milestone_rows += [{**m, "project_id": project_id} for m in stages]
        year_rows = _years_in_force(revision_rows)
        # Before the openings: their insert adds rows only for years without one, and their
        # update fills in the openings of these too.
        _insert(session, ProjectYear.__table__, year_rows)  # type: ignore[attr-defined]
        _insert(session, PlanRevision.__table__, revision_rows)  # type: ignore[attr-defined]
        _insert(session, Milestone.__table__, milestone_rows)  # type: ignore[attr-defined]
        _follow_up(session, follow_rng, ids=ids, rows=rows, revisions=revision_rows, today=today)
        _analyze(session, ProgressEntry.__table__, ProjectYear.__table__)  # type: ignore[attr-defined]
        for statement in years.history_statements(partial(_in, list(ids.values()))):
            session.execute(statement)
        session.commit()
        entries += len(reports)
        plans += len(year_rows)
        milestones += len(milestone_rows)
        progress("projects", size)
    return SynthResult(
        parks=new_parks, projects=projects, entries=entries, plans=plans, milestones=milestones
    )


# Of the projects whose latest report raises a blocker, and of the others, the share with
# a blocker in the register; of those, the share already resolved.
_BLOCKED_SHARE = 0.9
_OTHER_BLOCKED_SHARE = 0.15
_RESOLVED_SHARE = 0.6


def _follow_up(
    session: Session,
    rng: random.Random,
    *,
    ids: dict[str, int],
    rows: list[dict[str, Any]],
    revisions: list[dict[str, Any]],
    today: date,
) -> None:
    """What the round leaves behind besides reports: a review record for every reviewed
    entry, blockers with their steps, and the audit records of the plans."""
    project_ids = list(ids.values())
    entry = ProgressEntry.__table__  # type: ignore[attr-defined]
    decided = sa.select(
        entry.c.project_id,
        entry.c.period,
        entry.c.id,
        sa.case((entry.c.review_state == "approved", "approve"), else_="return"),
        entry.c.review_comment,
        entry.c.reviewer_name,
        sa.literal("planner"),
        entry.c.reviewed_at,
    ).where(entry.c.project_id.in_(project_ids), entry.c.reviewed_at.is_not(None))
    session.execute(
        sa.insert(ReviewRecord.__table__).from_select(  # type: ignore[attr-defined]
            [
                "project_id",
                "period",
                "entry_id",
                "action",
                "comment",
                "actor_name",
                "actor_role",
                "at",
            ],
            decided,
        )
    )
    stamp = datetime.combine(today, time(1), tzinfo=UTC)
    blockers = []
    for row in rows:
        raised = bool(row["open_issues"])
        if rng.random() >= (_BLOCKED_SHARE if raised else _OTHER_BLOCKED_SHARE):
            continue
        resolved = not raised and rng.random() < _RESOLVED_SHARE
        raised_at = stamp - timedelta(days=rng.randint(5, 400))
        deadline = (raised_at + timedelta(days=rng.choice((30, 60, 90, 180)))).date()
        state = BlockerState.resolved if resolved else rng.choice(_OPEN_STATES)
        blockers.append(
            {
                "project_id": ids[row["code"]],
                "type": rng.choice(list(BlockerType)).value,
                "description": rng.choice(_ISSUES),
                "raised_by": SYNTH_REPORTER,
                "raised_at": raised_at,
                "responsible_unit": row["responsible_unit"] or rng.choice(UNITS),
                "level": rng.choice(list(BlockerLevel)).value,
                "deadline": deadline,
                "state": state.value,
                "resolution": "已协调解决。" if resolved else "",
                "resolved_at": raised_at + timedelta(days=rng.randint(3, 90)) if resolved else None,
                "version": 1,
                "updated_at": raised_at,
            }
        )
    _insert(session, Blocker.__table__, blockers)  # type: ignore[attr-defined]
    blocker = Blocker.__table__  # type: ignore[attr-defined]
    stored = session.execute(
        sa.select(blocker.c.id, blocker.c.state, blocker.c.raised_at, blocker.c.resolved_at).where(
            blocker.c.project_id.in_(project_ids)
        )
    ).all()
    events = []
    for blocker_id, state, raised_at, resolved_at in stored:
        events.append(_event(blocker_id, None, BlockerState.open, raised_at))
        if state != BlockerState.open:
            events.append(_event(blocker_id, BlockerState.open, state, resolved_at or raised_at))
    _insert(session, BlockerEvent.__table__, events)  # type: ignore[attr-defined]
    code_of = {project_id: code for code, project_id in ids.items()}
    audit = [
        {
            "at": r["changed_at"],
            "actor_name": SYNTH_AUTHOR,
            "actor_role": "planner",
            "actor_token_id": None,
            "object_type": "plan",
            "object_key": f"{code_of[r['project_id']]}/{r['year']}",
            "action": "create" if r["revision"] == 1 else "adjust",
            "changes": {"planned_investment_wan": [None, r["planned_investment_wan"]]},
            "reason": r["reason"],
        }
        for r in revisions
    ]
    _insert(session, AuditRecord.__table__, audit)  # type: ignore[attr-defined]


_OPEN_STATES = (BlockerState.open, BlockerState.in_progress, BlockerState.reopened)


def _event(blocker_id: int, before: str | None, after: str, at: datetime) -> dict[str, Any]:
    return {
        "blocker_id": blocker_id,
        "from_state": before,
        "to_state": after,
        "changes": {},
        "note": "",
        "actor_name": SYNTH_AUTHOR,
        "at": at,
    }


def _in(ids: list[int], column: Any) -> Any:
    return column.in_(ids)


def _insert(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Store `rows` (all with the same keys): by COPY on PostgreSQL, else in executemany batches."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        for chunk in range(0, len(rows), _BATCH):
            session.execute(sa.insert(table), rows[chunk : chunk + _BATCH])
        return
    # COPY takes a third of the time of multi-row INSERTs here (docs/performance.md).
    columns = list(rows[0])
    statement = psql.SQL("COPY {} ({}) FROM STDIN").format(
        psql.Identifier(table.name), psql.SQL(", ").join(map(psql.Identifier, columns))
    )
    # The session's own connection, so the rows commit or roll back with its transaction.
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([_copied(row[c]) for c in columns])


def _copied(value: Any) -> Any:
    # COPY takes a JSON column's value as its text.
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def _analyze(session: Session, *tables: sa.Table) -> None:
    """Refresh PostgreSQL's statistics of `tables` after a bulk load, inside the transaction."""
    if session.get_bind().dialect.name != "postgresql":
        return
    # Without them the planner takes a freshly loaded table for an empty one and answers the
    # openings' lookups of approved entries from a bitmap of the whole review-state index, so
    # that each batch's update is slower than the one before.
    for table in tables:
        session.execute(sa.text(f'ANALYZE "{table.name}"'))


def _figures(reports: list[dict[str, Any]], prefix: str = "") -> dict[str, Any]:
    """A project row's current figures (`prefix`: official ones) after `reports`."""
    newest = SimpleNamespace(**_newest(reports)) if reports else None
    return {f"{prefix}{name}": value for name, value in figures_of(newest).items()}


def _newest(reports: list[dict[str, Any]]) -> dict[str, Any]:
    # A period counts with its highest revision among the reports not returned
    # (`app.progress.current.counts`); the current report is the newest of those.
    counting: dict[str, dict[str, Any]] = {}
    for report in reports:
        if report["review_state"] == "returned":
            continue
        if (
            report["period"] not in counting
            or report["revision"] > counting[report["period"]]["revision"]
        ):
            counting[report["period"]] = report
    return max(counting.values(), key=lambda r: (r["as_of"], r["received_at"]))


def _who(rng: random.Random, *, category: str, seq: int, start_year: int) -> dict[str, Any]:
    """A synthetic project's responsible unit, leader and national code."""
    assigned = rng.random() >= _UNASSIGNED_SHARE
    industry = rng.randint(10, 99)
    return {
        "responsible_unit": rng.choice(UNITS) if assigned else "",
        "leader": rng.choice(LEADERS) if assigned else "",
        "national_code": f"{start_year:04d}-{_SYNTH_AREA}-{industry:02d}-"
        f"{_CATEGORY_DIGITS.get(category, '09')}-{seq:06d}",
    }


def _batch(session: Session, *, seed: int) -> str:
    """The synthetic batch of the library a seed's projects enter with (added once)."""
    edition_id = f"synth-{seed}"
    if session.get(Edition, edition_id) is None:
        session.add(
            Edition(
                id=edition_id,
                name=f"合成批次{seed}",
                kind=EditionKind.batch.value,
                note="portfolio synth 生成的合成数据，用于性能测试。",
                created_by=SYNTH_AUTHOR,
            )
        )
        session.commit()
    return edition_id


def _parks(session: Session, *, count: int, seed: int) -> int:
    existing = {p.id for p in session.exec(select(Park)).all()}
    position = session.exec(select(sa.func.max(Park.position))).one() or 0
    added = 0
    for index in range(1, count + 1):
        park_id = f"synth-{seed}-{index:04d}"
        if park_id in existing:
            continue
        session.add(
            Park(
                id=park_id,
                name=f"合成园区{seed}-{index}",
                aliases=[],
                table4_name=f"合成园区{seed}-{index}",
                tier=Tier.key if index % 4 else Tier.demonstration,
                position=position + index,
            )
        )
        added += 1
    session.commit()
    return added


def _history(
    rng: random.Random, project: dict[str, Any], month_ends: list[date]
) -> Iterator[dict[str, Any]]:
    start, end = project["start_year"], project["end_year"] + 1
    planned = project["total_investment_wan"]
    fate = rng.random()
    invested = 0
    percent = 0
    for as_of in month_ends:
        if rng.random() < 0.05:
            continue  # a missing report
        elapsed = (as_of.year + as_of.timetuple().tm_yday / 366 - start) / (end - start)
        if elapsed < 0:
            status, percent = ProjectStatus.pre_construction, 0
        elif fate < 0.03:
            status = ProjectStatus.cancelled
        elif fate < 0.08 and elapsed > 0.3 and (fate >= 0.06 or elapsed < 0.45):
            # Some stop for good; others stop for a while and resume (复工).
            status = ProjectStatus.suspended
        else:
            percent = min(100, max(percent, int(100 * elapsed * rng.uniform(0.6, 1.05))))
            status = ProjectStatus.completed if percent >= 100 else ProjectStatus.under_construction
        invested = max(invested, min(planned, planned * percent // 100))
        # Most reports arrive in the first days of the next month; some are late.
        delay = rng.randint(1, 4) if rng.random() > 0.1 else rng.randint(6, 20)
        received = datetime.combine(as_of + timedelta(days=delay), time(9), tzinfo=UTC)
        revisions = 2 if rng.random() < 0.03 else 1
        for revision in range(1, revisions + 1):
            state = "approved" if rng.random() < 0.7 else "submitted"
            if revision < revisions:
                # A period reported twice: the first report was sent back, the second revises it.
                state = "returned"
            yield {
                "as_of": as_of,
                "period": as_of.strftime("%Y-%m"),
                "revision": revision,
                "status": status.value,
                "percent_complete": percent
                if status is not ProjectStatus.pre_construction
                else None,
                "invested_to_date_wan": invested,
                "note": rng.choice(_NOTES),
                "issues": rng.choice(_ISSUES) if rng.random() < 0.08 else "",
                "is_baseline": False,
                "reporter_name": SYNTH_REPORTER,
                "reporter_role": "officer",
                "received_at": received + timedelta(hours=revision - 1),
                "review_state": state,
                "reviewer_name": None if state == "submitted" else SYNTH_REVIEWER,
                "reviewed_at": None
                if state == "submitted"
                else received + timedelta(days=2, hours=revision - 1),
                "review_comment": "请核实后重新填报。" if state == "returned" else "",
            }


def _plans(
    rng: random.Random, project: dict[str, Any], month_ends: list[date], today: date
) -> list[dict[str, Any]]:
    """The plan revisions of each year of construction the reports cover, oldest first."""
    start_year, end_year = project["start_year"], project["end_year"]
    share = project["total_investment_wan"] / (end_year - start_year + 1)
    current_year = month_ends[-1].year
    revisions = []
    for year in range(max(start_year, month_ends[0].year), min(end_year, current_year) + 1):
        if year == end_year:
            target = "竣工投产"
        elif year == start_year:
            target = "开工建设"
        else:
            target = rng.choice(_MIDDLE_TARGETS)
        original = {
            "year": year,
            "revision": 1,
            "planned_investment_wan": max(0, round(share * rng.uniform(0.8, 1.2))),
            "target": target,
            "planned_start": year == start_year,
            "planned_completion": year == end_year,
            "reason": "",
            "document": "",
            "document_date": None,
            "changed_by": SYNTH_AUTHOR,
            "changed_at": datetime(year, 1, rng.randint(5, 25), 1, tzinfo=UTC),
        }
        revisions.append(original)
        # A mid-year adjustment is approved in July, so only once July is over.
        if year != current_year or today < date(year, 8, 1) or rng.random() >= _ADJUSTED_SHARE:
            continue
        factor = rng.uniform(0.7, 0.9) if rng.random() < 0.5 else rng.uniform(1.1, 1.3)
        planned = round(original["planned_investment_wan"] * factor)
        approved = date(year, 7, rng.randint(1, 24))
        revisions.append(
            original
            | {
                "revision": 2,
                # An adjustment changes the figure, or it would not be one.
                "planned_investment_wan": planned
                if planned != original["planned_investment_wan"]
                else planned + 1,
                "reason": "中期调整",
                "document": f"大发改投资〔{year}〕{rng.randint(1, 199)}号",
                "document_date": approved,
                "changed_at": datetime.combine(
                    approved + timedelta(days=rng.randint(0, 6)), time(2), tzinfo=UTC
                ),
            }
        )
    return revisions


def _years_in_force(revisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `project_year` rows the revisions leave: each year's newest revision in force."""
    newest: dict[tuple[int, int], dict[str, Any]] = {}
    for revision in revisions:
        newest[revision["project_id"], revision["year"]] = revision  # oldest first
    return [
        {
            "project_id": r["project_id"],
            "year": r["year"],
            "plan_revision": r["revision"],
            "planned_investment_wan": r["planned_investment_wan"],
            "target": r["target"],
            "planned_start": r["planned_start"],
            "planned_completion": r["planned_completion"],
            # A plan's version counts its changes, as the plans API bumps it.
            "version": r["revision"],
            "updated_at": r["changed_at"],
        }
        for r in newest.values()
    ]


def _milestones(
    rng: random.Random,
    project: dict[str, Any],
    history: list[dict[str, Any]],
    today: date,
    stamp: datetime,
) -> list[dict[str, Any]]:
    """The project's life-cycle stages: planned from its years, actual from its reports."""
    start_year, end_year = project["start_year"], project["end_year"]
    cancelled = project["status"] == ProjectStatus.cancelled.value
    planned = {
        MilestoneKind.filing: date(start_year - 1, rng.randint(3, 6), rng.randint(1, 28)),
        MilestoneKind.permits: date(start_year - 1, rng.randint(9, 12), rng.randint(1, 28)),
        MilestoneKind.start: date(start_year, rng.randint(1, 3), rng.randint(1, 28)),
        MilestoneKind.completion: date(end_year, 12, 31),
        MilestoneKind.operation: date(end_year + 1, 1, 31),
    }
    actual: dict[MilestoneKind, date] = {}
    recorded: dict[MilestoneKind, datetime] = {}
    started = next((r for r in history if r["status"] in _STARTED), None)
    if started is not None:
        # Within the month of the first report of construction if an earlier report saw the
        # project before it; otherwise it started before the reports begin, in its start year.
        seen_before = history[0]["as_of"] < started["as_of"]
        earliest, latest = date(start_year, 1, 1), _month_start(started["as_of"]) - _DAY
        if seen_before or latest < earliest:
            actual[MilestoneKind.start] = _in_month(rng, started["as_of"])
            recorded[MilestoneKind.start] = started["received_at"]
        else:
            actual[MilestoneKind.start] = _between(
                rng, earliest, min(latest, date(start_year, 6, 30))
            )
    done = next((r for r in history if r["status"] == ProjectStatus.completed.value), None)
    if done is not None:
        begun = actual[MilestoneKind.start]
        if history[0]["as_of"] < done["as_of"]:
            finished = max(begun, _in_month(rng, done["as_of"]))
            recorded[MilestoneKind.completion] = done["received_at"]
        else:
            latest = _month_start(done["as_of"]) - _DAY
            finished = _between(rng, min(max(begun, date(end_year, 7, 1)), latest), latest)
        actual[MilestoneKind.completion] = min(max(begun, finished), done["as_of"])
        if rng.random() < _OPERATING_SHARE:
            operating = actual[MilestoneKind.completion] + timedelta(days=rng.randint(20, 40))
            if operating <= today:
                actual[MilestoneKind.operation] = operating
    # The paperwork comes before the start: on time give or take a few weeks, never after it.
    permits = planned[MilestoneKind.permits] + timedelta(days=rng.randint(-20, 40))
    filing = planned[MilestoneKind.filing] + timedelta(days=rng.randint(-20, 40))
    if MilestoneKind.start in actual:
        permits = min(permits, actual[MilestoneKind.start])
    filing = min(filing, permits)
    for kind, when in ((MilestoneKind.filing, filing), (MilestoneKind.permits, permits)):
        if when <= today:
            actual[kind] = when
    rows = []
    for kind, planned_date in planned.items():
        if cancelled and kind in (MilestoneKind.completion, MilestoneKind.operation):
            continue  # a cancelled project will not be completed
        actual_date = actual.get(kind)
        if actual_date is not None and kind not in recorded:
            recorded[kind] = _recorded(rng, actual_date, today)
        rows.append(
            {
                "kind": kind.value,
                "planned_date": planned_date,
                "actual_date": actual_date,
                "actual_recorded_at": recorded.get(kind),
                "updated_by": SYNTH_AUTHOR,
                "version": 1,
                "updated_at": stamp,
            }
        )
    return rows


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _in_month(rng: random.Random, month_end: date) -> date:
    """A day of the month that `month_end` ends."""
    return month_end - timedelta(days=rng.randint(0, month_end.day - 1))


def _between(rng: random.Random, earliest: date, latest: date) -> date:
    """A day from `earliest` to `latest` (`earliest` if they are the wrong way round)."""
    return earliest + timedelta(days=rng.randint(0, max(0, (latest - earliest).days)))


def _recorded(rng: random.Random, actual: date, today: date) -> datetime:
    """When an actual date was written down: a few days after it, not after today."""
    written = min(actual + timedelta(days=rng.randint(1, 10)), today)
    return datetime.combine(written, time(1), tzinfo=UTC)
