"""One suite, two engines: SQLite by default, PostgreSQL when TEST_DATABASE_URL is set.

Each test that needs the database gets its own copy of the seeded library and an application
that reaches it as in production: its own engines and the executor chosen at start-up.
"""

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app import migrate
from app.config import get_settings
from app.db import build_engine
from app.main import create_app
from app.models import Role
from app.seeding.extract import SEED_DIR
from app.seeding.load import load_seed
from tests import factories

PG_URL = os.environ.get("TEST_DATABASE_URL")


def _create_pg_database(server_url: str, template: str = "template0") -> str:
    name = f"portfolio_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE "{template}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(server_url: str, url: str) -> None:
    name = make_url(url).database
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def engine_name() -> str:
    return "postgresql" if PG_URL else "sqlite"


@pytest.fixture(scope="session")
def make_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], str]]:
    """Create empty databases on the engine under test; all are dropped at the end."""
    created: list[str] = []

    def make() -> str:
        if PG_URL:
            url = _create_pg_database(PG_URL)
        else:
            url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'portfolio.db'}"
        created.append(url)
        return url

    yield make
    if PG_URL:
        for url in created:
            _drop_pg_database(PG_URL, url)


@pytest.fixture(scope="session")
def seeded_template(make_database: Callable[[], str]) -> str:
    """A migrated, seeded database, never used itself: each test gets a copy (`database_url`)."""
    url = make_database()
    migrate.upgrade(url)
    engine = build_engine(url)
    with Session(engine) as session:
        load_seed(session, seed_dir=SEED_DIR)
    # Closing the last connection folds SQLite's write-ahead log into the file copied.
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def seeded_copy(
    seeded_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[], AbstractContextManager[str]]:
    """Copies of the seeded database: each one is dropped when its `with` block ends."""

    @contextmanager
    def copy() -> Iterator[str]:
        if PG_URL:
            url = _create_pg_database(PG_URL, template=str(make_url(seeded_template).database))
            try:
                yield url
            finally:
                _drop_pg_database(PG_URL, url)
            return
        folder = tmp_path_factory.mktemp("copy")
        shutil.copyfile(str(make_url(seeded_template).database), folder / "portfolio.db")
        try:
            yield f"sqlite:///{folder / 'portfolio.db'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return copy


@pytest.fixture
def database_url(seeded_copy: Callable[[], AbstractContextManager[str]]) -> Iterator[str]:
    """This test's own copy of the seeded database, dropped after it."""
    with seeded_copy() as url:
        yield url


@contextmanager
def serving(url: str) -> Iterator[str]:
    """Point the application's settings at the database `url` while the block runs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        try:
            yield url
        finally:
            get_settings.cache_clear()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The test's own engine on its database: what the test sets up and checks goes through it."""
    engine = build_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@pytest.fixture
def statements_sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The SQL of every statement any engine of the process sends while the test runs."""
    sent: list[str] = []

    def note(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        sent.append(statement)

    sa.event.listen(Engine, "before_cursor_execute", note)
    # The asyncio pool's statements go to psycopg directly (`app.db.PooledStatements`).
    execute = psycopg.AsyncCursor.execute

    async def noted(cursor, query, *args, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(str(query))
        return await execute(cursor, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncCursor, "execute", noted)
    yield sent
    sa.event.remove(Engine, "before_cursor_execute", note)


class SessionClient(TestClient):
    """A client of the application that first commits what the test's session holds.

    The application reaches the test's database through its own engines, as in production;
    what the test set up on its session becomes visible to it, and the session reads afresh
    afterwards (a commit expires what it loaded).
    """

    def __init__(self, app: FastAPI, session: Session, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.test_session = session

    def send(self, *args: Any, **kwargs: Any) -> httpx.Response:
        self.test_session.commit()
        return super().send(*args, **kwargs)


@pytest.fixture
def serve_database(database_url: str) -> Iterator[str]:
    """Point the application's settings at the test's database."""
    with serving(database_url):
        yield database_url


@pytest.fixture
def client(serve_database: str, session: Session) -> Iterator[TestClient]:
    with SessionClient(create_app(), session, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def token_for(session: Session) -> Callable[..., str]:
    """Issue a token for a role (and park, for officers) inside the test's transaction."""

    def issue(role: Role | str, park_id: str | None = None) -> str:
        return factories.token(session, role, park_id)[1]

    return issue


@pytest.fixture
def auth(token_for: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """Authorization headers for a role."""

    def headers(role: Role | str = Role.planner, park_id: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(role, park_id)}"}

    return headers


@pytest.fixture
def seed_dir() -> Path:
    return SEED_DIR
