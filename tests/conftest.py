"""One suite, two engines: SQLite by default, PostgreSQL when TEST_DATABASE_URL is set."""

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app import migrate
from app.auth.tokens import create_token
from app.db import build_engine, get_probe_session, get_session
from app.main import create_app
from app.models import Role
from app.seeding.extract import SEED_DIR
from app.seeding.load import load_seed

PG_URL = os.environ.get("TEST_DATABASE_URL")
# Each test runs inside a transaction it rolls back, on its own session; the asyncio pool of
# `PooledStatements` could not see that transaction's rows. The suite therefore runs every
# statement on the test's session, and tests/api/test_pooled_statements.py (and the tests
# that start `portfolio serve`) run the pool against committed data.
os.environ["DB_ASYNC_POOL"] = "false"


def _create_pg_database(server_url: str) -> str:
    name = f"portfolio_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
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
def engine(make_database: Callable[[], str]) -> Iterator[Engine]:
    """A migrated, seeded database shared by the suite; each test rolls back its changes."""
    url = make_database()
    migrate.upgrade(url)
    engine = build_engine(url)
    with Session(engine) as session:
        load_seed(session, seed_dir=SEED_DIR)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    yield session
    session.close()
    transaction.rollback()
    connection.close()


@pytest.fixture
def statements_sent(session: Session) -> Iterator[list[str]]:
    """The SQL of every statement the test's engine sends while the test runs."""
    sent: list[str] = []
    engine = session.get_bind()

    def note(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        sent.append(statement)

    sa.event.listen(engine, "before_cursor_execute", note)
    yield sent
    sa.event.remove(engine, "before_cursor_execute", note)


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    app = create_app()
    app.dependency_overrides[get_session] = lambda: session
    app.dependency_overrides[get_probe_session] = lambda: session
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def token_for(session: Session) -> Callable[..., str]:
    """Issue a token for a role (and park, for officers) inside the test's transaction."""

    def issue(role: Role | str, park_id: str | None = None) -> str:
        role = Role(role)
        if role is Role.officer and park_id is None:
            park_id = "gaoxin"
        _, secret = create_token(session, name=f"test-{role}", role=role, park_id=park_id)
        return secret

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
