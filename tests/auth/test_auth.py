"""Authentication and the role x endpoint table for reads."""

from datetime import UTC, datetime

import pytest

from app.auth.tokens import create_token, hash_secret, revoke_token
from app.models import ApiToken, Role
from app.problems import InvalidInput
from tests import factories

READ_ENDPOINTS = [
    "/api/v1/projects",
    "/api/v1/projects/INF-001",
    "/api/v1/projects/INF-001/progress",
    "/api/v1/parks",
    "/api/v1/parks/gaoxin",
    "/api/v1/categories",
]


@pytest.mark.parametrize("path", READ_ENDPOINTS)
def test_without_token_is_401_problem(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["status"] == 401
    assert "Authorization: Bearer" in body["detail"]


@pytest.mark.parametrize("path", READ_ENDPOINTS)
def test_unknown_token_is_401(client, path):
    response = client.get(path, headers={"Authorization": "Bearer kp_not-a-real-token"})
    assert response.status_code == 401
    assert response.json()["detail"] == "The API token is unknown, expired or revoked."


def test_wrong_scheme_is_401(client, token_for):
    response = client.get("/api/v1/parks", headers={"Authorization": f"Basic {token_for('admin')}"})
    assert response.status_code == 401


def test_unknown_code_without_token_is_401_not_404(client):
    assert client.get("/api/v1/projects/NOPE-1").status_code == 401


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("path", READ_ENDPOINTS)
def test_every_role_reads_everything(client, auth, role, path):
    response = client.get(path, headers=auth(role))
    assert response.status_code == 200, response.text


# GET one project checks its token in the statement that reads the project: its own path.
# `{code}` is a project the test makes.
@pytest.mark.parametrize("path", ["/api/v1/parks", "/api/v1/projects/{code}"])
def test_revoked_token_is_refused(client, session, path):
    path = path.format(code=factories.project(session).code)
    token, secret = create_token(session, name="to revoke", role=Role.planner)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(path, headers=headers).status_code == 200
    assert token.id is not None
    revoke_token(session, token_id=token.id)
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_tokens_are_stored_hashed_and_use_is_recorded(client, session):
    token, secret = create_token(session, name="hashed", role=Role.admin)
    assert secret.startswith("kp_")
    assert len(secret) > 40
    stored = session.get(ApiToken, token.id)
    assert stored is not None
    assert stored.token_hash == hash_secret(secret)
    assert secret not in (stored.token_hash, stored.prefix)
    assert stored.last_used_at is None
    client.get("/api/v1/parks", headers={"Authorization": f"Bearer {secret}"})
    session.refresh(stored)
    assert stored.last_used_at is not None
    assert stored.last_used_at <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("role", "park", "message"),
    [
        (Role.officer, None, "An officer token needs a park."),
        (Role.planner, "gaoxin", "Only officer tokens are bound to a park."),
        (Role.officer, "atlantis", "No park has the id 'atlantis'."),
    ],
)
def test_token_rules(session, role, park, message):
    with pytest.raises(InvalidInput, match=message):
        create_token(session, name="x", role=role, park_id=park)
