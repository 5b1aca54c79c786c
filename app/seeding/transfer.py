"""Whole-database export and import as JSON Lines, portable between SQLite and PostgreSQL.

The file holds a header line (format, version, schema revision), then one line per row,
table by table in foreign-key order, then a trailer with the row count of every table, so
that a truncated file is refused instead of half-imported. Rows are streamed both ways.
API tokens travel as their SHA-256 digests only: the service never stores a secret.
"""

import gzip
import json
import zlib
from collections.abc import Callable, Iterable, Iterator
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


# Told, every BATCH rows and at each table's end: the table, the rows just done, and the rows of
# the whole file where known (an export counts them first; an import reads them from the
# header of an export that did).
Progress = Callable[[str, int, int | None], None]


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
    engine: Engine, out: IO[str], *, progress: Progress | None = None
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
        total = sum(
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in tables()
        )
        out.write(
            _line(
                {
                    "format": FORMAT,
                    "version": VERSION,
                    "schema_revision": revision,
                    "source_dialect": engine.dialect.name,
                    "exported_at": datetime.now(UTC).isoformat(),
                    "tables": [t.name for t in tables()],
                    "rows": total,
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
                    progress(table.name, BATCH, total)
            if progress and counts[table.name] % BATCH:
                progress(table.name, counts[table.name] % BATCH, total)
        out.write(_line({"end": True, "counts": counts}))
    return TransferResult(counts)


def stored_columns(table: sa.Table) -> list[sa.Column[Any]]:
    """The columns an export carries: computed ones the database derives again on import."""
    return [c for c in table.columns if c.computed is None]


def import_database(
    engine: Engine, source: IO[str], *, progress: Progress | None = None
) -> TransferResult:
    """Load an export into an empty, migrated database, all of it in one transaction or none."""
    records = _records(source)
    header = _header(records)
    total = header.get("rows") if isinstance(header.get("rows"), int) else None
    by_name = {t.name: t for t in tables()}
    decoders = {t.name: {c.name: _decoder(c) for c in stored_columns(t)} for t in by_name.values()}
    counts = dict.fromkeys(by_name, 0)
    trailer: dict[str, Any] | None = None
    with engine.begin() as conn:
        _check_target(conn, header)
        table: sa.Table | None = None
        batch: list[dict[str, Any]] = []
        number = 1

        def flush() -> None:
            if table is None or not batch:
                return
            try:
                conn.execute(table.insert(), batch)
            except sa.exc.DBAPIError as exc:
                raise TransferError(
                    f"line {number}: the rows of {table.name} up to this line cannot be "
                    f"stored: {str(exc.orig).strip().splitlines()[0]}"
                ) from exc
            if progress:
                progress(table.name, len(batch), total)
            batch.clear()

        for number, record in records:
            if record.get("end"):
                trailer = record
                break
            name = record.get("table")
            if name not in by_name:
                raise TransferError(f"line {number}: unknown table {name!r}")
            if table is None or table.name != name:
                flush()
                table = by_name[name]
            batch.append(_decoded(record.get("row"), decoders[name], number=number, table=name))
            counts[name] += 1
            if len(batch) >= BATCH:
                flush()
        flush()
        if trailer is None:
            raise TransferError("The file ends before its last line: it is truncated.")
        expected = _trailer_counts(trailer, number=number)
        if expected != {name: n for name, n in counts.items() if name in expected}:
            raise TransferError(f"Row counts differ from the file's own: {expected} != {counts}")
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn)
    return TransferResult(counts)


def _records(source: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each line as a JSON object with its number; a file that cannot be read says where."""
    number = 0
    lines = iter(source)
    while True:
        number += 1
        try:
            raw = next(lines)
        except StopIteration:
            return
        except (EOFError, OSError, zlib.error) as exc:
            # gzip's own words for a cut or damaged file ("Compressed file ended before...").
            raise TransferError(
                f"line {number}: the file cannot be read further, it is cut short or "
                f"damaged ({exc})."
            ) from exc
        except UnicodeDecodeError as exc:
            raise TransferError(
                f"line {number}: the file is not UTF-8 text (byte {exc.start} of the line)."
            ) from exc
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            cut = "" if raw.endswith("\n") else " (the line is cut off: the file is truncated)"
            raise TransferError(
                f"line {number}: not a JSON line{cut}: {exc.msg} at column {exc.colno}."
            ) from exc
        if not isinstance(record, dict):
            raise TransferError(f"line {number}: expected a JSON object, found {raw[:40]!r}.")
        yield number, record


def _header(records: Iterator[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    try:
        _, header = next(records)
    except StopIteration as exc:
        raise TransferError("This is not a portfolio export (no header line).") from exc
    if header.get("format") != FORMAT:
        raise TransferError("This is not a portfolio export (no header line).")
    if header.get("version") != VERSION:
        raise TransferError(
            f"Export format version {header.get('version')} is not supported "
            f"(this service reads version {VERSION})."
        )
    if not isinstance(header.get("schema_revision"), str):
        raise TransferError("line 1: the header names no schema revision.")
    return header


def _decoded(
    row: Any, decoders: dict[str, Callable[[Any], Any]], *, number: int, table: str
) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise TransferError(f"line {number}: a {table} line without its row.")
    try:
        return {key: decoders[key](value) for key, value in row.items()}
    except KeyError as exc:
        raise TransferError(f"line {number}: table {table} has no column {exc.args[0]!r}.") from exc
    except (TypeError, ValueError) as exc:
        raise TransferError(f"line {number}: a value of {table} cannot be read: {exc}.") from exc


def _trailer_counts(trailer: dict[str, Any], *, number: int) -> dict[str, int]:
    counts = trailer.get("counts")
    if not isinstance(counts, dict) or not all(isinstance(n, int) for n in counts.values()):
        raise TransferError(f"line {number}: the last line's row counts cannot be read.")
    return counts


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
