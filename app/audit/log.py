"""Recording a change to master data in the transaction of the change.

Every service that changes projects, parks, plans, milestones, blockers, editions, tokens or
users calls `record` (with a session) or awaits `insert` (`INSERT` with `values`, on a
`Transaction`) before it commits, so a change and its record land together or not at all.
The log is read by `app.audit.service` (`GET /api/v1/audit`, the page `/web/audit`).
"""

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum, StrEnum
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session

from app.db import Transaction
from app.models import AuditRecord, utcnow


class AuditObject(StrEnum):
    """What the log records changes of (`AuditRecord.object_type`)."""

    project = "project"
    park = "park"
    plan = "plan"
    milestone = "milestone"
    blocker = "blocker"
    edition = "edition"
    token = "token"
    # Password users arrive with `portfolio user create`; their changes are recorded as these.
    user = "user"


class Actor(Protocol):
    """Who changes something: a principal (`app.auth.policy.Principal`) or `CLI`."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def token_id(self) -> int | None: ...


class _Command:
    """The `portfolio` command, run by whoever may run it on the server."""

    name = "portfolio (command line)"
    role = "cli"
    token_id = None


CLI: Actor = _Command()


def plain(value: Any) -> Any:
    """A value as the log's JSON keeps it: dates as ISO text, enums as their values."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for every field of `after` whose value differs from `before`'s (a
    field missing from `before` was None)."""
    changes = {}
    for name, new in after.items():
        old = before.get(name)
        if plain(old) != plain(new):
            changes[name] = [plain(old), plain(new)]
    return changes


def created(values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [None, value]} for a new object's fields that hold something."""
    return {name: [None, plain(v)] for name, v in values.items() if v not in (None, "", [])}


def values(
    *,
    actor: Actor,
    object_type: str,
    object_key: str,
    action: str,
    changes: Mapping[str, Any],
    reason: str = "",
) -> dict[str, Any]:
    """The columns of one audit record."""
    return {
        "at": utcnow(),
        "actor_name": actor.name,
        "actor_role": str(plain(actor.role)),
        "actor_token_id": actor.token_id,
        "object_type": object_type,
        "object_key": object_key[:64],
        "action": action,
        "changes": dict(changes),
        "reason": reason,
    }


def record(
    session: Session,
    *,
    actor: Actor,
    object_type: str,
    object_key: str,
    action: str,
    changes: Mapping[str, Any],
    reason: str = "",
) -> None:
    """Add the record of a change to the session's transaction (the caller commits)."""
    session.add(
        AuditRecord(
            **values(
                actor=actor,
                object_type=object_type,
                object_key=object_key,
                action=action,
                changes=changes,
                reason=reason,
            )
        )
    )


_COLUMNS = (
    "at",
    "actor_name",
    "actor_role",
    "actor_token_id",
    "object_type",
    "object_key",
    "action",
    "changes",
    "reason",
)
# With `Statements`: `await transaction.execute(INSERT, values(...))`, or `insert` below. Its
# columns are named, since `PooledStatements` compiles a statement once, before any values.
INSERT = sa.insert(AuditRecord.__table__).values(  # type: ignore[attr-defined]
    {name: sa.bindparam(name) for name in _COLUMNS}
)


async def insert(
    transaction: Transaction,
    *,
    actor: Actor,
    object_type: str,
    object_key: str,
    action: str,
    changes: Mapping[str, Any],
    reason: str = "",
) -> None:
    """Write the record of a change in the transaction of the change (Core statements)."""
    await transaction.execute(
        INSERT,
        values(
            actor=actor,
            object_type=object_type,
            object_key=object_key,
            action=action,
            changes=changes,
            reason=reason,
        ),
    )
