"""Every role against every write endpoint: who may write, and that a refusal stores nothing."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import func, select

from app.models import Park, ProgressEntry, Project

OWN = "INF-005"  # park gaoxin, the officer's own
OTHER = "INF-015"  # park lvshun
REPORT = {"as_of": "2026-10-31", "status": "under_construction", "percent_complete": 40}


@dataclass(frozen=True)
class Write:
    """A write endpoint: what it needs to exist first (made by an admin), and the call."""

    call: Callable[[Any, dict[str, str], Any], Any]
    setup: Callable[[Any, dict[str, str]], Any] = lambda client, admin: None


def _submitted(client, admin):
    return client.post(f"/api/v1/projects/{OWN}/progress", json=REPORT, headers=admin).json()["id"]


WRITES = {
    "report own park": Write(
        lambda c, h, _: c.post(f"/api/v1/projects/{OWN}/progress", json=REPORT, headers=h)
    ),
    "report other park": Write(
        lambda c, h, _: c.post(f"/api/v1/projects/{OTHER}/progress", json=REPORT, headers=h)
    ),
    "approve": Write(
        lambda c, h, entry: c.post(f"/api/v1/projects/{OWN}/progress/{entry}/approve", headers=h),
        _submitted,
    ),
    "return": Write(
        lambda c, h, entry: c.post(
            f"/api/v1/projects/{OWN}/progress/{entry}/return",
            json={"comment": "请核实。"},
            headers=h,
        ),
        _submitted,
    ),
}

# role -> endpoint -> expected status
EXPECTED = {
    "admin": {"report own park": 201, "report other park": 201, "approve": 200, "return": 200},
    "planner": {"report own park": 403, "report other park": 403, "approve": 200, "return": 200},
    "officer": {"report own park": 201, "report other park": 403, "approve": 403, "return": 403},
}


def _state(session):
    counts = tuple(
        session.exec(select(func.count()).select_from(model)).one()
        for model in (ProgressEntry, Project, Park)
    )
    reviewed = session.exec(
        select(func.count()).select_from(ProgressEntry).where(ProgressEntry.reviewer_name != None)  # noqa: E711
    ).one()
    return (*counts, reviewed)


@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize("endpoint", list(WRITES))
def test_role_against_write_endpoint(client, auth, session, role, endpoint):
    write = WRITES[endpoint]
    context = write.setup(client, auth("admin"))
    headers = auth(role, "gaoxin" if role == "officer" else None)
    before = _state(session)
    response = write.call(client, headers, context)
    assert response.status_code == EXPECTED[role][endpoint], response.text
    if response.status_code == 403:
        assert response.headers["content-type"] == "application/problem+json"
        assert _state(session) == before


@pytest.mark.parametrize("endpoint", list(WRITES))
def test_without_a_token_every_write_is_401(client, auth, session, endpoint):
    write = WRITES[endpoint]
    context = write.setup(client, auth("admin"))
    before = _state(session)
    response = write.call(client, {}, context)
    assert response.status_code == 401
    assert _state(session) == before
