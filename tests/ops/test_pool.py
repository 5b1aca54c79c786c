"""Pooled PostgreSQL connections: pinged before reuse only after they sat idle."""

import pytest
import sqlalchemy as sa

from app import db
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="the pool ping is PostgreSQL's")


@pytest.fixture
def pool_engine(make_database):
    engine = db.build_engine(make_database(), pool_size=1)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(pool_engine, monkeypatch):
    calls = []
    real = pool_engine.dialect.do_ping

    def counting(dbapi_connection):
        calls.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(pool_engine.dialect, "do_ping", counting)
    return calls


def _backend_pid(engine):
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.pg_backend_pid())).scalar_one()


def _terminate(pid):
    killer = sa.create_engine(PG_URL)
    with killer.connect() as conn:
        assert conn.execute(sa.select(sa.func.pg_terminate_backend(pid))).scalar_one()
    killer.dispose()


def test_a_connection_back_moments_ago_is_not_pinged(pool_engine, pings):
    first = _backend_pid(pool_engine)
    assert _backend_pid(pool_engine) == first
    assert pings == []


def test_an_idle_connection_is_pinged_and_replaced_if_dead(pool_engine, pings, monkeypatch):
    first = _backend_pid(pool_engine)
    _terminate(first)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    # The ping finds the connection dead; the pool hands out a new one and the query works.
    assert _backend_pid(pool_engine) != first
    assert len(pings) == 2  # the dead connection, then (idle from birth) its replacement


def test_a_recently_used_connection_that_died_fails_once(pool_engine, pings):
    first = _backend_pid(pool_engine)
    _terminate(first)
    with pytest.raises(sa.exc.OperationalError) as failure:
        _backend_pid(pool_engine)
    assert failure.value.connection_invalidated
    # The failure invalidated the pool: the next request gets a fresh connection.
    assert _backend_pid(pool_engine) != first
    assert pings == []
