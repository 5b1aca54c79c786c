"""API6:2023 Unrestricted access to sensitive business flows. The flows worth abusing here
are reporting (flooding a park's history with reports) and reviewing (approving in bulk);
both are per-token rate limited, and retries never store twice."""

import uuid

import pytest
from sqlmodel import func, select

from app.http.rate_limits import RateLimiter
from app.models import ProgressEntry
from tests import factories

REPORT = {"as_of": "2026-10-31", "status": "under_construction", "percent_complete": 40}


def _entries(session):
    return session.exec(select(func.count()).select_from(ProgressEntry)).one()


def _limiter(writes):
    return RateLimiter(
        storage_url="memory://", writes=writes, exports="100/minute", namespace=uuid.uuid4().hex
    )


@pytest.fixture
def url(session) -> str:
    """The reports of a project of park gaoxin made for the test."""
    return f"/api/v1/projects/{factories.project(session).code}/progress"


def test_a_token_cannot_flood_a_projects_history(make_client, auth, session, url):
    client = make_client(_limiter("5/minute"))
    officer = auth("officer", "gaoxin")
    before = _entries(session)
    statuses = [
        client.post(url, json={**REPORT, "percent_complete": 40 + n}, headers=officer).status_code
        for n in range(8)
    ]
    assert statuses == [201] * 5 + [429] * 3
    assert _entries(session) == before + 5


def test_bulk_review_is_throttled(make_client, auth, session, url):
    client = make_client(_limiter("2/minute"))
    admin, planner = auth("admin"), auth("planner")
    entry = client.post(url, json=REPORT, headers=admin).json()["id"]
    review = f"{url}/{entry}/approve"
    assert client.post(review, headers=planner).status_code == 200
    assert client.post(review, headers=planner).status_code in (200, 409)
    assert client.post(review, headers=planner).status_code == 429


def test_retries_with_an_idempotency_key_store_once(client, auth, session, url):
    officer = {**auth("officer", "gaoxin"), "Idempotency-Key": "retry-2026-10"}
    before = _entries(session)
    first = client.post(url, json=REPORT, headers=officer)
    for _ in range(3):
        again = client.post(url, json=REPORT, headers=officer)
        assert again.json()["id"] == first.json()["id"]
        assert again.headers["idempotent-replayed"] == "true"
    assert _entries(session) == before + 1
