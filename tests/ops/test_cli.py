"""The `portfolio` command against a fresh database."""

import json

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.db import get_engine
from app.models import ApiToken, ProgressEntry, Project


@pytest.fixture
def fresh_env(make_database, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", make_database())
    monkeypatch.setenv("DEMO_TOKENS_FILE", str(tmp_path / "demo-tokens.json"))
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield tmp_path
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def _run(*args):
    return CliRunner().invoke(cli, list(args))


def _count(model):
    with Session(get_engine()) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_upgrade_seed_twice_leaves_178(fresh_env):
    assert _run("db", "upgrade").exit_code == 0
    first = _run("seed")
    assert first.exit_code == 0, first.output
    assert "178 projects added" in first.output
    second = _run("seed")
    assert second.exit_code == 0
    assert "0 parks, 0 categories, 0 projects added" in second.output
    assert _count(Project) == 178
    assert _count(ProgressEntry) == 178
    with Session(get_engine()) as session:
        total = session.exec(select(func.sum(Project.total_investment_wan))).one()
    assert total == 21_124_119


def test_token_create_list_revoke(fresh_env):
    _run("db", "upgrade")
    _run("seed")
    created = _run(
        "token", "create", "--role", "officer", "--park", "lvshun", "--name", "旅顺 officer"
    )
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("kp_")
    assert " " not in secret

    listed = _run("token", "list")
    assert "旅顺 officer" in listed.output
    assert "lvshun" in listed.output
    assert secret not in listed.output

    with Session(get_engine()) as session:
        token = session.exec(select(ApiToken)).one()
    revoked = _run("token", "revoke", str(token.id))
    assert revoked.exit_code == 0
    assert "旅顺 officer" not in _run("token", "list").output
    assert "revoked" in _run("token", "list", "--all").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "officer", "--name", "x"], "An officer token needs a park."),
        (["--role", "officer", "--park", "atlantis", "--name", "x"], "No park has the id"),
        (["--role", "emperor", "--name", "x"], "emperor"),
    ],
)
def test_token_create_refuses_bad_input(fresh_env, args, message):
    _run("db", "upgrade")
    _run("seed")
    result = _run("token", "create", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert _count(ApiToken) == 0


def test_revoking_unknown_token_fails(fresh_env):
    _run("db", "upgrade")
    result = _run("token", "revoke", "4242")
    assert result.exit_code == 2
    assert "No token has the id 4242." in result.output


def test_demo_tokens_are_created_once_and_reused(fresh_env):
    _run("db", "upgrade")
    _run("seed")
    first = _run("demo")
    assert "/web/" in first.stdout
    assert first.exit_code == 0, first.output
    assert "/docs" in first.output
    assert _count(ApiToken) == 11
    stored = json.loads((fresh_env / "demo-tokens.json").read_text())
    assert set(stored) >= {"demo-admin", "demo-planner", "demo-officer-gaoxin"}
    second = _run("demo")
    assert _count(ApiToken) == 11
    for secret in stored.values():
        assert secret in second.output


def test_synth_needs_the_seeded_library_then_adds_projects(fresh_env):
    _run("db", "upgrade")
    refused = _run("synth", "--projects", "5", "--months", "2")
    assert refused.exit_code == 2
    assert "Seed the library first" in refused.output
    _run("seed")
    result = _run("synth", "--projects", "50", "--months", "3", "--seed", "4")
    assert result.exit_code == 0, result.output
    assert "50 projects" in result.output
    assert _count(Project) == 228
