"""The database as the application reaches it: engines, sessions and the statement executor.

`Database` is made once, when the application starts (`app.main.lifespan`), from the settings:
the engine behind every request's session, the readiness probe's own engine, and the one
`Statements` executor of the engine in use (PostgreSQL: `PooledStatements`; SQLite:
`EngineStatements`). Requests reach them through the dependencies at the end of this module.
"""

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import lru_cache
from pathlib import Path
from time import monotonic
from typing import Annotated, Any, Generic, Protocol, TypeVar

import psycopg
import sqlalchemy as sa
from fastapi import Depends, Request
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import greenlet_spawn
from sqlmodel import Session, create_engine
from starlette.concurrency import run_in_threadpool

from app.config import Settings, get_settings


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
        # Sessions in UTC whatever the server's zone: `PooledStatements` hands psycopg's
        # timestamps over as they come, in the session's zone.
        "options": "-c jit=off -c timezone=UTC",
    }


# A connection back in the pool for less than this is handed out again without a ping, which
# is a round trip on every checkout (docs/performance.md, "The pool's ping"). One that broke
# meanwhile fails its request with 503 and invalidates the pool.
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


def engine_for(settings: Settings, *, pool_size: int | None = None) -> Engine:
    """An engine for the configured database, with the configured pool."""
    return build_engine(
        settings.database_url,
        pool_size=settings.db_pool_size if pool_size is None else pool_size,
        pool_timeout=settings.db_pool_timeout,
        connect_timeout=settings.db_connect_timeout,
    )


@lru_cache
def get_engine() -> Engine:
    """The command line's engine for the configured database (requests use `Database`)."""
    return engine_for(get_settings())


Form = TypeVar("Form")


class ByDialect(Generic[Form]):
    """A tuned query's forms by database dialect, and the one rule choosing among them.

    Most statements are written once for both engines. A few have a PostgreSQL form using
    what SQLite lacks (LATERAL, DISTINCT ON, GROUPING SETS, array parameters), in a module
    `X_postgresql.py` beside the portable `X.py`, with the portable form's signature. The
    caller declares the pair once and asks it for the form of its engine, never testing the
    dialect itself.
    """

    def __init__(self, portable: Form, **own: Form) -> None:
        self.portable = portable
        self.own = own

    def __call__(self, dialect: str) -> Form:
        """The form for a database of `dialect` (SQLAlchemy's name, e.g. `postgresql`)."""
        return self.own.get(dialect, self.portable)


