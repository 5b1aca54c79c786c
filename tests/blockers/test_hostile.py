"""Hostile input: control characters, over-long text, unknown enums, bad dates, wrong types
are refused 422 as problem+json, and nothing is half-written."""

import pytest
from sqlmodel import func, select

from app.models import AuditRecord, Blocker, BlockerEvent
from tests.blockers.conftest import RAISE, blocker_url


def _state(session):
    counts = [
        session.exec(select(func.count()).select_from(model)).one()
        for model in (Blocker, BlockerEvent, AuditRecord)
    ]
    return (*counts, session.exec(select(func.sum(Blocker.version))).one())


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**RAISE, "description": "征地\x00未完成"}, "description"),
        ({**RAISE, "description": "\x1b[31m红色"}, "description"),
        ({**RAISE, "description": "x" * 2001}, "description"),
        ({**RAISE, "description": "   "}, "description"),
        ({**RAISE, "type": "weather"}, "type"),
        ({**RAISE, "level": "province"}, "level"),
        ({**RAISE, "deadline": "2026-02-30"}, "deadline"),
        ({**RAISE, "deadline": "31/12/2026"}, "deadline"),
        ({**RAISE, "deadline": 1767139200}, "deadline"),
        ({**RAISE, "responsible_unit": "局" * 101}, "responsible_unit"),
        ({**RAISE, "responsible_unit": "某局\u0085"}, "responsible_unit"),
        ({**RAISE, "state": "resolved"}, "state"),
        ({"type": "land"}, "description"),
        ({**RAISE, "description": ["a"]}, "description"),
    ],
)
def test_a_bad_raise_is_422(client, session, planner, own, body, field):
    before = _state(session)
    response = client.post(f"/api/v1/projects/{own}/blockers", json=body, headers=planner)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["loc"][-1] for e in response.json()["errors"]]
    assert _state(session) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"state": "in_progress"}, "note"),
        ({"note": ""}, "note"),
        ({"note": "备注\x07"}, "note"),
        ({"note": "x" * 2001}, "note"),
        ({"note": "备注", "state": "closed"}, "state"),
        ({"note": "备注", "state": None}, "state"),
        ({"note": "备注", "level": None}, "level"),
        ({"note": "备注", "deadline": "2026-13-01"}, "deadline"),
        ({"note": "备注", "resolution": "\x00"}, "resolution"),
        ({"note": "备注", "description": "改描述"}, "description"),
        ({"note": "备注", "version": 9}, "version"),
    ],
)
def test_a_bad_step_is_422(client, session, planner, own, raise_blocker, body, field):
    blocker = raise_blocker(own, planner)
    before = _state(session)
    response = client.patch(
        blocker_url(blocker["id"]), json=body, headers={**planner, "If-Match": blocker["etag"]}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["loc"][-1] for e in response.json()["errors"]]
    assert _state(session) == before


def test_bad_ids_and_bodies(client, planner):
    assert client.get(blocker_url(0), headers=planner).status_code == 422
    # Only digits name a blocker: anything else is no path the API serves.
    assert client.get("/api/v1/blockers/abc", headers=planner).status_code == 404
    assert client.patch("/api/v1/blockers/summary", json={}, headers=planner).status_code == 405
    assert client.get(blocker_url(2**40), headers=planner).status_code == 422
    not_json = client.post(
        "/api/v1/projects/INF-001/blockers",
        content=b"\xff\xfe{",
        headers={**planner, "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
    assert (
        client.get("/api/v1/blockers/summary", params={"by": "colour"}, headers=planner).status_code
        == 422
    )
