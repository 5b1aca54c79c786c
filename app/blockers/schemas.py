"""Blockers (问题清单): what a raise and a step send, the list's filters, what the API answers."""

import enum
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.exports.writers import ExportFormat
from app.fields import NonBlankText, Text, not_nullable
from app.models import BlockerLevel, BlockerState, BlockerType
from app.progress.schemas import MAX_TEXT, InputDate
from app.projects.schemas import CategoryId, ParkSlug, ProjectCodeFilter, split_lists

MAX_UNIT = 100
MAX_PAGE = 500

OVERDUE_RULE = (
    "A blocker is overdue (超期) when it is not resolved and its deadline (解决时限) is before "
    "today in China; one without a deadline never is."
)
RESOLUTION_RATE_RULE = (
    "办结率 (`resolution_rate_pct`) = blockers resolved ÷ blockers raised × 100, one decimal, "
    "over the blockers counted (those of the filter or group); null when none was raised. A "
    "reopened blocker counts as raised, not resolved, until it is resolved again."
)
LIFE_RULES = (
    "A blocker's life: `open` → `in_progress` → `resolved`; `open` or `reopened` may be "
    "resolved directly; a resolved blocker is `reopened`, then goes on as an open one does. "
    "Any other move is refused (409), and so is any change but a note or reopening to a "
    "resolved blocker. Every PATCH is one step: it needs `note` (why, what was done), is "
    "recorded with who took it as one event of the blocker's history (state before and "
    "after, every field changed from what to what) and in the audit log, all in one "
    "transaction. Resolving needs `resolution` (办理结果), sent with the step (422 without); "
    "reopening clears it, the history keeps it. `level` only moves up, 园区 `park` → 区 "
    "`district` → 市 `city` (escalation; 409 downwards). Who may do what: planners and admins "
    "take every step: assign (`responsible_unit`), escalate (`level`), reclassify (`type`), "
    "set or clear the deadline, resolve and reopen. Park officers, on their own park's "
    "blockers only, add notes and move an open or reopened blocker to `in_progress`; any "
    "other change from an officer is refused (403). If-Match (the ETag of the last GET) is "
    "required: 428 without it, 412 when the blocker changed since."
)


class BlockerCreate(BaseModel):
    """A blocker as it is raised on a project."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "type": "land",
                    "description": "项目用地尚未完成征收，影响开工。",
                    "responsible_unit": "金普新区自然资源局",
                    "level": "district",
                    "deadline": "2026-12-31",
                }
            ]
        },
    )

    type: BlockerType = Field(
        description="The codelist: land 用地, demolition 征地拆迁, planning 规划, assessments "
        "环评能评, funding 资金, approvals 审批手续, utilities 水电气暖配套, construction 施工, "
        "market 市场, other 其他."
    )
    description: NonBlankText = Field(
        min_length=1, max_length=MAX_TEXT, description="What holds the project back (问题描述)."
    )
    responsible_unit: Text = Field(
        default="", max_length=MAX_UNIT, description="责任单位: who is to solve it; may be empty."
    )
    level: BlockerLevel = Field(
        default=BlockerLevel.park,
        description="Where it is handled: 园区 park, 区 district, 市 city.",
    )
    deadline: InputDate | None = Field(default=None, description="解决时限: solved by this day.")


CHANGE_EXAMPLES: list[dict[str, Any]] = [
    {"state": "in_progress", "note": "已与区自然资源局对接，正在办理用地手续。"},
    {
        "note": "提级至市级协调。",
        "level": "city",
        "responsible_unit": "大连市自然资源局",
        "deadline": "2027-03-31",
    },
    {
        "state": "resolved",
        "note": "用地批复已取得。",
        "resolution": "2026年11月取得用地批复，项目已开工。",
    },
]


def _change_schema(schema: dict[str, Any]) -> None:
    # Every field may be left out and none but the deadline may be null (null clears it).
    deadline = dict(schema["properties"]["deadline"])
    not_nullable(CHANGE_EXAMPLES)(schema)
    schema["properties"]["deadline"] = deadline


class BlockerChange(BaseModel):
    """One step of a blocker's life: a note, and what it changes; fields left out stay."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra=_change_schema,
    )

    note: NonBlankText = Field(
        min_length=1, max_length=MAX_TEXT, description="Why, or what was done: every step has one."
    )
    state: BlockerState | None = Field(default=None, description="The state it moves to.")
    type: BlockerType | None = Field(default=None, description="Reclassify (planners).")
    responsible_unit: Text | None = Field(
        default=None, max_length=MAX_UNIT, description="Assign to a unit (planners); empty: none."
    )
    level: BlockerLevel | None = Field(default=None, description="Escalate (planners): only up.")
    deadline: InputDate | None = Field(
        default=None, description="Set the deadline (planners); null clears it."
    )
    resolution: NonBlankText | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_TEXT,
        description="办理结果: how it was solved; only, and always, with `state` `resolved`.",
    )

    @field_validator("state", "type", "responsible_unit", "level", "resolution")
    @classmethod
    def _no_nulls(cls, value: object) -> object:
        # Runs only for fields sent: leaving a field out keeps it; only a deadline clears.
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep it")
        return value


