"""The audit log as an exported table: one row per changed field, times in China."""

from collections.abc import Iterable, Iterator
from typing import Any

from app.audit.schemas import ACTION_NAMES, MAX_EXPORT, OBJECT_NAMES, AuditRecordPublic
from app.clock import REPORTING_TZ
from app.exports.writers import Column, Table

AUDIT_COLUMNS = [
    Column("记录编号", 10),
    Column("时间（北京时间）", 20),
    Column("操作人", 24),
    Column("角色", 10),
    Column("对象类型", 12),
    Column("对象", 20),
    Column("操作", 8),
    Column("字段", 22),
    Column("原值", 30),
    Column("新值", 30),
    Column("原因", 40),
]


def _cell(value: Any) -> Any:
    # Lists (a park's aliases) in one cell, yes/no in words; numbers, text and nulls as they are.
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return str(value)
    return value


def _rows(records: Iterable[AuditRecordPublic]) -> Iterator[list[Any]]:
    for record in records:
        head = [
            record.id,
            record.at.astimezone(REPORTING_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            record.actor.name,
            record.actor.role,
            OBJECT_NAMES.get(record.object_type, record.object_type),
            record.object_key,
            ACTION_NAMES.get(record.action, record.action),
        ]
        if not record.changes:
            yield [*head, None, None, None, record.reason]
        for name, change in record.changes.items():
            yield [*head, name, _cell(change.from_), _cell(change.to), record.reason]


def audit_table(records: Iterable[AuditRecordPublic]) -> Table:
    """The matching records, newest first, each changed field on a row of its own."""
    return Table(
        title="变更记录",
        columns=AUDIT_COLUMNS,
        rows=_rows(records),
        filename="audit",
        notes=[
            f"按记录编号倒序，最多 {MAX_EXPORT} 条记录；每个变更字段一行。",
            "时间为北京时间；原值为空表示新建。",
        ],
    )
