"""Reports: reconciliation of the published tables with the library."""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlmodel import Session

from app.progress.schemas import Figures
from app.progress.service import current_entries
from app.reports.schemas import (
    Cell,
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
    """Every cell of tables 4 and 5, published and computed, with the difference."""
    published = published_tables(seed_dir)
    state = queries.project_state(current_entries(Figures.latest))
    dims = queries.dimensions(state, reporting_year=0)

    def sums(*names: str) -> dict[tuple[Any, ...], Figure]:
        rows = queries.rollup(
            session,
            state=state,
            group=[dims[n] for n in names],
            conditions=queries.active_projects(),
            reference_year=0.0,
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
        published["table4"],
        lambda row, column: table4_sums[row["kind"]].get(
            _key(row, "park_id" if row["kind"] == "park" else "tier", column)
        ),
    )
    table5_sums = {
        "total": {(): total, **{(b,): f for (b,), f in sums("start_bucket").items()}},
        "category": {**by_category, **sums("category", "start_bucket")},
    }
    table5 = _table(
        published["table5"],
        lambda row, column: table5_sums[row["kind"]].get(_key(row, "category", column)),
    )
    headline = published["headline"]
    printed = Figure(count=headline["count"], amount_wan=headline["amount_wan"])
    return Reconciliation(
        headline=Headline(
            published=printed,
            appendix_header=Figure(
                count=headline["appendix_count"], amount_wan=headline["appendix_amount_wan"]
            ),
            computed=total,
            difference=_difference(total, printed),
        ),
        table4=table4,
        table5=table5,
    )


def _key(row: dict[str, Any], field: str, column: str) -> tuple[Any, ...]:
    keys: tuple[Any, ...] = () if row["kind"] == "total" else (row[field],)
    return keys if column == _ALL else (*keys, column)


def _table(printed: dict[str, Any], computed_cell: Any) -> ReconciledTable:
    rows = []
    differing = 0
    for row in printed["rows"]:
        cells = {}
        for column in printed["columns"]:
            published = Figure.model_validate(row["cells"][column])
            computed = computed_cell(row, column) or Figure(count=0, amount_wan=0)
            difference = _difference(computed, published)
            matches = difference.count == 0 and difference.amount_wan == 0
            differing += not matches
            cells[column] = Cell(
                published=published, computed=computed, difference=difference, matches=matches
            )
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
