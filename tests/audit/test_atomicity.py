"""A change and its record land together or not at all: refused changes record nothing, and a
failure after the record takes the change back with it."""

from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from app import clock
from app.audit import log
from app.auth.tokens import create_token, revoke_token
from app.models import ApiToken, AuditRecord, Milestone, Park, PlanRevision, ProgressEntry, Role
from app.problems import InvalidInput, NotFound
from tests import factories


def _count(session, model) -> int:
    session.commit()
    return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def admin(auth):
    return auth("admin")


@pytest.fixture
def code(session):
    return factories.project(session).code


def _problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


# Refused changes ---------------------------------------------------------------------------


def test_refused_park_changes_record_nothing(client, admin, session):
    etag = client.get("/api/v1/parks/gaoxin", headers=admin).headers["etag"]
    before = _count(session, AuditRecord)
    stale = {**admin, "If-Match": '"park-gaoxin-v0-0000000000000000"'}
    fresh = {**admin, "If-Match": etag}
    lvshun = client.get("/api/v1/parks/lvshun", headers=admin).json()["name"]
    _problem(client.patch("/api/v1/parks/gaoxin", json={"tier": "key"}, headers=stale), 412)
    _problem(client.patch("/api/v1/parks/gaoxin", json={"name": lvshun}, headers=fresh), 409)
    _problem(client.patch("/api/v1/parks/gaoxin", json={"tier": "huge"}, headers=fresh), 422)
    _problem(client.patch("/api/v1/parks/gaoxin", json={"reason": 5}, headers=fresh), 422)
    _problem(client.post("/api/v1/parks/gaoxin/archive", headers=fresh), 409)
    _problem(client.post("/api/v1/parks", json={"id": "gaoxin", "name": "x", "tier": "key"},
                         headers=admin), 409)  # fmt: skip
    assert _count(session, AuditRecord) == before


def test_refused_plan_and_milestone_changes_record_nothing(client, auth, session, code):
    planner = auth("planner")
    plan = f"/api/v1/projects/{code}/plans/2026"
    assert (
        client.put(plan, json={"planned_investment_wan": 100}, headers=planner).status_code == 201
    )
    before = _count(session, AuditRecord)
    # An adjustment without its grounds, and one against a plan read before.
    _problem(client.put(plan, json={"planned_investment_wan": 90}, headers=planner), 422)
    stale = {**planner, "If-Match": '"plan-x-v9-0000000000000000"'}
    adjusted = {"planned_investment_wan": 90, "reason": "r", "document": "d"}
    _problem(client.put(plan, json=adjusted, headers=stale), 412)
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    milestone = f"/api/v1/projects/{code}/milestones/filing"
    _problem(client.put(milestone, json={"actual_date": tomorrow}, headers=planner), 422)
    report = {**factories.REPORT, "milestones": {"completion": "2026-10-01"}}
    officer = auth("officer", "gaoxin")
    before_report = _count(session, AuditRecord)
    _problem(client.post(f"/api/v1/projects/{code}/progress", json=report, headers=officer), 422)
    assert _count(session, AuditRecord) == before_report
    assert before_report - before == 1  # the officer's token, issued by the test
    assert _count(session, Milestone) == 0


def test_refused_token_changes_record_nothing(session):
    before = _count(session, AuditRecord)
    with pytest.raises(InvalidInput):
        create_token(session, name="x", role=Role.officer)
    session.rollback()
    with pytest.raises(NotFound):
        revoke_token(session, token_id=10**6)
    session.rollback()
    assert _count(session, AuditRecord) == before


# A failure after the record ----------------------------------------------------------------


@pytest.fixture
def fail_after_recording(monkeypatch):
    """Every record is written, then the change fails: neither may remain. Arming it answers
    the list of the records written."""
    record, insert = log.record, log.insert
    written: list[str] = []

    def record_then_fail(session: Session, **fields):
        record(session, **fields)
        session.flush()
        written.append(fields["object_type"])
        raise RuntimeError("failure after the record")

    async def insert_then_fail(transaction, **fields):
        await insert(transaction, **fields)
        written.append(fields["object_type"])
        raise RuntimeError("failure after the record")

    def arm() -> list[str]:
        monkeypatch.setattr(log, "record", record_then_fail)
        monkeypatch.setattr(log, "insert", insert_then_fail)
        return written

    return arm


def test_a_park_and_its_record_fail_together(client, admin, session, fail_after_recording):
    before = (_count(session, AuditRecord), _count(session, Park))
    written = fail_after_recording()
    response = client.post("/api/v1/parks", json=factories.NEW_PARK, headers=admin)
    assert response.status_code == 500
    assert written == ["park"]
    assert (_count(session, AuditRecord), _count(session, Park)) == before


def test_a_plan_and_its_record_fail_together(client, auth, session, code, fail_after_recording):
    planner = auth("planner")
    before = _count(session, AuditRecord)
    written = fail_after_recording()
    response = client.put(
        f"/api/v1/projects/{code}/plans/2026", json={"planned_investment_wan": 1}, headers=planner
    )
    assert response.status_code == 500
    assert written == ["plan"]
    assert (_count(session, AuditRecord), _count(session, PlanRevision)) == (before, 0)


def test_a_milestone_and_its_record_fail_together(
    client, auth, session, code, fail_after_recording
):
    planner = auth("planner")
    before = _count(session, AuditRecord)
    written = fail_after_recording()
    response = client.put(
        f"/api/v1/projects/{code}/milestones/filing",
        json={"planned_date": "2026-03-01"},
        headers=planner,
    )
    assert response.status_code == 500
    assert written == ["milestone"]
    assert (_count(session, AuditRecord), _count(session, Milestone)) == (before, 0)


def test_a_report_with_dates_and_its_records_fail_together(
    client, auth, session, code, fail_after_recording
):
    officer = auth("officer", "gaoxin")
    before = (_count(session, AuditRecord), _count(session, ProgressEntry))
    written = fail_after_recording()
    response = client.post(
        f"/api/v1/projects/{code}/progress",
        json={**factories.REPORT, "milestones": {"filing": "2026-01-15"}},
        headers=officer,
    )
    assert response.status_code == 500
    assert written == ["milestone"]
    after = (_count(session, AuditRecord), _count(session, ProgressEntry))
    assert (after, _count(session, Milestone)) == (before, 0)


def test_a_token_and_its_record_fail_together(session, fail_after_recording):
    before = (_count(session, AuditRecord), _count(session, ApiToken))
    written = fail_after_recording()
    with pytest.raises(RuntimeError):
        create_token(session, name="never", role=Role.planner)
    session.rollback()
    assert written == ["token"]
    assert (_count(session, AuditRecord), _count(session, ApiToken)) == before
