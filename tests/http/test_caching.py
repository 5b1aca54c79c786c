"""Rollups and reports carry an ETag that moves with the data, and answer 304."""

from datetime import date

import pytest

from app import clock
from tests import factories

PATHS = [
    "/api/v1/rollups?by=park",
    "/api/v1/rollups?by=park&format=csv",
    "/api/v1/reports/reconciliation",
    "/api/v1/reports/compliance?period=2026-10",
    "/api/v1/reports/changes?from_date=2026-01-31&to_date=2026-10-31",
    "/api/v1/reports/blockers",
]


@pytest.mark.parametrize("path", PATHS)
def test_etag_and_304(client, auth, path):
    headers = auth()
    first = client.get(path, headers=headers)
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    again = client.get(path, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag


def test_etag_changes_with_a_report_a_review_and_the_query(client, auth, session):
    code = factories.project(session).code  # park gaoxin
    planner = auth("planner")
    path = "/api/v1/rollups?by=park"
    etag = client.get(path, headers=planner).headers["etag"]
    assert client.get(path + ",category", headers=planner).headers["etag"] != etag

    entry = client.post(
        f"/api/v1/projects/{code}/progress",
        json={"as_of": "2026-10-31", "status": "under_construction"},
        headers=auth("officer", "gaoxin"),
    ).json()
    after_report = client.get(path, headers={**planner, "If-None-Match": etag})
    assert after_report.status_code == 200
    assert after_report.headers["etag"] != etag

    client.post(f"/api/v1/projects/{code}/progress/{entry['id']}/approve", headers=planner)
    after_review = client.get(path, headers=planner).headers["etag"]
    assert after_review != after_report.headers["etag"]


DAY_TURNS = [
    pytest.param(date(2026, 10, 30), date(2026, 10, 31), id="midnight"),
    pytest.param(date(2026, 12, 31), date(2027, 1, 1), id="new_year"),
]


@pytest.mark.parametrize(("before", "after"), DAY_TURNS)
@pytest.mark.parametrize(
    "path", ["/api/v1/rollups?by=construction_type", "/api/v1/reports/compliance"]
)
def test_etag_moves_with_the_day(client, auth, monkeypatch, path, before, after):
    headers = auth()
    monkeypatch.setattr(clock, "today", lambda: before)
    etag = client.get(path, headers=headers).headers["etag"]
    assert client.get(path, headers={**headers, "If-None-Match": etag}).status_code == 304

    # Nothing in the database changed; the day did, and with it what the answer says.
    monkeypatch.setattr(clock, "today", lambda: after)
    again = client.get(path, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 200
    assert again.headers["etag"] != etag


def test_a_new_year_changes_the_answer_and_its_etag(client, auth, monkeypatch):
    headers = auth()
    path = "/api/v1/rollups?by=construction_type"
    monkeypatch.setattr(clock, "today", lambda: date(2026, 12, 31))
    old_year = client.get(path, headers=headers)
    monkeypatch.setattr(clock, "today", lambda: date(2027, 1, 1))
    new_year = client.get(path, headers={**headers, "If-None-Match": old_year.headers["etag"]})
    assert (old_year.json()["reporting_year"], new_year.json()["reporting_year"]) == (2026, 2027)
    assert new_year.headers["etag"] != old_year.headers["etag"]
