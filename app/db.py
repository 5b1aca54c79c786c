"""Engine and session handling for SQLite and PostgreSQL."""

from collections.abc import AsyncIterator, Mapping
from functools import lru_cache
from pathlib import Path
from time import monotonic
from typing import Annotated, Any, Protocol

import psycopg
import sqlalchemy as sa
from fastapi import Depends
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import greenlet_spawn
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
        connect_args=_pg_connect_args(connect_timeout),
    )
    _ping_idle_connections(engine)
    return engine


def build_async_engine(
    url: str, *, pool_size: int = 5, pool_timeout: float = 5, connect_timeout: int = 2
) -> AsyncEngine:
    """A PostgreSQL engine for `PooledStatements`: asyncio psycopg, every statement committed."""
    # No overflow: its statements hold a connection for a round trip or two, so a request
    # rather waits a moment than the server sees twice as many connections per worker.
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout,
        isolation_level="AUTOCOMMIT",
        # Every statement commits on its own, so a returned connection has nothing to roll
        # back; `PooledStatements` closes one left in any other state.
        pool_reset_on_return=None,
        connect_args=_pg_connect_args(connect_timeout),
    )
    _ping_idle_connections(engine.sync_engine)
    return engine


def _pg_connect_args(connect_timeout: int) -> dict[str, Any]:
    return {
        "connect_timeout": connect_timeout,
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
        # JIT compilation pays off for long analytical scans, not for these statements:
        # at 100,000 projects it added 0.1-0.6 s to a rollup (docs/performance.md).
        "options": "-c jit=off",
    }


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


@lru_cache
def get_async_engine() -> AsyncEngine | None:
    """The process-wide asyncio engine of `PooledStatements`, or None where they are off."""
    settings = get_settings()
    url = make_url(settings.database_url)
    if not settings.db_async_reads or url.get_backend_name() != "postgresql":
        return None
    return build_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout,
        connect_timeout=settings.db_connect_timeout,
    )


def dispose_engine() -> None:
    """Close the pooled connections of the process-wide engine, if one was made."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()


async def dispose_async_engine() -> None:
    """Close the asyncio pool's connections; they belong to the event loop that opened them."""
    if get_async_engine.cache_info().currsize and (engine := get_async_engine()) is not None:
        await engine.dispose()


async def get_session() -> AsyncIterator[Session]:
    """Yield a session for one request; writes are committed by the service."""
    # Opening a session does no I/O, so it takes no worker thread; closing one that holds a
    # connection may (it rolls back and returns the connection to the pool), so only that
    # runs in one.
    session = Session(get_engine())
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]


class Statements(Protocol):
    """Runs prebuilt (module-level) Core statements one at a time, each committed on its own."""

    async def first(
        self, statement: sa.Executable, params: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        """The first row of a query, by column name, or None."""

    async def execute(self, statement: sa.Executable, params: Mapping[str, Any]) -> None:
        """Run a single-statement write and commit it."""


class SessionStatements:
    """On the request's session, in a worker thread: SQLite, or async reads turned off."""

    def __init__(self, session: Session) -> None:
        self.session = session

    async def first(
        self, statement: sa.Executable, params: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        return await run_in_threadpool(self._first, statement, params)

    async def execute(self, statement: sa.Executable, params: Mapping[str, Any]) -> None:
        await run_in_threadpool(self._execute, statement, params)

    def _first(self, statement: sa.Executable, params: Mapping[str, Any]) -> Any:
        row = self.session.execute(statement, params).first()
        return None if row is None else row._mapping

    def _execute(self, statement: sa.Executable, params: Mapping[str, Any]) -> None:
        self.session.execute(statement, params)
        self.session.commit()


class PooledStatements:
    """PostgreSQL: each statement on a connection of the asyncio pool, without a thread.

    The statement is compiled once by SQLAlchemy's psycopg dialect, so the SQL is exactly
    what the session would send, and runs on psycopg's own asyncio connection, whose rows
    need none of SQLAlchemy's result processing for the types these statements return
    (text, integers, booleans, dates and timestamps). A worker thread per statement cost
    more than the statement; `docs/performance.md` has the figures.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def first(
        self, statement: sa.Executable, params: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        row: Mapping[str, Any] | None = await self._run(statement, params, fetch=True)
        return row

    async def execute(self, statement: sa.Executable, params: Mapping[str, Any]) -> None:
        await self._run(statement, params, fetch=False)

    async def _run(
        self, statement: sa.Executable, params: Mapping[str, Any], *, fetch: bool
    ) -> Any:
        compiled = _compiled(statement, self.engine.sync_engine.dialect)
        # The pool's own connection, without SQLAlchemy's Connection around it: checking one
        # out that way cost as much as the statement.
        pooled = await self.engine.raw_connection()
        driver: psycopg.AsyncConnection[Any] = pooled.driver_connection  # type: ignore[assignment]
        try:
            cursor = driver.cursor(row_factory=dict_row)
            await cursor.execute(str(compiled), compiled.construct_params(params))
            return await cursor.fetchone() if fetch else None
        finally:
            # A connection that broke, or was left inside a statement (a cancelled request),
            # is closed rather than handed out again.
            if driver.broken or driver.info.transaction_status != TransactionStatus.IDLE:
                await greenlet_spawn(pooled.invalidate)
            pooled.close()


_COMPILED: dict[int, tuple[sa.Executable, sa.engine.Compiled]] = {}


def _compiled(statement: sa.Executable, dialect: sa.Dialect) -> sa.engine.Compiled:
    # The statements are prebuilt module-level constants, so their SQL is compiled once.
    # Keyed by identity, which SQLAlchemy's own cache key would cost more to compute than
    # the lookup saves; the entry keeps its statement alive, so no other takes its id.
    found = _COMPILED.get(id(statement))
    if found is None:
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        found = _COMPILED[id(statement)] = (statement, compiled)
    return found[1]


async def get_statements() -> Statements:
    """The request's hot statements on the asyncio pool (see `statements_overrides`)."""
    engine = get_async_engine()
    assert engine is not None, "wired to session_statements where no asyncio pool runs"
    return PooledStatements(engine)


async def session_statements(session: SessionDep) -> Statements:
    """The request's hot statements on its own session, in a worker thread."""
    return SessionStatements(session)


def statements_overrides() -> dict[Any, Any]:
    """Where no asyncio pool runs (SQLite, or DB_ASYNC_READS off), `get_statements`' stand-in."""
    # A dependency override rather than a branch inside `get_statements`: on the pool the
    # request then resolves no session at all, and a test that overrides `get_session`
    # still reaches every statement through it.
    return {} if get_async_engine() is not None else {get_statements: session_statements}


StatementsDep = Annotated[Statements, Depends(get_statements)]
