"""API2:2023 Broken authentication: missing, malformed, wrong-scheme, unknown, revoked and
expired tokens all get the same 401, and tokens expire when asked to."""

import asyncio
from datetime import timedelta

import pytest
from fastapi.routing import APIRoute
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.auth.deps import get_principal
from app.auth.tokens import create_token, hash_secret, revoke_token, verify
from app.cli import cli
from app.config import get_settings
from app.db import EngineStatements, get_engine
from app.main import create_app
from app.models import ApiToken, Role, utcnow
from app.problems import InvalidInput
from app.projects.deps import readable_project

URL = "/api/v1/parks"


def _assert_401(response):
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer",
        "Bearer ",
        "bearer",
        "Token {secret}",
        "Basic {secret}",
        "{secret}",
        "Bearer {secret}x",
        "Bearer {secret_upper}",
        "Bearer kp_",
        "Bearer " + "A" * 10_000,
        "Bearer ../../etc/passwd",
        "Bearer ' OR '1'='1",
    ],
)
def test_malformed_or_wrong_scheme_tokens_are_401(client, token_for, authorization):
    secret = token_for("admin")
    header = authorization.format(secret=secret, secret_upper=secret.upper())
    _assert_401(client.get(URL, headers={"Authorization": header}))


def test_non_ascii_authorization_header_is_401(client):
    _assert_401(client.get(URL, headers={"Authorization": "Bearer 令牌".encode()}))


def test_the_token_travels_only_in_the_header(client, token_for):
    secret = token_for("admin")
    _assert_401(client.get(URL, params={"access_token": secret, "token": secret}))
    _assert_401(client.get(URL, headers={"Cookie": f"token={secret}"}))


def test_expired_token_is_401(client, session):
    token, secret = create_token(
        session, name="short-lived", role=Role.planner, expires_at=utcnow() + timedelta(hours=1)
    )
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(URL, headers=headers).status_code == 200
    token.expires_at = utcnow() - timedelta(seconds=1)
    session.add(token)
    session.commit()
    response = client.get(URL, headers=headers)
    _assert_401(response)
    assert response.json()["detail"] == "The API token is unknown, expired or revoked."
    session.commit()
    assert asyncio.run(verify(EngineStatements(session.get_bind()), secret)) == (None, None)


def test_revoked_token_is_401_at_once(client, session):
    token, secret = create_token(session, name="to revoke", role=Role.admin)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(URL, headers=headers).status_code == 200
    revoke_token(session, token_id=token.id)
    _assert_401(client.get(URL, headers=headers))


def test_a_token_cannot_be_created_already_expired(session):
    with pytest.raises(InvalidInput, match="cannot expire in the past"):
        create_token(session, name="x", role=Role.admin, expires_at=utcnow())


def test_only_a_digest_is_stored(session):
    token, secret = create_token(session, name="digest", role=Role.admin)
    stored = session.exec(select(ApiToken).where(ApiToken.id == token.id)).one()
    assert stored.token_hash == hash_secret(secret)
    assert secret not in {stored.token_hash, stored.prefix, stored.name}


@pytest.fixture
def cli_env(make_database, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", make_database())
    monkeypatch.setenv("DEMO_TOKENS_FILE", str(tmp_path / "demo-tokens.json"))
    get_settings.cache_clear()
    get_engine.cache_clear()
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    yield runner
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_token_create_expires_in_days(cli_env):
    created = cli_env.invoke(
        cli,
        ["token", "create", "--role", "planner", "--name", "quarterly", "--expires-in-days", "90"],
    )
    assert created.exit_code == 0, created.output
    with Session(get_engine()) as session:
        token = session.exec(select(ApiToken)).one()
    assert token.expires_at is not None
    assert timedelta(days=89, hours=23) < token.expires_at - utcnow() <= timedelta(days=90)
    assert "expires" in cli_env.invoke(cli, ["token", "list"]).output

    refused = cli_env.invoke(
        cli, ["token", "create", "--role", "planner", "--name", "x", "--expires-in-days", "0"]
    )
    assert refused.exit_code != 0


def test_token_list_shows_expired_tokens_as_expired(cli_env):
    with Session(get_engine()) as session:
        token, _ = create_token(
            session, name="old", role=Role.admin, expires_at=utcnow() + timedelta(seconds=1)
        )
        token.expires_at = utcnow() - timedelta(days=1)
        session.add(token)
        session.commit()
    assert "expired" in cli_env.invoke(cli, ["token", "list"]).output


def test_every_api_route_admits_its_caller_before_anything_else():
    # FastAPI resolves a route's dependencies in the order of its parameters: the token check
    # comes first, so that nothing (a project looked up, a session opened) runs for a caller
    # who will be refused, and no 404 or 422 tells a stranger what exists.
    app = create_app()
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path.startswith("/api/"):
            first = route.dependant.dependencies[0].call
            assert first in (get_principal, readable_project), route.path
