"""The present's series, summed from each entry's stored move, equals the series recomputed
from the history: for the latest and the official figures, by month and by quarter, through
revisions, reviews, a suspension and a back-dated report."""

import pytest
from sqlmodel import Session

from app.models import ProgressEntry
from app.progress.current import present_state
from app.progress.schemas import Figures
from app.progress.service import entry_conditions
from app.rollups import queries
from app.rollups.service import FIGURE_PREFIX
from tests import factories

PARK = "zhuanghe"


@pytest.fixture
def history(client, auth, session: Session) -> None:
    factories.park(session)
    officer = auth("officer", park_id=PARK)
    planner = auth("planner")
    a = factories.project(
        session, park_id=PARK, start_year=2025, end_year=2027, total_investment_wan=10_000
    ).code
    b = factories.project(
        session, park_id=PARK, start_year=2024, end_year=2027, total_investment_wan=10_000
    ).code
    c = factories.project(
        session, park_id=PARK, start_year=2026, end_year=2027, total_investment_wan=10_000
    ).code

    def report(code: str, as_of: str, status: str, invested: int | None) -> int:
        response = client.post(
            f"/api/v1/projects/{code}/progress",
            json={"as_of": as_of, "status": status, "invested_to_date_wan": invested},
            headers=officer,
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def approve(code: str, entry: int) -> None:
        answer = client.post(f"/api/v1/projects/{code}/progress/{entry}/approve", headers=planner)
        assert answer.status_code == 200, answer.text

    approve(a, report(a, "2025-12-31", "under_construction", 100))
    approve(a, report(a, "2026-01-31", "under_construction", 180))
    report(a, "2026-02-28", "suspended", 180)
    report(a, "2026-03-31", "suspended", 200)  # a revision-free month, suspended
    approve(a, report(a, "2026-05-31", "under_construction", 260))  # resumed
    report(b, "2026-03-31", "under_construction", 500)
    report(b, "2026-03-31", "under_construction", 450)  # revised down the same month
    report(b, "2026-06-30", "under_construction", None)  # no amount
    approve(b, report(b, "2026-07-31", "under_construction", 700))
    report(b, "2026-05-31", "under_construction", 600)  # back-dated between two periods
    report(c, "2026-04-30", "pre_construction", 0)
    approve(c, report(c, "2026-08-31", "under_construction", 90))


@pytest.mark.parametrize("figures", list(Figures))
@pytest.mark.parametrize("interval", list(queries.Interval))
@pytest.mark.parametrize("by", [[], ["park"]])
def test_stored_moves_sum_as_the_history_does(session, history, figures, interval, by):
    dims = queries.dimensions(present_state(), 2026)
    group = [dims[d] for d in by]
    common = {
        "interval": interval,
        "first_period": "2026-01",
        "last_period": "2026-09",
        "group": group,
        "conditions": [],
    }
    stored = queries.series_of_moves(session, prefix=FIGURE_PREFIX[figures], **common)
    recomputed = queries.series_of_reports(
        session,
        entry_conditions=entry_conditions(figures, entry=ProgressEntry),
        opening_prefix=FIGURE_PREFIX[figures],
        **common,
    )

    def table(rows):
        return sorted(
            (
                row.bucket,
                *(getattr(row, f"key_{i}") for i in range(len(group))),
                row.resumed,
                row.invested_wan,
            )
            for row in rows
            if row.resumed or row.invested_wan
        )

    assert table(stored) == table(recomputed)
    assert table(stored)  # the scenario moves something in every case
