"""Engine and session handling for SQLite and PostgreSQL."""

from collections.abc import AsyncIterator
from functools import lru_cache
from pathlib import Path
from time import monotonic
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, create_engine
from starlette.concurrency import run_in_threadpool

from app.config import get_settings


def build_engine(
    url: str, *, pool_size: int = 5, pool_timeout: float = 5, connect_timeout: int = 2
) -> Engine:
    """Create an engine with the per-dialect settings the service relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    # A database that is down or unreachable must fail a request fast (503), not hang it:
    # bounded connect and pool waits, a ping before reusing an idle connection, and TCP
    # keepalives that notice a peer that vanished without closing the connection.
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=pool_timeout,
        connect_args={
            "connect_timeout": connect_timeout,
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
            # JIT compilation pays off for long analytical scans, not for these statements:
            # at 100,000 projects it added 0.1-0.6 s to a rollup (docs/performance.md).
            "options": "-c jit=off",
        },
    )
    _ping_idle_connections(engine)
    return engine


# A connection back in the pool for less than this is handed out again without a ping: under
# load every checkout would otherwise cost a round trip (a tenth of a cached rollup's time).
# One that broke meanwhile fails its request with 503 and invalidates the pool.
PING_AFTER_IDLE_SECONDS = 2.0


def _ping_idle_connections(engine: Engine) -> None:
    """`pool_pre_ping`, for connections idle longer than `PING_AFTER_IDLE_SECONDS` only."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _note_idle(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is not None and monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards the connection and checks out another (up to three tries).
            raise DisconnectionError() from error


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and transactional DDL; take it over,
    # as the SQLAlchemy documentation recommends, and turn on foreign keys per connection.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    # IMMEDIATE takes the write lock up front: a transaction that read and then writes would
    # otherwise fail at once with "database is locked" instead of waiting its turn.
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@lru_cache
def get_engine() -> Engine:
    """Return the process-wide engine for the configured database."""
    settings = get_settings()
    return build_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout,
        connect_timeout=settings.db_connect_timeout,
    )


def dispose_engine() -> None:
    """Close the pooled connections of the process-wide engine, if one was made."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()


async def get_session() -> AsyncIterator[Session]:
    """Yield a session for one request; writes are committed by the service."""
    # Opening a session does no I/O, so it takes no worker thread; closing may (it rolls back
    # and returns the connection to the pool), so that alone runs in one.
    session = Session(get_engine())
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


SessionDep = Annotated[Session, Depends(get_session)]