UnitName = Annotated[Text, StringConstraints(min_length=1, max_length=MAX_UNIT)]


class BlockerFilters(BaseModel):
    """Which blockers a list or a summary counts."""

    model_config = ConfigDict(extra="forbid")

    park: list[ParkSlug] = Field(
        default_factory=list, description="The projects' park ids (comma-separated or repeated)."
    )
    category: list[CategoryId] = Field(
        default_factory=list, description="The projects' categories."
    )
    project: list[ProjectCodeFilter] = Field(default_factory=list, description="Project codes.")
    type: list[BlockerType] = Field(default_factory=list, description="Blocker types.")
    state: list[BlockerState] = Field(default_factory=list, description="States.")
    level: list[BlockerLevel] = Field(default_factory=list, description="Levels.")
    unit: list[UnitName] = Field(
        default_factory=list, description="Responsible units (责任单位), as written, exactly."
    )
    overdue: bool | None = Field(
        default=None, description=f"true: only overdue blockers; false: none. {OVERDUE_RULE}"
    )
    q: Text | None = Field(
        default=None, min_length=1, max_length=100, description="Text in the description."
    )
    format: ExportFormat | None = Field(
        default=None,
        description="`csv` or `xlsx` downloads the result instead of JSON (so does `Accept`).",
    )

    _split_lists = field_validator(
        "park", "category", "project", "type", "state", "level", mode="before"
    )(split_lists)

    LISTS: ClassVar[tuple[str, ...]] = (
        "park",
        "category",
        "project",
        "type",
        "state",
        "level",
        "unit",
    )


class BlockerListQuery(BlockerFilters):
    """The list's query: filters and paging, newest first."""

    limit: int = Field(default=50, ge=1, le=MAX_PAGE, description=f"Page size, 1–{MAX_PAGE}.")
    offset: int = Field(default=0, ge=0, le=10**9, description="Items to skip.")


class SummaryBy(enum.StrEnum):
    """What a summary of blockers is grouped by."""

    type = "type"
    unit = "unit"
    level = "level"
    state = "state"
    park = "park"
    category = "category"


class BlockerSummaryQuery(BlockerFilters):
    """A summary's query: the grouping and the filters."""

    by: SummaryBy = Field(
        default=SummaryBy.type,
        description="`type` (问题类型), `unit` (责任单位), `level`, `state`, `park` or "
        "`category` (the project's).",
    )


EVENT_EXAMPLE: dict[str, Any] = {
    "id": 12,
    "from_state": "open",
    "to_state": "in_progress",
    "changes": {"responsible_unit": ["", "金普新区自然资源局"]},
    "note": "已与区自然资源局对接，正在办理用地手续。",
    "actor_name": "planner-li",
    "at": "2026-11-10T02:00:00Z",
}
BLOCKER_EXAMPLE: dict[str, Any] = {
    "id": 8,
    "project_code": "INF-005",
    "project_name": "大连先进光源二期项目",
    "park_id": "gaoxin",
    "park_name": "大连高新技术产业园区",
    "type": "land",
    "type_name": "用地",
    "description": "项目用地尚未完成征收，影响开工。",
    "raised_by": "officer-gaoxin",
    "raised_at": "2026-11-02T01:20:00Z",
    "source_entry_id": None,
    "responsible_unit": "金普新区自然资源局",
    "level": "district",
    "level_name": "区",
    "deadline": "2026-12-31",
    "state": "in_progress",
    "state_name": "办理中",
    "overdue": False,
    "resolution": "",
    "resolved_at": None,
    "version": 2,
    "updated_at": "2026-11-10T02:00:00Z",
    "links": {"self": "/api/v1/blockers/8", "project": "/api/v1/projects/INF-005"},
}


