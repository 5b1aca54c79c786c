"""The audit log as `GET /audit` reads it: the query and the records."""

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from app.audit.log import AuditObject
from app.clock import REPORTING_TZ
from app.exports.writers import ExportFormat
from app.fields import Text

MAX_PAGE = 500
# The most records one export holds, newest first; filters narrow it.
MAX_EXPORT = 100_000

OBJECT_NAMES: dict[str, str] = {
    AuditObject.project: "项目",
    AuditObject.park: "园区",
    AuditObject.plan: "年度计划",
    AuditObject.milestone: "里程碑",
    AuditObject.blocker: "问题",
    AuditObject.edition: "项目库版本",
    AuditObject.token: "令牌",
    AuditObject.user: "用户",
}
# The actions the services record; another domain's own actions show as they are written.
ACTION_NAMES = {
    "create": "新建",
    "update": "修改",
    "adjust": "调整",
    "archive": "归档",
    "restore": "恢复",
    "revoke": "吊销",
    "delete": "删除",
    # A blocker's steps (app/blockers).
    "start": "开始办理",
    "resolve": "办结",
    "reopen": "重新打开",
    "note": "备注",
}

AUDIT_RULES = (
    "Every change to master data (projects, parks, annual plans, milestones, blockers, "
    "editions, tokens; users once they exist), written in the transaction of the change: "
    "who (the token's name and role, or `portfolio (command line)` with role `cli`), when, "
    "which fields from what to what, and why. Newest first: by `at`, then by `id` (the "
    "order the records were written). Filters combine with AND: `object_type`, "
    "`object_key` (exact: a project code, a park id, `CODE/YEAR` for a plan, `CODE/kind` "
    "for a milestone, a token id), `actor` (the exact name), `action`, and the time range "
    "`since` (from, inclusive) and `until` (before, exclusive). Each is a date or a date "
    "and time; a date or time without an offset is China time (Asia/Shanghai), like `as_of` "
    "elsewhere, and `until` as a date includes that whole day. Paging by cursor: `next` is "
    "the link to the following page (null on the last), carrying `before`, the id of the "
    "last record shown: the page holds the records after it. There is no total, which "
    "would count millions of records. `format=csv|xlsx` (or `Accept`) downloads up to "
    f"{MAX_EXPORT:,} matching records, newest first, one row per changed field. Admins only."
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_MOMENT_SCHEMA = {
    "type": "string",
    "anyOf": [{"format": "date"}, {"format": "date-time"}],
    "examples": ["2026-12-01", "2026-12-01T09:30:00+08:00"],
}


def _moment(value: object, *, day_end: bool) -> datetime:
    """A date's start (`day_end`: its end) or a date and time, China's unless it says, in UTC."""
    try:
        if isinstance(value, str) and _DATE.match(value):
            value = date.fromisoformat(value)
        elif isinstance(value, str) and _DATE_TIME.match(value):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime.combine(value + timedelta(days=1) if day_end else value, time())
        else:
            raise ValueError(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=REPORTING_TZ)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise PydanticCustomError(
            "moment_format",
            "a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM[:SS][+08:00]; send '+' "
            "as %2B in a URL)",
        ) from None


Since = Annotated[
    datetime,
    BeforeValidator(lambda value: _moment(value, day_end=False)),
    WithJsonSchema(_MOMENT_SCHEMA),
]
Until = Annotated[
    datetime,
    BeforeValidator(lambda value: _moment(value, day_end=True)),
    WithJsonSchema(_MOMENT_SCHEMA),
]


class AuditQuery(BaseModel):
    """Which records of the audit log, a page at a time."""

    model_config = ConfigDict(extra="forbid")

    object_type: AuditObject | None = Field(default=None, description="What changed.")
    object_key: Text | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Which one, exactly: `INF-005`, `gaoxin`, `INF-005/2026`, `INF-005/start`, "
        "a token id.",
        examples=["INF-005/2026"],
    )
    actor: Text | None = Field(
        default=None,
        max_length=100,
        description="Who, by the exact name of the token (or `portfolio (command line)`); "
        "empty: anyone.",
        examples=["planner-li"],
    )
    action: str | None = Field(
        default=None,
        pattern=r"^[a-z_]{1,20}$",
        description="`create`, `update`, `adjust`, `archive`, `restore`, `revoke`, …",
    )
    since: Since | None = Field(
        default=None, description="From this date or moment on (China time unless an offset)."
    )
    until: Until | None = Field(
        default=None,
        description="Before this moment; a date includes its whole day (China time).",
    )
    before: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,  # the id column is a 32-bit integer on PostgreSQL
        description="Cursor: the records after this one, newest first (the `next` link sets it).",
    )
    limit: int = Field(default=50, ge=1, le=MAX_PAGE, description=f"Page size, 1–{MAX_PAGE}.")
    format: ExportFormat | None = Field(
        default=None,
        description="`csv` or `xlsx` downloads the matching records instead of JSON.",
    )


class AuditActor(BaseModel):
    """Who made a change."""

    name: str = Field(description="The token's name, or `portfolio (command line)`.")
    role: str = Field(description="`admin`, `planner`, `officer`, or `cli`.")
    token_id: int | None = Field(description="The token that acted (null: the command line).")


class FieldChange(BaseModel):
    """One field's value before and after (null: none, as for a field of a new object)."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    from_: Any = Field(alias="from")
    to: Any


RECORD_EXAMPLE: dict[str, Any] = {
    "id": 1042,
    "at": "2026-07-16T02:14:05.120000Z",
    "actor": {"name": "planner-li", "role": "planner", "token_id": 7},
    "object_type": "plan",
    "object_key": "INF-005/2026",
    "action": "adjust",
    "changes": {"planned_investment_wan": {"from": 12000, "to": 9000}},
    "reason": "设备采购延后至明年（大园区发〔2026〕12号，2026-07-15）",
}


class AuditRecordPublic(BaseModel):
    """One change to master data."""

    model_config = ConfigDict(json_schema_extra={"examples": [RECORD_EXAMPLE]})

    id: int = Field(description="Increasing in the order records were written.")
    at: datetime = Field(description="When (UTC).")
    actor: AuditActor
    object_type: str = Field(description="What changed: " + ", ".join(AuditObject) + ".")
    object_key: str
    action: str
    changes: dict[str, FieldChange] = Field(
        description="Each changed field: {from, to}; dates as YYYY-MM-DD, times in UTC. A new "
        "object's fields come from null; secrets and digests are never recorded."
    )
    reason: str = Field(description="Why, as given with the change (may be empty).")


class AuditPage(BaseModel):
    """One page of the audit log, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [RECORD_EXAMPLE],
                    "limit": 1,
                    "next": "/api/v1/audit?object_type=plan&limit=1&before=1042",
                }
            ]
        }
    )

    items: list[AuditRecordPublic]
    limit: int
    next: str | None = Field(description="The following page (older records); null: none.")
