"""What the review inbox, bulk decisions and the review log take and answer."""

import enum
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, field_validator

from app.fields import Text
from app.models import ReviewAction, ReviewState
from app.progress.schemas import MAX_TEXT, PROGRESS_EXAMPLE, ProgressEntryPublic
from app.projects.schemas import CategoryId, ParkSlug, ProjectCodeFilter, split_lists

MAX_PAGE = 500
INBOX_COUNT_CAP = 10_000
_SUBMITTED: dict[str, Any] = {
    **PROGRESS_EXAMPLE,
    "id": 101,
    "project_code": "INN-012",
    "as_of": "2026-10-31",
    "period": "2026-10",
    "status": "under_construction",
    "percent_complete": 65,
    "invested_to_date_wan": 8_600,
    "note": "主体结构封顶，进入设备安装阶段。",
    "is_baseline": False,
    "reporter_name": "高新园区联络员",
    "reporter_role": "officer",
    "received_at": "2026-11-03T02:15:00Z",
    "review_state": "submitted",
}
_RECORD: dict[str, Any] = {
    "id": 7,
    "project_code": "INN-012",
    "period": "2026-10",
    "entry_id": 101,
    "action": "approve",
    "comment": "数据核实无误。",
    "actor_name": "市发改委规划处",
    "actor_role": "planner",
    "at": "2026-11-06T01:20:00Z",
}
PERIOD_PATTERN = r"^(19|20)\d\d-(0[1-9]|1[0-2])$"
Period = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]


class InboxState(enum.StrEnum):
    """Which reports the inbox lists: waiting for a decision, or sent back."""

    submitted = "submitted"
    returned = "returned"


class InboxSort(enum.StrEnum):
    """Oldest first (the order reports are worked through) or newest first."""

    received_at = "received_at"
    newest = "-received_at"


class InboxQuery(BaseModel):
    """The inbox's filters and paging."""

    model_config = ConfigDict(extra="forbid")

    state: InboxState = Field(
        default=InboxState.submitted,
        description="`submitted`: waiting for approval or return; `returned`: sent back and "
        "not yet revised.",
    )
    park: list[ParkSlug] = Field(
        default_factory=list, description="Park ids (comma-separated or repeated)."
    )
    category: list[CategoryId] = Field(
        default_factory=list, description="Category ids (comma-separated or repeated)."
    )
    period: list[Period] = Field(
        default_factory=list, description="Reporting periods YYYY-MM (comma-separated or repeated)."
    )
    project: list[ProjectCodeFilter] = Field(
        default_factory=list, description="Project codes (comma-separated or repeated)."
    )
    unchanged: bool | None = Field(
        default=None, description="Only unchanged reports (true) or only the others (false)."
    )
    sort: InboxSort = Field(default=InboxSort.received_at, description="Order of arrival.")
    limit: int = Field(default=50, ge=1, le=MAX_PAGE, description=f"Page size, 1–{MAX_PAGE}.")
    offset: int = Field(default=0, ge=0, le=10**9, description="Items to skip.")

    _split_lists = field_validator("park", "category", "period", "project", mode="before")(
        split_lists
    )


class InboxItem(ProgressEntryPublic):
    """A report waiting in the inbox, with its project."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_SUBMITTED,
                    "project_name": "大连高新区创新创业服务平台",
                    "park_id": "gaoxin",
                    "park_name": "大连高新技术产业园区",
                    "category": "innovation",
                }
            ]
        }
    )

    project_name: str
    park_id: str
    park_name: str
    category: str


class Inbox(BaseModel):
    """A page of the inbox."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "state": "submitted",
                    "items": [
                        {
                            **_SUBMITTED,
                            "project_name": "大连高新区创新创业服务平台",
                            "park_id": "gaoxin",
                            "park_name": "大连高新技术产业园区",
                            "category": "innovation",
                        }
                    ],
                    "total": 1,
                    "total_exact": True,
                    "limit": 50,
                    "offset": 0,
                }
            ]
        }
    )

    state: InboxState
    items: list[InboxItem]
    total: int = Field(
        description="Reports in this state matching the filters, counted up to "
        f"{INBOX_COUNT_CAP:,}."
    )
    total_exact: bool = Field(
        description=f"False when more than {INBOX_COUNT_CAP:,} match: `total` is then a floor."
    )
    limit: int
    offset: int


