"""A blocker raised by a progress report's 存在问题, in the report's own transaction.

`app.progress.service.store_report`, the one report write (API, web form and spreadsheet
upload alike), calls `raise_from_report` after inserting the entry. The rule:

- a report whose `issues` is empty raises nothing;
- nor does one whose text (trimmed) is the description of a blocker of the project that is
  not resolved, whoever raised it: the same text repeated month after month is one blocker;
- any other text raises a blocker: raised by the reporter when the report arrived, its
  source the report (`source_entry_id`), at the park's level, unassigned, without deadline;
- its type is the codelist name the text starts with (`type_of_text`), else 其他 `other`;
  planners reclassify it.

The statements are Core, built once with bound parameters, and run on a `Transaction`; the
blocker, its first event and its audit record land with the report or not at all.
"""

from typing import Any

import sqlalchemy as sa

from app.audit import log as audit
from app.db import Transaction
from app.models import (
    BLOCKER_TYPE_NAMES,
    Blocker,
    BlockerEvent,
    BlockerLevel,
    BlockerState,
    BlockerType,
)

OBJECT_TYPE = "blocker"  # the audit log's name for a blocker

# The words a report's text may start with to name its type: the codelist's names, and the
# short forms officers write for them. Longest first, so 征地拆迁 is read before 征地.
_LEADING_WORDS: dict[str, BlockerType] = {
    **{name: kind for kind, name in BLOCKER_TYPE_NAMES.items() if kind is not BlockerType.other},
    "征地": BlockerType.demolition,
    "拆迁": BlockerType.demolition,
    "环评": BlockerType.assessments,
    "能评": BlockerType.assessments,
    "审批": BlockerType.approvals,
    "水电气暖": BlockerType.utilities,
}
_BY_LENGTH = sorted(_LEADING_WORDS.items(), key=lambda item: -len(item[0]))


def type_of_text(text: str) -> BlockerType:
    """The type a blocker's text names by its first words (用地…, 征地拆迁…), else `other`."""
    start = text.lstrip()
    return next((kind for word, kind in _BY_LENGTH if start.startswith(word)), BlockerType.other)


_BLOCKER = Blocker.__table__  # type: ignore[attr-defined]
_EVENT = BlockerEvent.__table__  # type: ignore[attr-defined]

_ALREADY_RAISED = (
    sa.select(_BLOCKER.c.id)
    .where(
        _BLOCKER.c.project_id == sa.bindparam("project_id"),
        _BLOCKER.c.state != BlockerState.resolved.value,
        _BLOCKER.c.description == sa.bindparam("description"),
    )
    .limit(1)
)
_BLOCKER_COLUMNS = (
    "project_id",
    "type",
    "description",
    "raised_by",
    "raised_by_token_id",
    "raised_at",
    "source_entry_id",
    "responsible_unit",
    "level",
    "deadline",
    "state",
    "resolution",
    "resolved_at",
    "version",
    "updated_at",
)
# Columns named: `PooledStatements` compiles a statement once, before any values.
INSERT_BLOCKER = (
    sa.insert(_BLOCKER)
    .values({name: sa.bindparam(name) for name in _BLOCKER_COLUMNS})
    .returning(_BLOCKER.c.id)
)
_EVENT_COLUMNS = (
    "blocker_id",
    "from_state",
    "to_state",
    "changes",
    "note",
    "actor_name",
    "actor_token_id",
    "at",
)
INSERT_EVENT = sa.insert(_EVENT).values({name: sa.bindparam(name) for name in _EVENT_COLUMNS})


def raised_fields(values: dict[str, Any]) -> dict[str, Any]:
    """What the first event and the audit record say a new blocker was raised with."""
    shown = ("type", "description", "responsible_unit", "level", "deadline", "source_entry_id")
    return audit.created({name: values[name] for name in shown})


async def raise_from_report(
    transaction: Transaction,
    *,
    project_id: int,
    entry: Any,
    issues: str,
    reporter: audit.Actor,
) -> int | None:
    """Raise a blocker from a stored report's 存在问题 (the rule above), `entry` the report's
    stored row; the blocker's id, or None."""
    text = issues.strip()
    if not text:
        return None
    found = await transaction.first(
        _ALREADY_RAISED, {"project_id": project_id, "description": text}
    )
    if found is not None:
        return None
    now = entry["received_at"]
    values: dict[str, Any] = {
        "project_id": project_id,
        "type": type_of_text(text).value,
        "description": text,
        "raised_by": reporter.name,
        "raised_by_token_id": reporter.token_id,
        "raised_at": now,
        "source_entry_id": entry["id"],
        "responsible_unit": "",
        "level": BlockerLevel.park.value,
        "deadline": None,
        "state": BlockerState.open.value,
        "resolution": "",
        "resolved_at": None,
        "version": 1,
        "updated_at": now,
    }
    row = await transaction.first(INSERT_BLOCKER, values)
    assert row is not None
    blocker_id = int(row["id"])
    note = f"由 {entry['period']} 进展报告的存在问题提出。"
    changes = raised_fields(values)
    await transaction.execute(
        INSERT_EVENT,
        {
            "blocker_id": blocker_id,
            "from_state": None,
            "to_state": BlockerState.open.value,
            "changes": changes,
            "note": note,
            "actor_name": reporter.name,
            "actor_token_id": reporter.token_id,
            "at": now,
        },
    )
    await audit.insert(
        transaction,
        actor=reporter,
        object_type=OBJECT_TYPE,
        object_key=str(blocker_id),
        action="create",
        changes=changes,
        reason=note,
    )
    return blocker_id
