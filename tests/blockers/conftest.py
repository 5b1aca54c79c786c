"""What the blocker tests share: the calls, and projects made for each test."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import factories

BLOCKERS = "/api/v1/blockers"
RAISE = {"type": "land", "description": "项目用地尚未完成征收，影响开工。"}


def blocker_url(blocker_id: int) -> str:
    return f"{BLOCKERS}/{blocker_id}"


@pytest.fixture
def planner(auth: Callable[..., dict[str, str]]) -> dict[str, str]:
    return auth("planner")


@pytest.fixture
def officer(auth: Callable[..., dict[str, str]]) -> dict[str, str]:
    return auth("officer", "gaoxin")


@pytest.fixture
def own(session: Any) -> str:
    """A project of park gaoxin, the officer's own, made for the test."""
    return factories.project(session).code


@pytest.fixture
def raise_blocker(client: TestClient) -> Callable[..., dict[str, Any]]:
    """Raise a blocker through the API; its answer, with the ETag as `etag`."""

    def raise_(code: str, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
        response = client.post(
            f"/api/v1/projects/{code}/blockers", json={**RAISE, **fields}, headers=headers
        )
        assert response.status_code == 201, response.text
        return {**response.json(), "etag": response.headers["etag"]}

    return raise_


@pytest.fixture
def step(client: TestClient) -> Callable[..., Any]:
    """PATCH a blocker with the ETag it was last read with; the response."""

    def patch(blocker: dict[str, Any], headers: dict[str, str], **body: Any) -> Any:
        return client.patch(
            blocker_url(blocker["id"]), json=body, headers={**headers, "If-Match": blocker["etag"]}
        )

    return patch
