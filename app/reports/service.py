"""Reports: reconciliation with the published tables, and the tracking reports."""

import calendar
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from app import clock
from app.editions import service as editions
from app.models import Category, Park, Project
from app.problems import InvalidInput, field_error
from app.progress.current import project_state
from app.progress.schemas import Figures
from app.progress.service import FIGURE_PREFIX, current_entries, end_of_day_utc
from app.projects.schemas import ProjectFilters
from app.projects.service import filter_conditions
from app.reports import reconciliation
from app.reports.schemas import (
    Blocker,
    BlockerPark,
    Blockers,
    Cell,
    ChangeRow,
    Changes,
    Compliance,
    ComplianceRow,
    Figure,
    Headline,
    ReconciledRow,
    ReconciledTable,
    Reconciliation,
)
from app.rollups import queries

_ALL = "all"


@lru_cache
def published_tables(seed_dir: Path) -> dict[str, Any]:
    """The figures tables 4 and 5 print, as extracted into the seed folder."""
    data: dict[str, Any] = json.loads((seed_dir / "published_tables.json").read_text("utf-8"))
    return data


def reconcile(session: Session, *, seed_dir: Path) -> Reconciliation:
    """Every cell of tables 4 and 5, published and computed from the plan's edition, with the
    difference and, where they differ, the projects that can explain it."""
    published = published_tables(seed_dir)
    state = project_state(current_entries(Figures.latest))
    dims = queries.dimensions(state, reporting_year=0)
    # Tables 4 and 5 describe the plan as printed: its edition, rows archived since included.
    plan = [col(Project.edition_id) == editions.PLAN]
    worklist = _Worklist(
        projects=reconciliation.plan_projects(session),
        notes=reconciliation.load_notes(seed_dir),
    )

    def sums(*names: str) -> dict[tuple[Any, ...], Figure]:
        rows = queries.aggregate(
            session,
            state=state,
            group=[dims[n] for n in names],
            conditions=plan,
            frame=queries.Frame(year=clock.today().year, day=clock.today()),
        )
        return {
            tuple(row._mapping[f"key_{i}"] for i in range(len(names))): Figure(
                count=row.project_count, amount_wan=row.total_investment_wan
            )
            for row in rows
        }

    total = sums()[()]
    by_category = sums("category")
    table4_sums = {
        "total": {(): total, **{(c,): f for (c,), f in by_category.items()}},
        "tier": {**sums("tier"), **sums("tier", "category")},
        "park": {**sums("park"), **sums("park", "category")},
    }
    table4 = _table(
        "table4",
        published["table4"],
        worklist,
        lambda row, column: table4_sums[row["kind"]].get(
            _key(row, "park_id" if row["kind"] == "park" else "tier", column)
        ),
    )
    table5_sums = {
        "total": {(): total, **{(b,): f for (b,), f in sums("start_bucket").items()}},
        "category": {**by_category, **sums("category", "start_bucket")},
    }
    table5 = _table(
        "table5",
        published["table5"],
        worklist,
        lambda row, column: table5_sums[row["kind"]].get(_key(row, "category", column)),
    )
    headline = published["headline"]
    printed = Figure(count=headline["count"], amount_wan=headline["amount_wan"])
    return Reconciliation(
        edition_id=editions.PLAN,
        headline=Headline(
            published=printed,
            appendix_header=Figure(
                count=headline["appendix_count"], amount_wan=headline["appendix_amount_wan"]
            ),
            computed=total,
            difference=_difference(total, printed),
            explanation=worklist.explanation("table4", {"kind": "total"}, _ALL),
        ),
        table4=table4,
        table5=table5,
    )


def _key(row: dict[str, Any], field: str, column: str) -> tuple[Any, ...]:
    keys: tuple[Any, ...] = () if row["kind"] == "total" else (row[field],)
    return keys if column == _ALL else (*keys, column)


