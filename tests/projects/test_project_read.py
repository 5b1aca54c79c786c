"""GET one project checks the token in the statement that reads the project.

The token decides before anything else about the request: a dead token is refused 401
whatever the code or the parameters, a live one gets 404, 422 or the project as before.
"""

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.auth.tokens import create_token, hash_secret, revoke_token, verify
from app.db import EngineStatements
from app.models import ApiToken, Role, utcnow
from app.progress.schemas import Figures
from app.projects import service
from tests import factories

PATHS = {
    "known code": "/api/v1/projects/{code}",
    "known code, lower case": "/api/v1/projects/{lower}",
    "unknown code": "/api/v1/projects/INF-999",
    "malformed code": "/api/v1/projects/{code}!",
    "code too long": "/api/v1/projects/" + "X" * 21,
    "unknown figures": "/api/v1/projects/{code}?figures=draft",
    "unknown parameter": "/api/v1/projects/{code}?colour=red",
    "official figures": "/api/v1/projects/{code}?figures=official",
}
LIVE_ANSWERS = {
    "known code": 200,
    "known code, lower case": 200,
    "unknown code": 404,
    "malformed code": 422,
    "code too long": 422,
    "unknown figures": 422,
    "unknown parameter": 422,
    "official figures": 200,
}


@pytest.fixture
def code(session: Session) -> str:
    """A project of park gaoxin made for the test."""
    return factories.project(session).code


def _path(path: str, code: str) -> str:
    """`path` for the project `code` (one of `PATHS`)."""
    return path.format(code=code, lower=code.lower())


def _dead_headers(session: Session, kind: str) -> dict[str, str]:
    if kind == "none":
        return {}
    if kind == "wrong scheme":
        return {"Authorization": f"Basic {create_token(session, name='x', role=Role.admin)[1]}"}
    if kind == "unknown":
        return {"Authorization": "Bearer kp_not-a-real-token"}
    token, secret = create_token(
        session, name=kind, role=Role.admin, expires_at=utcnow() + timedelta(hours=1)
    )
    assert token.id is not None
    if kind == "revoked":
        revoke_token(session, token_id=token.id)
    else:
        token.expires_at = utcnow() - timedelta(minutes=1)
        session.add(token)
        session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("path", PATHS.values(), ids=PATHS.keys())
@pytest.mark.parametrize("kind", ["none", "wrong scheme", "unknown", "revoked", "expired"])
def test_a_dead_token_is_401_whatever_else_is_wrong(client, session, code, kind, path):
    response = client.get(_path(path, code), headers=_dead_headers(session, kind))
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert set(response.json()) == {"type", "title", "status", "detail", "instance", "request_id"}


@pytest.mark.parametrize("path", PATHS.values(), ids=PATHS.keys())
@pytest.mark.parametrize("role", list(Role))
def test_a_live_token_gets_the_answer_it_got_before(client, auth, code, role, path):
    response = client.get(_path(path, code), headers=auth(role))
    assert response.status_code == LIVE_ANSWERS[next(k for k, v in PATHS.items() if v == path)]
    if response.status_code == 200:
        body = response.json()
        assert body["code"] == code
        assert body["figures"] == ("official" if "official" in path else "latest")
        assert response.headers["etag"].startswith(f'"project-{code}-')
    else:
        assert response.headers["content-type"] == "application/problem+json"


def test_the_answer_matches_the_list(client, auth, code):
    headers = auth()
    one = client.get(f"/api/v1/projects/{code}", headers=headers).json()
    listed = client.get("/api/v1/projects", params={"q": code}, headers=headers).json()
    assert [item for item in listed["items"] if item["code"] == code] == [one]


def test_a_read_records_the_tokens_last_use(client, session, code):
    token, secret = create_token(session, name="reader", role=Role.planner)
    assert token.last_used_at is None
    assert client.get(f"/api/v1/projects/{code}", headers={"Authorization": f"Bearer {secret}"})
    session.refresh(token)
    assert token.last_used_at is not None


def test_one_statement_checks_the_token_and_reads_the_project(
    client, session, auth, code, statements_sent
):
    headers = auth()
    client.get("/api/v1/parks", headers=headers)  # the token's first use is recorded here
    statements_sent.clear()
    assert client.get(f"/api/v1/projects/{code}", headers=headers).status_code == 200
    selects = [s for s in statements_sent if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, statements_sent
    assert "api_token" in selects[0]
    assert "progress_entry" in selects[0]


def test_verify_returns_the_row_only_with_a_live_token(session, code):
    statements = EngineStatements(session.get_bind())
    read = service.read_by_code(Figures.latest)
    live, secret = create_token(session, name="live", role=Role.planner)
    live_id = live.id
    revoked, revoked_secret = create_token(session, name="revoked", role=Role.planner)
    assert revoked.id is not None
    revoke_token(session, token_id=revoked.id)
    session.commit()

    def check(secret: str, code: str | None = None):  # type: ignore[no-untyped-def]
        if code is None:
            return asyncio.run(verify(statements, secret))
        return asyncio.run(verify(statements, secret, read, {"code": code}))

    token, row = check(secret, code)
    assert token is not None
    assert token.id == live_id
    assert row is not None
    assert row["code"] == code
    assert row["category_name"]
    assert check(secret, "INF-999") == (token, None)
    for dead in (revoked_secret, "kp_unknown"):
        assert check(dead, code) == (None, None)
    # Without a read: the token alone, as every other route checks it.
    assert check(secret) == (token, None)
    stored = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    assert stored.one().last_used_at is not None
