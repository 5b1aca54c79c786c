"""Signed-in page clients: the TestClient keeps cookies as a browser does."""

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


@pytest.fixture
def sign_in(client: TestClient, token_for: Callable[..., str]) -> Callable[..., TestClient]:
    """Sign the test client in through the form, as a role (and park, for officers)."""

    def signed_in(role: str = "planner", park_id: str | None = None) -> TestClient:
        page = client.get("/web/login")
        response = client.post(
            "/web/login",
            data={"token": token_for(role, park_id), "csrf": csrf_of(page.text), "next": "/web/"},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return client

    return signed_in