@dataclass(frozen=True)
class _Worklist:
    """The plan's projects and the reviewed notes, for the cells that differ."""

    projects: list[reconciliation.PlanProject]
    notes: dict[tuple[str, str, str], reconciliation.Note]

    def note(self, table: str, row: dict[str, Any], column: str) -> reconciliation.Note | None:
        return self.notes.get((table, reconciliation.row_key(row), column))

    def explanation(self, table: str, row: dict[str, Any], column: str) -> str | None:
        note = self.note(table, row, column)
        return None if note is None else note.explanation

    def cell(
        self, table: str, row: dict[str, Any], column: str, *, computed: Figure, published: Figure
    ) -> Cell:
        difference = _difference(computed, published)
        matches = difference.count == 0 and difference.amount_wan == 0
        cell = Cell(
            published=published,
            computed=computed,
            difference=difference,
            matches=matches,
            projects=reconciliation.cell_link(table, row, column),
        )
        if not matches:
            note = self.note(table, row, column)
            cell.candidates, cell.match = reconciliation.candidates(
                table=table,
                row=row,
                column=column,
                difference=difference,
                projects=self.projects,
                note=note,
            )
            cell.explanation = None if note is None else note.explanation
        return cell


def _table(
    name: str, printed: dict[str, Any], worklist: _Worklist, computed_cell: Any
) -> ReconciledTable:
    rows = []
    differing = 0
    for row in printed["rows"]:
        cells = {}
        for column in printed["columns"]:
            cell = worklist.cell(
                name,
                row,
                column,
                computed=computed_cell(row, column) or Figure(count=0, amount_wan=0),
                published=Figure.model_validate(row["cells"][column]),
            )
            differing += not cell.matches
            cells[column] = cell
        rows.append(
            ReconciledRow(
                label=row["label"],
                kind=row["kind"],
                park_id=row.get("park_id"),
                tier=row.get("tier"),
                category=row.get("category"),
                cells=cells,
            )
        )
    return ReconciledTable(
        title=printed["title"], columns=printed["columns"], rows=rows, differing_cells=differing
    )


def _difference(computed: Figure, published: Figure) -> Figure:
    return Figure(
        count=(computed.count or 0) - (published.count or 0),
        amount_wan=(computed.amount_wan or 0) - (published.amount_wan or 0),
    )


def period_due(day: date) -> str:
    """The period whose reports are due on `day`: the month before, until the month turns."""
    # Past the due day the same period stays due, its reports now late: an officer still owes
    # November's report on 20 December, and December's is not due before January.
    year, month = (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)
    return f"{year:04d}-{month:02d}"


def period_end(period: str) -> date:
    """The last day of `period`, the date its reports describe."""
    year, month = (int(part) for part in period.split("-"))
    return date(year, month, calendar.monthrange(year, month)[1])


def due_on(period: str, *, due_day: int) -> date:
    """The last day `period`'s reports are on time: the due day of the month after it."""
    year, month = (int(part) for part in period.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, due_day)


def due_at(period: str, *, due_day: int) -> datetime:
    """End of the due day in the month after `period`, China time, as UTC."""
    return end_of_day_utc(due_on(period, due_day=due_day))


def compliance(
    session: Session, *, filters: ProjectFilters, period: str, due_day: int
) -> Compliance:
    """Per park: who reported for `period`, who is missing, late, or was returned."""
    due = due_at(period, due_day=due_day)
    reports = queries.period_reports(period)
    conditions = filter_conditions(session, filters)

    def summary(row: sa.Row[Any]) -> ComplianceRow:
        return ComplianceRow(
            park_id=row.park_id,
            park_name=row.park_name,
            project_count=row.project_count,
            reported=row.reported,
            unchanged=row.unchanged,
            missing=row.project_count - row.reported - row.unchanged,
            late=row.late,
            returned=row.returned,
        )

    parks = {
        row.park_id: summary(row)
        for row in queries.compliance_by_park(
            session, reports=reports, due=due, conditions=conditions
        )
    }
    [total] = queries.compliance_by_park(
        session, reports=reports, due=due, conditions=conditions, by_park=False
    )
    projects = session.execute(
        sa.select(
            col(Project.code),
            col(Project.park_id),
            reports.c.first_received_at,
            reports.c.returned,
            reports.c.unchanged,
        )
        .outerjoin(reports, reports.c.project_id == Project.id)
        .where(*conditions)
        .order_by(col(Project.code))
    ).all()
    for code, park_id, first_received_at, returned, unchanged in projects:
        row = parks[park_id]
        if first_received_at is None:
            row.missing_projects.append(code)
        else:
            (row.unchanged_projects if unchanged else row.reported_projects).append(code)
            if first_received_at >= due:
                row.late_projects.append(code)
        if returned:
            row.returned_projects.append(code)
    return Compliance(period=period, due_at=due, parks=list(parks.values()), totals=summary(total))