class Transaction(Protocol):
    """Runs prebuilt (module-level) Core statements, by column name, in one transaction."""

    async def first(
        self, statement: sa.Executable, params: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        """The first row of a query, by column name, or None."""

    async def all(
        self, statement: sa.Executable, params: Mapping[str, Any]
    ) -> Sequence[Mapping[str, Any]]:
        """Every row of a query, by column name."""

    async def execute(self, statement: sa.Executable, params: Mapping[str, Any]) -> None:
        """Run a statement whose rows are not wanted."""


class Statements(Transaction, Protocol):
    """Prebuilt statements, each committed on its own, or together in `transaction()`.

    A constraint violation is raised as SQLAlchemy's `IntegrityError`, whichever way it
    runs; a lost connection answers 503 either way (`app.problems`).
    """

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """Statements in one transaction: committed when the block ends, rolled back if it
        raises."""


class EngineStatements:
    """SQLite: each statement on a connection of the engine's pool, in a worker thread.

    Every SQLite transaction begins IMMEDIATE, taking the database's one write lock: a
    request's session holds it from its first statement until the request ends, so a route
    writes through `Statements` before its session reads anything.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def first(
        self, statement: sa.Executable, params: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        rows = await run_in_threadpool(self._run, statement, params, True)
        return rows[0] if rows else None

    async def all(
        self, statement: sa.Executable, params: Mapping[str, Any]
    ) -> Sequence[Mapping[str, Any]]:
        return await run_in_threadpool(self._run, statement, params, True)

    async def execute(self, statement: sa.Executable, params: Mapping[str, Any]) -> None:
        await run_in_threadpool(self._run, statement, params, False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        connection = await run_in_threadpool(self.engine.connect)
        try:
            await run_in_threadpool(connection.begin)
            try:
                yield _OnEngineConnection(connection)
            except BaseException:
                await run_in_threadpool(connection.rollback)
                raise
            await run_in_threadpool(connection.commit)
        finally:
            await run_in_threadpool(connection.close)

    def _run(self, statement: sa.Executable, params: Mapping[str, Any], fetch: bool) -> list[Any]:
        with self.engine.begin() as connection:
            return _rows(connection, statement, params, fetch)


def _rows(
    connection: sa.Connection, statement: sa.Executable, params: Mapping[str, Any], fetch: bool
) -> list[Any]:
    result = connection.execute(statement, params)
    return list(result.mappings()) if fetch else []


class _OnEngineConnection:
    """`EngineStatements` inside one transaction: every statement on its connection."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    async def first(
        self, statement: sa.Executable, params: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        rows = await run_in_threadpool(_rows, self.connection, statement, params, True)
        return rows[0] if rows else None

    async def all(
        self, statement: sa.Executable, params: Mapping[str, Any]
    ) -> Sequence[Mapping[str, Any]]:
        return await run_in_threadpool(_rows, self.connection, statement, params, True)

    async def execute(self, statement: sa.Executable, params: Mapping[str, Any]) -> None:
        await run_in_threadpool(_rows, self.connection, statement, params, False)


class PooledStatements:
    """PostgreSQL: statements on a connection of the asyncio pool, without a thread.

    Each statement is compiled once by SQLAlchemy's psycopg dialect, so the SQL is exactly
    what the session would send, and runs on psycopg's own asyncio connection, whose rows
    need none of SQLAlchemy's result processing for the types these statements return
    (text, integers, booleans, dates, timestamps and JSON). No worker thread is taken;
    `docs/performance.md` has the figures.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def first(
        self, statement: sa.Executable, params: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        async with self._connection() as connection:
            return await connection.first(statement, params)

    async def all(
        self, statement: sa.Executable, params: Mapping[str, Any]
    ) -> Sequence[Mapping[str, Any]]:
        async with self._connection() as connection:
            return await connection.all(statement, params)

    async def execute(self, statement: sa.Executable, params: Mapping[str, Any]) -> None:
        async with self._connection() as connection:
            await connection.execute(statement, params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._connection() as connection, connection.driver.transaction():
            yield connection

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator["_OnConnection"]:
        # The pool's own connection, without SQLAlchemy's Connection around it
        # (docs/performance.md, "Hot statements without worker threads").
        pooled = await self.engine.raw_connection()
        driver: psycopg.AsyncConnection[Any] = pooled.driver_connection  # type: ignore[assignment]
        try:
            yield _OnConnection(driver, self.engine.sync_engine.dialect)
        finally:
            # A connection that broke, or was left inside a statement or a transaction (a
            # cancelled request), is closed rather than handed out again.
            if driver.broken or driver.info.transaction_status != TransactionStatus.IDLE:
                await greenlet_spawn(pooled.invalidate)
            pooled.close()


class _OnConnection:
    """Statements on one psycopg connection (autocommit, or inside its transaction)."""

    def __init__(self, driver: psycopg.AsyncConnection[Any], dialect: sa.Dialect) -> None:
        self.driver = driver
        self.dialect = dialect

    async def first(
        self, statement: sa.Executable, params: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        cursor = await self._run(statement, params)
        row: Mapping[str, Any] | None = await cursor.fetchone()
        return row

    async def all(
        self, statement: sa.Executable, params: Mapping[str, Any]
    ) -> Sequence[Mapping[str, Any]]:
        cursor = await self._run(statement, params)
        return await cursor.fetchall()

    async def execute(self, statement: sa.Executable, params: Mapping[str, Any]) -> None:
        await self._run(statement, params)

    async def _run(
        self, statement: sa.Executable, params: Mapping[str, Any]
    ) -> psycopg.AsyncCursor[dict[str, Any]]:
        sql, bind = _compiled(statement, self.dialect)
        cursor = self.driver.cursor(row_factory=dict_row)
        try:
            await cursor.execute(sql, bind(params))
        except psycopg.IntegrityError as error:
            # As the session raises it, so a caller handles one exception either way.
            raise IntegrityError(sql, params, error) from error
        return cursor


_COMPILED: dict[int, tuple[sa.Executable, str, Callable[[Mapping[str, Any]], Any]]] = {}


def _compiled(
    statement: sa.Executable, dialect: sa.Dialect
) -> tuple[str, Callable[[Mapping[str, Any]], Any]]:
    """A statement's SQL, and what turns its parameters into the driver's."""
    # The statements are prebuilt module-level constants, so their SQL is compiled once.
    # Keyed by identity, which SQLAlchemy's own cache key would cost more to compute than
    # the lookup saves; the entry keeps its statement alive, so no other takes its id.
    found = _COMPILED.get(id(statement))
    if found is None:
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        # The types that convert a value for the driver (JSON, for one) do so here.
        processors = {
            name: processor
            for name, bind in compiled.binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))
        }

        def bind(params: Mapping[str, Any]) -> Any:
            values = compiled.construct_params(params)
            for name, processor in processors.items():
                if values.get(name) is not None:
                    values[name] = processor(values[name])
            return values

        found = _COMPILED[id(statement)] = (statement, str(compiled), bind)
    return found[1], found[2]


class Database:
    """What the application reaches the database through, made once when it starts.

    The engine of the requests' sessions, the readiness probe's engine (so the probe never
    waits behind requests) and the executor of the hot statements: PostgreSQL runs them on
    an asyncio pool without worker threads (`PooledStatements`), SQLite on the engine in a
    worker thread (`EngineStatements`).
    """

    def __init__(self, settings: Settings) -> None:
        self.engine = engine_for(settings)
        self.probe_engine = engine_for(settings, pool_size=1)
        self.statements: Statements
        if self.engine.dialect.name == "postgresql":
            self.statements = PooledStatements(
                build_async_engine(
                    settings.database_url,
                    pool_size=settings.db_pool_size,
                    pool_timeout=settings.db_pool_timeout,
                    connect_timeout=settings.db_connect_timeout,
                )
            )
        else:
            self.statements = EngineStatements(self.engine)

    async def close(self) -> None:
        """Close every pooled connection (the asyncio pool's belong to this event loop)."""
        if isinstance(self.statements, PooledStatements):
            await self.statements.engine.dispose()
        self.engine.dispose()
        self.probe_engine.dispose()


def database(request: Request) -> Database:
    """The application's `Database`, made at start-up."""
    made: Database = request.app.state.database
    return made


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Yield a session for one request; writes are committed by the service."""
    # Opening a session does no I/O, so it takes no worker thread; closing one that holds a
    # connection may (it rolls back and returns the connection to the pool), so only that
    # runs in one.
    session = Session(database(request).engine)
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]


def get_probe_session(request: Request) -> Iterator[Session]:
    """A session on the readiness probe's own engine."""
    with Session(database(request).probe_engine) as session:
        yield session


ProbeSessionDep = Annotated[Session, Depends(get_probe_session)]


async def get_statements(request: Request) -> Statements:
    """The request's hot statements, on the executor chosen at start-up."""
    return database(request).statements


StatementsDep = Annotated[Statements, Depends(get_statements)]
