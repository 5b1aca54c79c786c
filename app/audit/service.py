"""Reading the audit log: newest first, filtered, a page at a time after a cursor record."""

from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.audit.schemas import MAX_EXPORT, AuditActor, AuditQuery, AuditRecordPublic, FieldChange
from app.models import AuditRecord

_RECORD = AuditRecord.__table__  # type: ignore[attr-defined]
_COLUMNS = (
    _RECORD.c.id,
    _RECORD.c.at,
    _RECORD.c.actor_name,
    _RECORD.c.actor_role,
    _RECORD.c.actor_token_id,
    _RECORD.c.object_type,
    _RECORD.c.object_key,
    _RECORD.c.action,
    _RECORD.c.changes,
    _RECORD.c.reason,
)


def _conditions(session: Session, query: AuditQuery) -> list[sa.ColumnElement[bool]]:
    # Equalities and ranges on the leading columns of one index: an object's records come
    # from ix_audit_record_object, an actor's from ix_audit_record_actor_name, a time range
    # from ix_audit_record_at, each ending in (at, id), the order of the answer.
    conditions: list[sa.ColumnElement[bool]] = []
    if query.object_type is not None:
        conditions.append(_RECORD.c.object_type == query.object_type.value)
    if query.object_key is not None:
        conditions.append(_RECORD.c.object_key == query.object_key)
    if query.actor:
        conditions.append(_RECORD.c.actor_name == query.actor)
    if query.action is not None:
        conditions.append(_RECORD.c.action == query.action)
    if query.since is not None:
        conditions.append(_RECORD.c.at >= query.since)
    if query.until is not None:
        conditions.append(_RECORD.c.at < query.until)
    if query.before is not None:
        conditions += _older_than(session, query.before)
    return conditions


def _older_than(session: Session, before: int) -> list[sa.ColumnElement[bool]]:
    # The records after the cursor's record in the order (at, id), newest first. Read in its
    # own statement, so the page's statement bounds `at` by a value the planner sees.
    at = session.execute(sa.select(_RECORD.c.at).where(_RECORD.c.id == before)).scalar()
    if at is None:
        return [_RECORD.c.id < before]
    return [_RECORD.c.at <= at, sa.or_(_RECORD.c.at < at, _RECORD.c.id < before)]


def _select(session: Session, query: AuditQuery) -> sa.Select[Any]:
    return (
        sa.select(*_COLUMNS)
        .where(*_conditions(session, query))
        .order_by(_RECORD.c.at.desc(), _RECORD.c.id.desc())
    )


def to_public(row: Mapping[Any, Any]) -> AuditRecordPublic:
    """A stored record as the API answers it ({field: [old, new]} becomes {from, to})."""
    return AuditRecordPublic(
        id=row["id"],
        at=row["at"],
        actor=AuditActor(
            name=row["actor_name"], role=row["actor_role"], token_id=row["actor_token_id"]
        ),
        object_type=row["object_type"],
        object_key=row["object_key"],
        action=row["action"],
        changes={
            name: FieldChange(from_=old, to=new) for name, (old, new) in row["changes"].items()
        },
        reason=row["reason"],
    )


def list_records(session: Session, *, query: AuditQuery) -> tuple[list[AuditRecordPublic], bool]:
    """A page of matching records, newest first, and whether older ones follow."""
    rows = session.execute(_select(session, query).limit(query.limit + 1)).mappings().all()
    return [to_public(row) for row in rows[: query.limit]], len(rows) > query.limit


def export_records(session: Session, *, query: AuditQuery) -> Iterator[AuditRecordPublic]:
    """The matching records, newest first (up to `MAX_EXPORT`; `limit` ignored), streamed."""
    statement = _select(session, query).limit(MAX_EXPORT).execution_options(yield_per=1000)
    for row in session.execute(statement).mappings():
        yield to_public(row)
