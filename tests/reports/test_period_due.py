"""The period due: one rule, and the API defaults that follow it on either side of the due day."""

import io
from datetime import date, datetime, time

import pytest
from openpyxl import load_workbook

from app import clock
from app.clock import REPORTING_TZ
from app.models import ProgressEntry
from app.projects.service import get_project
from app.reports.service import due_at, due_on, period_due, period_end

# Day in China -> the period due, the first instant its reports are late (REPORT_DUE_DAY=5),
# and whether a report filed that day is late.
DAYS = [
    (date(2026, 12, 1), "2026-11", "2026-12-05T16:00:00Z", False),
    (date(2026, 12, 5), "2026-11", "2026-12-05T16:00:00Z", False),
    # Past the due day the same period is still due, its reports now late.
    (date(2026, 12, 6), "2026-11", "2026-12-05T16:00:00Z", True),
    (date(2026, 12, 31), "2026-11", "2026-12-05T16:00:00Z", True),
    # January: December of the year before.
    (date(2027, 1, 1), "2026-12", "2027-01-05T16:00:00Z", False),
    (date(2027, 1, 6), "2026-12", "2027-01-05T16:00:00Z", True),
    (date(2027, 2, 1), "2027-01", "2027-02-05T16:00:00Z", False),
]
PARAMS = ("day", "period", "due", "late")


@pytest.mark.parametrize(PARAMS, DAYS)
def test_the_period_due_is_last_month_until_the_month_turns(day, period, due, late):
    assert period_due(day) == period
    assert due_at(period, due_day=5).isoformat().replace("+00:00", "Z") == due
    assert (day > due_on(period, due_day=5)) is late


@pytest.mark.parametrize(
    ("period", "last_day"),
    [
        ("2026-11", date(2026, 11, 30)),
        ("2026-12", date(2026, 12, 31)),
        ("2028-02", date(2028, 2, 29)),
    ],
)
def test_a_period_ends_on_its_last_day(period, last_day):
    assert period_end(period) == last_day


@pytest.mark.parametrize(PARAMS, DAYS)
def test_compliance_defaults_to_the_period_due(
    client, auth, session, monkeypatch, day, period, due, late
):
    monkeypatch.setattr(clock, "today", lambda: day)
    # A report for the period due, received at noon that day in China.
    session.add(
        ProgressEntry(
            project_id=get_project(session, code="INF-002").id,
            as_of=period_end(period),
            period=period,
            status="under_construction",
            reporter_name="officer",
            reporter_role="officer",
            received_at=datetime.combine(day, time(12), tzinfo=REPORTING_TZ),
        )
    )
    session.commit()
    response = client.get("/api/v1/reports/compliance", params={"park": "gaoxin"}, headers=auth())
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["period"], body["due_at"]) == (period, due)
    [gaoxin] = body["parks"]
    assert "INF-002" in gaoxin["reported_projects"]
    assert ("INF-002" in gaoxin["late_projects"]) is late


@pytest.mark.parametrize(PARAMS, DAYS)
def test_the_report_template_defaults_to_the_period_due(
    client, auth, monkeypatch, day, period, due, late
):
    monkeypatch.setattr(clock, "today", lambda: day)
    response = client.get("/api/v1/parks/gaoxin/report-template", headers=auth())
    assert response.status_code == 200, response.text
    assert f'filename="report-gaoxin-{period}.xlsx"' in response.headers["content-disposition"]
    rows = list(load_workbook(io.BytesIO(response.content))["月度进展"].iter_rows(values_only=True))
    # Rows not yet reported for the period are dated its last day, never in the next month.
    end = datetime.combine(period_end(period), datetime.min.time())
    assert {row[2] for row in rows[1:]} == {end}


def test_the_current_month_is_still_there_when_asked_for(client, auth, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: date(2026, 12, 5))
    response = client.get(
        "/api/v1/parks/gaoxin/report-template", params={"period": "2026-12"}, headers=auth()
    )
    rows = list(load_workbook(io.BytesIO(response.content))["月度进展"].iter_rows(values_only=True))
    assert {row[2] for row in rows[1:]} == {datetime(2026, 12, 5)}
