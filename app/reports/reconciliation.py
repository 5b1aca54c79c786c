"""The reconciliation as a worklist: for each cell where tables 4 and 5 and the appendix
differ, the projects of the plan's edition that can explain it and the reviewed explanation.

The plan's edition is 178 rows, so the search runs over them in memory; the figures
themselves are summed by the database (`app.reports.service.reconcile`).
"""

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlmodel import Session, col

from app.config import API_PREFIX
from app.editions.service import PLAN
from app.models import Park, Project
from app.projects.derived import BEFORE_FIRST_BUCKET, FIRST_BUCKET_YEAR
from app.reports.schemas import Candidate, CandidateMatch, Figure

ALL = "all"
NOTES_FILE = "reconciliation_notes.json"
# Subsets of this many projects at most are tried against a difference, and this many
# candidates at most are listed for a cell.
MAX_SUBSET = 2
MAX_CANDIDATES = 10


@dataclass(frozen=True)
class PlanProject:
    """A row of the plan's edition, with what the tables group it by."""

    code: str
    name: str
    total_investment_wan: int
    park_id: str
    tier: str
    category: str
    start_bucket: str
    archived: bool

    def candidate(self) -> Candidate:
        return Candidate(
            code=self.code,
            name=self.name,
            total_investment_wan=self.total_investment_wan,
            archived=self.archived,
        )


@dataclass(frozen=True)
class Note:
    """A reviewed explanation of one cell: its text and, if the data names them, its projects."""

    explanation: str
    projects: tuple[str, ...] | None


def plan_projects(session: Session) -> list[PlanProject]:
    """Every project of the plan's edition, archived ones included, in code order."""
    rows = session.execute(
        sa.select(
            col(Project.code),
            col(Project.name),
            col(Project.total_investment_wan),
            col(Project.park_id),
            col(Park.tier),
            col(Project.category_id),
            col(Project.start_year),
            col(Project.archived_at).is_not(None),
        )
        .join(Park, col(Park.id) == col(Project.park_id))
        .where(col(Project.edition_id) == PLAN)
        .order_by(col(Project.code))
    ).all()
    return [
        PlanProject(
            code=code,
            name=name,
            total_investment_wan=amount,
            park_id=park_id,
            tier=tier,
            category=category,
            start_bucket=BEFORE_FIRST_BUCKET if start < FIRST_BUCKET_YEAR else str(start),
            archived=bool(archived),
        )
        for code, name, amount, park_id, tier, category, start, archived in rows
    ]


def row_key(row: dict[str, Any]) -> str:
    """How the notes name a row of table 4 or 5: `total`, `tier:…`, `park:…`, `category:…`."""
    kind = row["kind"]
    return "total" if kind == "total" else f"{kind}:{row[row_field(kind)]}"


@lru_cache
def load_notes(seed_dir: Path) -> dict[tuple[str, str, str], Note]:
    """The reviewed explanations, by (table, row key, column)."""
    path = seed_dir / NOTES_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    notes = {}
    for note in data["notes"]:
        projects = note.get("projects")
        for column in note["columns"]:
            notes[(note["table"], note["row"], column)] = Note(
                explanation=note["explanation"],
                projects=None if projects is None else tuple(projects),
            )
    return notes


Predicate = Callable[[PlanProject], bool]


def _row_predicate(row: dict[str, Any]) -> Predicate:
    kind = row["kind"]
    if kind == "tier":
        return lambda p: p.tier == row["tier"]
    if kind == "park":
        return lambda p: p.park_id == row["park_id"]
    if kind == "category":
        return lambda p: p.category == row["category"]
    return lambda p: True


def _column_predicate(table: str, column: str) -> Predicate:
    if column == ALL:
        return lambda p: True
    if table == "table4":
        return lambda p: p.category == column
    return lambda p: p.start_bucket == column


def cell_link(table: str, row: dict[str, Any], column: str) -> str:
    """The `/projects` list of the plan's edition a cell counts."""
    params = [("edition", PLAN)]
    kind = row["kind"]
    if kind in ("tier", "park", "category"):
        params.append(("park" if kind == "park" else kind, row[row_field(kind)]))
    if column != ALL:
        params.append(("category" if table == "table4" else "start_bucket", column))
    return f"{API_PREFIX}/projects?{urlencode(params)}"


def row_field(kind: str) -> str:
    """The field of a published row that names its group."""
    return {"tier": "tier", "park": "park_id", "category": "category"}[kind]


def _subsets(pool: Sequence[PlanProject], count: int, amount: int) -> list[tuple[PlanProject, ...]]:
    """The sets of `count` projects of `pool` (1 or 2) whose investment sums to `amount`."""
    if count == 1:
        return [(p,) for p in pool if p.total_investment_wan == amount]
    if count != 2:
        return []
    found: list[tuple[PlanProject, ...]] = []
    seen: dict[int, list[PlanProject]] = {}
    for project in pool:
        for other in seen.get(amount - project.total_investment_wan, []):
            found.append((other, project))
        seen.setdefault(project.total_investment_wan, []).append(project)
    return found


def _union(sets: Iterable[tuple[PlanProject, ...]]) -> list[PlanProject]:
    unique = {p.code: p for p in chain.from_iterable(sets)}
    return sorted(unique.values(), key=lambda p: (-p.total_investment_wan, p.code))


def candidates(
    *,
    table: str,
    row: dict[str, Any],
    column: str,
    difference: Figure,
    projects: Sequence[PlanProject],
    note: Note | None,
) -> tuple[list[Candidate], CandidateMatch]:
    """The projects that can explain a differing cell, and why they are the ones listed."""
    by_code = {p.code: p for p in projects}
    if note is not None and note.projects is not None:
        listed = [by_code[c] for c in note.projects if c in by_code]
        return [p.candidate() for p in listed], CandidateMatch.reviewed
    in_row, in_column = _row_predicate(row), _column_predicate(table, column)
    cell = [p for p in projects if in_row(p) and in_column(p)]
    count, amount = difference.count or 0, difference.amount_wan or 0
    exact: list[tuple[PlanProject, ...]] = []
    if 0 < count <= MAX_SUBSET:
        # The library has more: projects of the cell the table leaves out.
        exact = _subsets(cell, count, amount)
    elif -MAX_SUBSET <= count < 0 and column != ALL:
        # The table has more: projects of the row it may have counted in this column.
        others = [p for p in projects if in_row(p) and not in_column(p)]
        exact = _subsets(others, -count, -amount)
    if exact:
        return [p.candidate() for p in _union(exact)[:MAX_CANDIDATES]], CandidateMatch.exact
    target = abs(amount)
    closest = sorted(cell, key=lambda p: (abs(p.total_investment_wan - target), p.code))
    return [p.candidate() for p in closest[:MAX_CANDIDATES]], CandidateMatch.closest
