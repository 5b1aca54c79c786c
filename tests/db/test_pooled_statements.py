"""What the asyncio pool (`PooledStatements`) must do beyond answering as the suite expects.

Every test of the suite already runs on PostgreSQL through the pool, the executor the
application chooses there at start-up; these check what only the pool can get wrong: the
session's time zone, a connection that broke, a unique violation inside its transaction.
"""

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.db import PooledStatements, build_async_engine
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(PG_URL is None, reason="the asyncio pool serves PostgreSQL only")

PROBLEM = "application/problem+json"
REPORT = {"as_of": "2024-05-31", "status": "under_construction", "percent_complete": 30}


@pytest.fixture
def china_time_database(database_url: str) -> str:
    """The test's database with sessions in China time, as a server set up there may be."""
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        name = conn.execute(sa.text("SELECT current_database()")).scalar_one()
        conn.execute(sa.text(f"ALTER DATABASE \"{name}\" SET timezone TO 'Asia/Shanghai'"))
    admin.dispose()
    return database_url


def test_the_pool_s_timestamps_are_utc_whatever_the_server_s_zone(
    china_time_database, client, auth
):
    headers = auth("admin")
    response = client.post("/api/v1/projects/INF-010/progress", json=REPORT, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["received_at"].endswith("Z")
    read = client.get("/api/v1/projects/INF-010", headers=headers).json()
    assert read["latest_progress"]["received_at"] == response.json()["received_at"]


def test_the_pool_records_a_tokens_last_use(client, session, auth, database_url):
    headers = auth("planner")
    session.execute(sa.text("UPDATE api_token SET last_used_at = NULL"))
    session.commit()
    assert client.get("/api/v1/projects/INF-001", headers=headers).status_code == 200
    used = session.execute(sa.text("SELECT last_used_at IS NOT NULL FROM api_token")).all()
    assert used == [(True,)]


def test_a_connection_cut_off_is_not_handed_out_again(client, auth, database_url):
    headers = auth("planner")
    assert client.get("/api/v1/projects/INF-001", headers=headers).status_code == 200
    engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        ended = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    engine.dispose()
    assert ended >= 1
    first = client.get("/api/v1/projects/INF-001", headers=headers)
    # The pooled connection was idle for less than the ping interval, so the request finds
    # it dead: a 503 problem, and the connection is discarded.
    assert first.status_code in (200, 503), first.text
    if first.status_code == 503:
        assert first.headers["content-type"] == PROBLEM
    assert client.get("/api/v1/projects/INF-001", headers=headers).status_code == 200


def test_a_pooled_transaction_raises_integrity_errors_as_the_session_does(database_url):
    statement = sa.text(
        "INSERT INTO park (id, name, aliases, table4_name, tier, position, version) "
        "VALUES ('pool-x', '测试园区', '[]', '测试', 'x', 999, 1)"
    )

    async def twice() -> None:
        engine = build_async_engine(database_url)
        statements = PooledStatements(engine)

        async def insert_twice() -> None:
            async with statements.transaction() as transaction:
                await transaction.execute(statement, {})
                await transaction.execute(statement, {})

        try:
            with pytest.raises(IntegrityError):
                await insert_twice()
            # Rolled back, and the connection is clean for the next request.
            found = await statements.first(
                sa.text("SELECT count(*) AS n FROM park WHERE id = 'pool-x'"), {}
            )
            assert found == {"n": 0}
        finally:
            await engine.dispose()

    asyncio.run(twice())