class Decision(enum.StrEnum):
    """What a bulk review does."""

    approve = "approve"
    return_ = "return"


EntryIds = Annotated[
    list[Annotated[int, Field(ge=1, le=2**31 - 1)]],
    Field(min_length=1, max_length=MAX_PAGE, description=f"Progress entry ids, 1–{MAX_PAGE}."),
]


BULK_REVIEW_EXAMPLES: list[Any] = [
    {"entry_ids": [101, 102, 103], "decision": "approve", "comment": "数据核实无误。"},
    {"entry_ids": [104], "decision": "return", "comment": "累计投资低于上月，请核实后重新填报。"},
]


class BulkApprove(BaseModel):
    """Approve many reports at once, with an optional remark."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [BULK_REVIEW_EXAMPLES[0]]},
    )

    entry_ids: EntryIds
    decision: Literal[Decision.approve]
    comment: Text = Field(
        default="", max_length=MAX_TEXT, description="The remark recorded with each approval."
    )


class BulkReturn(BaseModel):
    """Return many reports at once, saying what to fix."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [BULK_REVIEW_EXAMPLES[1]]},
    )

    entry_ids: EntryIds
    decision: Literal[Decision.return_]
    comment: Text = Field(
        min_length=1, max_length=MAX_TEXT, description="What to fix, recorded with each return."
    )


# Approve or return many reports at once: all or nothing, each recorded on its own.
BulkReview = Annotated[BulkApprove | BulkReturn, Field(discriminator="decision")]
BULK_REVIEW: TypeAdapter[BulkApprove | BulkReturn] = TypeAdapter(BulkReview)


class BulkReviewResult(BaseModel):
    """The reports as they stand after the decision."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": "approve",
                    "state": "approved",
                    "items": [
                        {
                            **_SUBMITTED,
                            "review_state": "approved",
                            "reviewer_name": "市发改委规划处",
                            "reviewed_at": "2026-11-06T01:20:00Z",
                            "review_comment": "数据核实无误。",
                        }
                    ],
                    "total": 1,
                }
            ]
        }
    )

    decision: Decision
    state: ReviewState
    items: list[ProgressEntryPublic]
    total: int


class ReopenRequest(BaseModel):
    """Why an approved period takes reports again."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "园区报告竣工日期有误，需更正后重新审核。"}]},
    )

    reason: Text = Field(min_length=1, max_length=MAX_TEXT, description="Why it is reopened.")


class ReviewRecordPublic(BaseModel):
    """One review action: a report approved or returned, or a period reopened."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RECORD]})

    id: int
    project_code: str
    period: str
    entry_id: int | None = Field(
        description="The report decided on; for a reopening, the approved report it unlocks."
    )
    action: ReviewAction
    comment: str
    actor_name: str
    actor_role: str
    at: datetime


class ReviewLogQuery(BaseModel):
    """Filters of the review log."""

    model_config = ConfigDict(extra="forbid")

    project: list[ProjectCodeFilter] = Field(
        default_factory=list, description="Project codes (comma-separated or repeated)."
    )
    period: list[Period] = Field(default_factory=list, description="Reporting periods.")
    action: list[ReviewAction] = Field(default_factory=list, description="Actions.")
    actor: Text | None = Field(default=None, max_length=100, description="Actor name, exact.")
    park: list[ParkSlug] = Field(
        default_factory=list, description="Park ids (comma-separated or repeated)."
    )
    limit: int = Field(default=50, ge=1, le=MAX_PAGE, description=f"Page size, 1–{MAX_PAGE}.")
    offset: int = Field(default=0, ge=0, le=10**9, description="Items to skip.")

    _split_lists = field_validator("project", "period", "action", "park", mode="before")(
        split_lists
    )


class ReviewLog(BaseModel):
    """A page of review actions, newest first."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_RECORD], "total": 1, "limit": 50, "offset": 0}]}
    )

    items: list[ReviewRecordPublic]
    total: int
    limit: int
    offset: int
