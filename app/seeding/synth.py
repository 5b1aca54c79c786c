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
from app.models import Category, Park, ProgressEntry, Project, ProjectStatus, Tier, utcnow
from app.progress import years
from app.progress.service import figures_of

SYNTH_REPORTER = "synth"
_BATCH = 5000
_ISSUES = ("征地拆迁未完成", "资金未及时到位", "环评手续待批复", "施工许可办理中", "设备到货延迟")
_NOTES = ("主体施工", "设备安装", "基础施工", "装饰装修", "配套工程建设")


class SynthError(Exception):
    """The database is not ready for synthetic data."""


@dataclass(frozen=True)
class SynthResult:
    """What a synth run added."""

    parks: int
    projects: int
    entries: int


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
    profile = _profile(seed_dir)
    today = today or clock.today()
    month_ends = _month_ends(months, today)
    new_parks = _parks(session, count=max(1, projects // 2000), seed=seed)
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
    entries = 0
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
                }
            )
        # The histories come before the rows are stored, so each row is inserted with the
        # current figures a report through the API would leave it with (no UPDATE after).
        histories = [list(_history(rng, row, month_ends)) for row in rows]
        for row, history in zip(rows, histories, strict=True):
            row |= _figures(history)
            row |= _figures([r for r in history if r["review_state"] == "approved"], "official_")
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
        for statement in years.opening_statements(partial(_in, list(ids.values()))):
            session.execute(statement)
        session.commit()
        entries += len(reports)
        progress("projects", size)
    return SynthResult(parks=new_parks, projects=projects, entries=entries)


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
            copy.write_row([row[c] for c in columns])


def _figures(reports: list[dict[str, Any]], prefix: str = "") -> dict[str, Any]:
    """A project row's current figures (`prefix`: official ones) after `reports`."""
    newest = SimpleNamespace(**_newest(reports)) if reports else None
    return {f"{prefix}{name}": value for name, value in figures_of(newest).items()}


def _newest(reports: list[dict[str, Any]]) -> dict[str, Any]:
    # A period counts with its highest revision; the current report is the newest of those.
    counting: dict[str, dict[str, Any]] = {}
    for report in reports:
        if (
            report["period"] not in counting
            or report["revision"] > counting[report["period"]]["revision"]
        ):
            counting[report["period"]] = report
    return max(counting.values(), key=lambda r: (r["as_of"], r["received_at"]))


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
        elif fate < 0.08 and elapsed > 0.3:
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
                "review_state": "approved" if rng.random() < 0.7 else "submitted",
                "review_comment": "",
            }
