"""Whole-database export and import as JSON Lines, portable between SQLite and PostgreSQL.

The file holds a header line (format, version, schema revision), then one line per row,
table by table in foreign-key order, then a trailer with the row count of every table, so
that a truncated file is refused instead of half-imported. Rows are streamed both ways.
API tokens travel as their SHA-256 digests only: the service never stores a secret.
"""

import gzip
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, cast

import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table on SQLModel.metadata)

FORMAT = "portfolio-export"
VERSION = 1
BATCH = 1000


class TransferError(Exception):
    """An export or import that cannot be done; the message says why."""


@dataclass(frozen=True)
class TransferResult:
    """What was written or read: rows per table."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def tables() -> list[sa.Table]:
    """Every table of the schema, parents before children."""
    return list(SQLModel.metadata.sorted_tables)


@contextmanager
def open_file(path: Path, mode: str) -> Iterator[IO[str]]:
    """Open an export file for text, compressed when its name ends in .gz."""
    if path.suffix == ".gz":
        with gzip.open(path, mode + "t", encoding="utf-8", newline="\n") as handle:
            yield cast(IO[str], handle)
    else:
        with path.open(mode, encoding="utf-8", newline="\n") as handle:
            yield handle


def schema_revision(conn: Connection) -> str | None:
    """The Alembic revision the database is at, or None when it was never migrated."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _decoder(column: sa.Column[Any]) -> Callable[[Any], Any]:
    kind = column.type.impl if isinstance(column.type, sa.TypeDecorator) else column.type
    if isinstance(kind, sa.DateTime):
        return lambda value: None if value is None else datetime.fromisoformat(value)
    if isinstance(kind, sa.Date):
        return lambda value: None if value is None else date.fromisoformat(value)
    return lambda value: value


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def export_database(
    engine: Engine, out: IO[str], *, progress: Callable[[str, int], None] | None = None
) -> TransferResult:
    """Write every row of every table to `out`, from one consistent snapshot."""
    counts: dict[str, int] = {}
    options: dict[str, Any] = {"yield_per": BATCH}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    with engine.connect().execution_options(**options) as conn, conn.begin():
        revision = schema_revision(conn)
        if revision is None:
            raise TransferError("The database has no schema; run `portfolio db upgrade` first.")
        out.write(
            _line(
                {
                    "format": FORMAT,
                    "version": VERSION,
                    "schema_revision": revision,
                    "source_dialect": engine.dialect.name,
                    "exported_at": datetime.now(UTC).isoformat(),
                    "tables": [t.name for t in tables()],
                }
            )
        )
        for table in tables():
            counts[table.name] = 0
            query = sa.select(*stored_columns(table)).order_by(*table.primary_key.columns)
            for row in conn.execute(query):
                values = {key: _encode(value) for key, value in row._mapping.items()}
                out.write(_line({"table": table.name, "row": values}))
                counts[table.name] += 1
                if progress and counts[table.name] % BATCH == 0:
                    progress(table.name, BATCH)
        out.write(_line({"end": True, "counts": counts}))
    return TransferResult(counts)


def stored_columns(table: sa.Table) -> list[sa.Column[Any]]:
    """The columns an export carries: computed ones the database derives again on import."""
    return [c for c in table.columns if c.computed is None]


def import_database(
    engine: Engine, source: IO[str], *, progress: Callable[[str, int], None] | None = None
) -> TransferResult:
    """Load an export into an empty, migrated database, all of it in one transaction or none."""
    header = _read_header(source)
    by_name = {t.name: t for t in tables()}
    decoders = {t.name: {c.name: _decoder(c) for c in stored_columns(t)} for t in by_name.values()}
    counts = dict.fromkeys(by_name, 0)
    trailer: dict[str, Any] | None = None
    with engine.begin() as conn:
        _check_target(conn, header)
        table: sa.Table | None = None
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            if table is not None and batch:
                conn.execute(table.insert(), batch)
                if progress:
                    progress(table.name, len(batch))
                batch.clear()

        for number, raw in enumerate(source, start=2):
            record = json.loads(raw)
            if record.get("end"):
                trailer = record
                break
            name = record.get("table")
            if name not in by_name:
                raise TransferError(f"line {number}: unknown table {name!r}")
            if table is None or table.name != name:
                flush()
                table = by_name[name]
            row = record["row"]
            batch.append({key: decoders[name][key](value) for key, value in row.items()})
            counts[name] += 1
            if len(batch) >= BATCH:
                flush()
        flush()
        if trailer is None:
            raise TransferError("The file ends before its last line: it is truncated.")
        expected = {name: int(n) for name, n in trailer["counts"].items()}
        if expected != {name: n for name, n in counts.items() if name in expected}:
            raise TransferError(f"Row counts differ from the file's own: {expected} != {counts}")
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn)
    return TransferResult(counts)


def _read_header(source: IO[str]) -> dict[str, Any]:
    first = source.readline()
    try:
        header = json.loads(first)
    except json.JSONDecodeError as exc:
        raise TransferError("This is not a portfolio export (no header line).") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise TransferError("This is not a portfolio export (no header line).")
    if header.get("version") != VERSION:
        raise TransferError(
            f"Export format version {header.get('version')} is not supported "
            f"(this service reads version {VERSION})."
        )
    return header


def _check_target(conn: Connection, header: dict[str, Any]) -> None:
    revision = schema_revision(conn)
    if revision is None:
        raise TransferError("The database has no schema; run `portfolio db upgrade` first.")
    if revision != header["schema_revision"]:
        raise TransferError(
            f"The file was exported at schema revision {header['schema_revision']}, the "
            f"database is at {revision}; migrate both to the same revision first."
        )
    filled = [
        t.name for t in tables() if conn.execute(sa.select(1).select_from(t).limit(1)).first()
    ]
    if filled:
        raise TransferError(
            "Import needs an empty database, and these tables already hold rows: "
            + ", ".join(filled)
            + ". Create a new database and run `portfolio db upgrade` on it."
        )


def _reset_sequences(conn: Connection) -> None:
    # Rows came with their ids; the sequences must continue after the largest, or the next
    # row inserted would collide with an imported one.
    for table in tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or keys[0].type.python_type is not int:
            continue
        conn.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence(:table, :column), "
                f'COALESCE((SELECT MAX("{keys[0].name}") FROM "{table.name}"), 0) + 1, false)'
            ),
            {"table": table.name, "column": keys[0].name},
        )