class BlockerPublic(BaseModel):
    """A blocker of the 问题清单, as it stands."""

    model_config = ConfigDict(json_schema_extra={"examples": [BLOCKER_EXAMPLE]})

    id: int
    project_code: str
    project_name: str
    park_id: str
    park_name: str
    type: BlockerType
    type_name: str = Field(description="问题类型 in Chinese.")
    description: str
    raised_by: str = Field(description="Who raised it: a token's name, or the plan for seeds.")
    raised_at: datetime
    source_entry_id: int | None = Field(
        description="The progress report whose 存在问题 raised it, if one did."
    )
    responsible_unit: str = Field(description="责任单位; empty while unassigned.")
    level: BlockerLevel
    level_name: str
    deadline: date | None = Field(description="解决时限.")
    state: BlockerState
    state_name: str
    overdue: bool = Field(description=OVERDUE_RULE)
    resolution: str = Field(description="办理结果, once resolved.")
    resolved_at: datetime | None
    version: int = Field(description="Bumped by every step; the ETag names it.")
    updated_at: datetime
    links: dict[str, str]


class BlockerEventPublic(BaseModel):
    """One step of a blocker's life."""

    model_config = ConfigDict(json_schema_extra={"examples": [EVENT_EXAMPLE]})

    id: int
    from_state: BlockerState | None = Field(description="Null for the step that raised it.")
    to_state: BlockerState
    changes: dict[str, list[Any]] = Field(
        description="{field: [old, new]} for every other field the step changed."
    )
    note: str
    actor_name: str
    at: datetime


class BlockerDetail(BlockerPublic):
    """A blocker with its whole history, oldest step first."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**BLOCKER_EXAMPLE, "events": [EVENT_EXAMPLE]}]}
    )

    events: list[BlockerEventPublic]


class BlockerList(BaseModel):
    """One page of blockers, newest first, and the number of all that match."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [BLOCKER_EXAMPLE], "total": 1, "limit": 50, "offset": 0}]
        }
    )

    items: list[BlockerPublic]
    total: int = Field(description="Blockers matching the filters, over all pages.")
    limit: int
    offset: int


class BlockerCounts(BaseModel):
    """Blockers raised, open, overdue and resolved, and the 办结率."""

    raised: int = Field(description="All blockers counted (提出).")
    open: int = Field(description="Not resolved: open, in progress or reopened (未办结).")
    overdue: int = Field(description="Open and past the deadline (超期).")
    resolved: int = Field(description="Resolved (已办结).")
    resolution_rate_pct: float | None = Field(description=RESOLUTION_RATE_RULE)


class BlockerSummaryRow(BlockerCounts):
    """One group of a summary."""

    key: str = Field(description="The group's value: a type, unit, level, state, park or category.")
    name: str = Field(description="The group's Chinese name (an empty unit: 未指定).")


class BlockerSummary(BaseModel):
    """Blockers counted per group, with the 办结率 of each and of all."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "by": "type",
                    "rows": [
                        {
                            "key": "land",
                            "name": "用地",
                            "raised": 5,
                            "open": 4,
                            "overdue": 1,
                            "resolved": 1,
                            "resolution_rate_pct": 20.0,
                        }
                    ],
                    "totals": {
                        "raised": 5,
                        "open": 4,
                        "overdue": 1,
                        "resolved": 1,
                        "resolution_rate_pct": 20.0,
                    },
                }
            ]
        }
    )

    by: SummaryBy
    rows: list[BlockerSummaryRow]
    totals: BlockerCounts
