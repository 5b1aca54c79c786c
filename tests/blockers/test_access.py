"""Who may do what to which blocker: one table of role × call, and refusals store nothing."""

import pytest
from sqlmodel import func, select

from app.models import AuditRecord, Blocker, BlockerEvent
from tests import factories
from tests.blockers.conftest import BLOCKERS, RAISE, blocker_url

OTHER_PARK = "lvshun"


def _state(session):
    counts = [
        session.exec(select(func.count()).select_from(model)).one()
        for model in (Blocker, BlockerEvent, AuditRecord)
    ]
    return (*counts, session.exec(select(func.sum(Blocker.version))).one())


@pytest.fixture
def blockers(session, planner, raise_blocker):
    """One blocker on a gaoxin project (the officer's park), one on a lvshun project."""
    own = factories.project(session).code
    other = factories.project(session, park_id=OTHER_PARK).code
    return {"own": raise_blocker(own, planner), "other": raise_blocker(other, planner)}, own, other


START = {"state": "in_progress", "note": "办理中。"}
RESOLVE = {"state": "resolved", "note": "解决。", "resolution": "已解决。"}
ESCALATE = {"level": "city", "note": "提级。"}
ASSIGN = {"responsible_unit": "某局", "note": "交办。"}
DEADLINE = {"deadline": "2031-01-01", "note": "定时限。"}
NOTE = {"note": "备注。"}

# (role, which blocker, body) -> status
PATCH_RULES = [
    ("officer", "own", START, 200),
    ("officer", "own", NOTE, 200),
    ("officer", "own", RESOLVE, 403),
    ("officer", "own", ESCALATE, 403),
    ("officer", "own", ASSIGN, 403),
    ("officer", "own", DEADLINE, 403),
    ("officer", "other", NOTE, 403),
    ("officer", "other", START, 403),
    ("planner", "own", RESOLVE, 200),
    ("planner", "other", ESCALATE, 200),
    ("planner", "other", ASSIGN, 200),
    ("planner", "other", DEADLINE, 200),
    ("admin", "other", RESOLVE, 200),
    ("admin", "own", ESCALATE, 200),
]


@pytest.mark.parametrize(("role", "which", "body", "status"), PATCH_RULES)
def test_who_may_take_which_step(client, session, auth, blockers, role, which, body, status):
    found, _, _ = blockers
    blocker = found[which]
    headers = auth(role, "gaoxin" if role == "officer" else None)
    before = _state(session)
    response = client.patch(
        blocker_url(blocker["id"]), json=body, headers={**headers, "If-Match": blocker["etag"]}
    )
    assert response.status_code == status, response.text
    if status == 403:
        assert response.headers["content-type"] == "application/problem+json"
        assert _state(session) == before


def test_an_officers_refusal_says_why(client, officer, blockers):
    found, _, _ = blockers
    own = found["own"]
    response = client.patch(
        blocker_url(own["id"]), json=RESOLVE, headers={**officer, "If-Match": own["etag"]}
    )
    assert "for planners" in response.json()["detail"]
    other = client.get(blocker_url(found["other"]["id"]), headers=officer)
    assert other.status_code == 403
    assert "lvshun" in other.json()["detail"]


@pytest.mark.parametrize(
    ("role", "which", "status"),
    [
        ("officer", "own", 201),
        ("officer", "other", 403),
        ("planner", "other", 201),
        ("admin", "own", 201),
    ],
)
def test_who_may_raise_where(client, session, auth, blockers, role, which, status):
    _, own, other = blockers
    code = own if which == "own" else other
    headers = auth(role, "gaoxin" if role == "officer" else None)
    before = _state(session)
    response = client.post(f"/api/v1/projects/{code}/blockers", json=RAISE, headers=headers)
    assert response.status_code == status, response.text
    if status == 403:
        assert _state(session) == before


def test_unknown_is_404_before_any_park(client, officer, planner):
    for headers in (officer, planner):
        assert client.get(blocker_url(999_999), headers=headers).status_code == 404
        patched = client.patch(
            blocker_url(999_999), json=NOTE, headers={**headers, "If-Match": '"x"'}
        )
        assert patched.status_code == 404
        raised = client.post("/api/v1/projects/INF-999/blockers", json=RAISE, headers=headers)
        assert raised.status_code == 404


def test_without_a_token_is_401(client, blockers):
    found, own, _ = blockers
    assert client.get(BLOCKERS).status_code == 401
    assert client.get(f"{BLOCKERS}/summary").status_code == 401
    assert client.get(blocker_url(found["own"]["id"])).status_code == 401
    assert client.post(f"/api/v1/projects/{own}/blockers", json=RAISE).status_code == 401
    assert client.patch(blocker_url(found["own"]["id"]), json=NOTE).status_code == 401


def test_officers_list_only_their_park(client, officer, planner, blockers):
    found, _, _ = blockers
    listed = client.get(BLOCKERS, headers=officer).json()
    assert {b["park_id"] for b in listed["items"]} == {"gaoxin"}
    assert found["own"]["id"] in [b["id"] for b in listed["items"]]
    assert found["other"]["id"] not in [b["id"] for b in listed["items"]]
    assert client.get(BLOCKERS, params={"park": "lvshun"}, headers=officer).status_code == 403
    summary = client.get(f"{BLOCKERS}/summary", headers=officer).json()
    assert summary["totals"]["raised"] == listed["total"]
    everyone = client.get(BLOCKERS, params={"limit": 500}, headers=planner).json()
    assert {found["own"]["id"], found["other"]["id"]} <= {b["id"] for b in everyone["items"]}