def changes(
    session: Session, *, filters: ProjectFilters, from_date: date, to_date: date
) -> Changes:
    """Status moves and investment added between the ends of two dates, by park and category."""
    if from_date >= to_date:
        raise InvalidInput(
            "from_date must be before to_date.",
            errors=[field_error("query", "to_date", msg="must be after from_date")],
        )
    before = project_state(current_entries(filters.figures, as_of=from_date))
    after = project_state(current_entries(filters.figures, as_of=to_date))
    conditions = filter_conditions(session, filters)
    dims = queries.dimensions(after, reporting_year=to_date.year)

    def run(names: Sequence[str]) -> Sequence[sa.Row[Any]]:
        return queries.changes_by(
            session,
            before=before,
            after=after,
            group=[dims[n] for n in names],
            conditions=conditions,
        )

    def change_row(row: sa.Row[Any], names: Sequence[str]) -> ChangeRow:
        values = row._mapping
        fields: dict[str, Any] = {}
        for i, name in enumerate(names):
            key, label = values[f"key_{i}"], values[f"label_{i}"]
            fields.update(
                {"park_id": key, "park_name": label}
                if name == "park"
                else {"category": key, "category_name": label}
            )
        return ChangeRow(
            **fields,
            project_count=int(values["project_count"]),
            started=int(values["started"]),
            completed=int(values["completed"]),
            suspended=int(values["suspended"]),
            cancelled=int(values["cancelled"]),
            investment_added_wan=int(values["investment_added_wan"]),
        )

    by = ("park", "category")
    return Changes(
        from_date=from_date,
        to_date=to_date,
        figures=filters.figures,
        rows=[change_row(row, by) for row in run(by)],
        totals=change_row(run(())[0], ()),
    )


def blockers(session: Session, *, filters: ProjectFilters) -> Blockers:
    """Open blockers per park, each with the report that raised it."""
    conditions = filter_conditions(session, filters)
    blocked = None
    if filters.as_of is None and filters.period_end is None:
        # Only projects whose row says they have blockers need their history ranked.
        flag = getattr(Project, f"{FIGURE_PREFIX[filters.figures]}open_issues")
        blocked = sa.select(col(Project.id)).where(flag)
    state = project_state(
        current_entries(
            filters.figures,
            as_of=filters.as_of,
            period_end=filters.period_end,
            project_ids=blocked,
        )
    )
    entry = state.entry
    items = session.execute(
        state.select_from(
            sa.select(
                col(Project.code),
                col(Project.name),
                col(Project.park_id),
                entry.issues,
                entry.id,
                entry.as_of,
                entry.reporter_name,
                entry.received_at,
            )
        )
        .where(*conditions, sa.func.coalesce(entry.issues, "") != "")
        .order_by(col(Park.position), col(Category.position), col(Project.seq))
    ).all()
    by_park: dict[str, list[Blocker]] = {}
    for code, name, park_id, issues, entry_id, as_of, reporter, received in items:
        by_park.setdefault(park_id, []).append(
            Blocker(
                project_code=code,
                project_name=name,
                park_id=park_id,
                issues=issues,
                entry_id=entry_id,
                as_of=as_of,
                reporter_name=reporter,
                received_at=received,
            )
        )
    parks = [
        BlockerPark(
            park_id=row.park_id,
            park_name=row.park_name,
            open_blockers=row.open_blockers,
            items=by_park.get(row.park_id, []),
        )
        for row in queries.blockers_by_park(session, state=state, conditions=conditions)
    ]
    return Blockers(
        figures=filters.figures,
        as_of=filters.as_of,
        parks=parks,
        total=sum(p.open_blockers for p in parks),
    )
