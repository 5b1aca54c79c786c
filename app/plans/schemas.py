"""Annual plans and milestones: what a PUT sends, and what the API answers."""

import enum
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.fields import Text, reject_bool
from app.models import MilestoneKind
from app.progress.schemas import InputDate
from app.spreadsheets.schemas import SpreadsheetFormat

YEAR_MIN = 2000
YEAR_MAX = 2100
MAX_TARGET = 500
MAX_REASON = 2000
MAX_DOCUMENT = 100
MAX_WAN = 10**12

PLAN_RULES = (
    "A project's annual plan (年度计划) for a calendar year: the investment planned for the "
    f"year (万元), the year's target (年度目标) and whether it is planned to start or to complete "
    f"in it. `year` is {YEAR_MIN}–{YEAR_MAX}; a year outside the project's construction years "
    "(start_year–end_year) is accepted, since plans shift. The first PUT of a year creates the "
    "plan (201, revision 1). A PUT changing the plan in force is a mid-year adjustment "
    "(中期调整): it needs `reason` and `document` (文号), appends a revision and keeps every "
    "earlier one in `history`. A PUT identical to the plan in force changes nothing (200). "
    "If-Match is optional: when sent it must be the ETag of the plan in force (412 otherwise, "
    "also when the year has no plan yet). An archived project takes no plans (409)."
)
MILESTONE_RULES = (
    "Sets a milestone's planned and actual dates; a field left out keeps its value, null "
    "clears it. Refused with 422: an actual date after today in China; actual dates out of "
    "life-cycle order (filing ≤ permits ≤ start ≤ completion ≤ operation, among those "
    "present); an actual completion on a cancelled project; clearing the actual start or "
    "completion of a completed project. The status follows the dates: an actual start means "
    "under construction, an actual completion completed. An actual date whose status the "
    "project has not reached (a start on a pre-construction project, a completion on any "
    "project not completed) is stored with a progress report of that status, dated the "
    "actual date and carrying the latest figures (percent complete 100 for a completion), as "
    "if the park had reported it; so it is refused with 422 where no such report can be: "
    "when the project already has a report for a later month (the start is then reported in "
    "a new progress report), or when the caller is a planner (a project's status comes from "
    "its park's reports). Any other date is stored directly; a changed actual date is "
    "recorded with who changed it and when (`recorded_at`). The actual start and completion "
    "dates are the project's `started_on` and `completed_on`. Officers: own park only."
)


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


PLAN_EXAMPLE_BODY: dict[str, Any] = {
    "planned_investment_wan": 12000,
    "target": "主体封顶",
    "planned_start": False,
    "planned_completion": False,
    "reason": "",
    "document": "",
    "document_date": None,
}


class PlanPut(BaseModel):
    """A project's annual plan for one year, as a PUT sends it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                PLAN_EXAMPLE_BODY,
                {
                    **PLAN_EXAMPLE_BODY,
                    "planned_investment_wan": 9000,
                    "reason": "设备采购延后至明年",
                    "document": "大园区发〔2026〕12号",
                    "document_date": "2026-07-15",
                },
            ]
        },
    )

    planned_investment_wan: int = Field(
        ge=0, le=MAX_WAN, description="年度计划投资: investment planned for the year, 万元."
    )
    target: Text = Field(
        default="", max_length=MAX_TARGET, description="年度目标, e.g. 主体封顶; may be empty."
    )
    planned_start: bool = Field(default=False, description="Planned to start (新开工) this year.")
    planned_completion: bool = Field(default=False, description="Planned to complete this year.")
    reason: Text = Field(
        default="", max_length=MAX_REASON, description="Why the plan is adjusted (中期调整)."
    )
    document: Text = Field(
        default="", max_length=MAX_DOCUMENT, description="文号 of the approving document."
    )
    document_date: InputDate | None = Field(default=None, description="The document's date.")

    _no_bools = field_validator("planned_investment_wan", mode="before")(reject_bool)
    _stripped = field_validator("target", "reason", "document")(_strip)

    def same_plan(self, other: "PlanFigures") -> bool:
        """Whether this states the plan `other` holds (reason and document aside)."""
        return PlanFigures.of(self) == other


class PlanFigures(BaseModel):
    """The figures of a plan: what an adjustment changes."""

    model_config = ConfigDict(frozen=True)

    planned_investment_wan: int
    target: str
    planned_start: bool
    planned_completion: bool

    @classmethod
    def of(cls, value: Any) -> "PlanFigures":
        """The figures of a plan, a revision or a request (read by attribute)."""
        return cls(**{name: getattr(value, name) for name in cls.model_fields})


REVISION_EXAMPLE: dict[str, Any] = {
    "revision": 1,
    "planned_investment_wan": 12000,
    "target": "主体封顶",
    "planned_start": False,
    "planned_completion": False,
    "reason": "",
    "document": "",
    "document_date": None,
    "changed_by": "planner-li",
    "changed_at": "2026-02-10T02:00:00Z",
}
PLAN_EXAMPLE: dict[str, Any] = {
    "project_code": "INF-005",
    "year": 2026,
    "planned_investment_wan": 12000,
    "target": "主体封顶",
    "planned_start": False,
    "planned_completion": False,
    "revision": 1,
    "adjusted": False,
    "history": [REVISION_EXAMPLE],
}


class PlanRevisionPublic(PlanFigures):
    """One version of a plan: the original (1) or an adjustment."""

    model_config = ConfigDict(json_schema_extra={"examples": [REVISION_EXAMPLE]})

    revision: int = Field(description="1: the original plan; 2, 3, …: adjustments.")
    reason: str = Field(description="Why it was adjusted (empty for the original).")
    document: str = Field(description="文号 of the approving document.")
    document_date: date | None
    changed_by: str = Field(description="Name of the token that wrote it.")
    changed_at: datetime


class PlanPublic(BaseModel):
    """A year's plan in force, with every revision."""

    model_config = ConfigDict(json_schema_extra={"examples": [PLAN_EXAMPLE]})

    project_code: str
    year: int
    planned_investment_wan: int = Field(description="年度计划投资, 万元.")
    target: str = Field(description="年度目标.")
    planned_start: bool
    planned_completion: bool
    revision: int = Field(description="The revision in force.")
    adjusted: bool = Field(description="True once the plan was adjusted (revision > 1).")
    history: list[PlanRevisionPublic] = Field(description="Every revision, oldest first.")


class PlanList(BaseModel):
    """A project's annual plans, by year."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"project_code": "INF-005", "items": [PLAN_EXAMPLE], "total": 1}]
        }
    )

    project_code: str
    items: list[PlanPublic]
    total: int


class MilestonePut(BaseModel):
    """A milestone's dates; a field left out keeps its value, null clears it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"planned_date": "2026-05-01", "actual_date": "2026-05-18"}]
        },
    )

    planned_date: InputDate | None = Field(default=None, description="The planned date.")
    actual_date: InputDate | None = Field(
        default=None, description="The actual date; not after today in China."
    )
    reason: Text = Field(
        default="", max_length=MAX_REASON, description="Why, as the audit log keeps it (optional)."
    )

    _stripped = field_validator("reason")(_strip)


MILESTONE_EXAMPLE: dict[str, Any] = {
    "kind": "start",
    "name": "开工",
    "planned_date": "2026-05-01",
    "actual_date": "2026-05-18",
    "recorded_at": "2026-05-19T01:30:00Z",
    "late": False,
    "updated_by": "officer-gaoxin",
}


class MilestonePublic(BaseModel):
    """One stage of a project's life cycle with its dates."""

    model_config = ConfigDict(json_schema_extra={"examples": [MILESTONE_EXAMPLE]})

    kind: MilestoneKind
    name: str = Field(description="The stage's Chinese name.")
    planned_date: date | None
    actual_date: date | None
    recorded_at: datetime | None = Field(description="When the actual date was recorded.")
    late: bool = Field(description="The planned date has passed without an actual date.")
    updated_by: str = Field(description="Who last changed the dates (empty: never set).")


class MilestoneList(BaseModel):
    """All five stages of a project, in life-cycle order."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"project_code": "INF-005", "items": [MILESTONE_EXAMPLE]}]}
    )

    project_code: str
    items: list[MilestonePublic]


class PlanRowAction(enum.StrEnum):
    """What a plan upload did, or on a dry run would do, with a row."""

    create = "create"
    adjust = "adjust"
    unchanged = "unchanged"


PLAN_ROW_EXAMPLE: dict[str, Any] = {
    "row": 2,
    "project_code": "INF-005",
    "project_name": "大连高新区智慧园区建设项目",
    "action": "create",
    "revision": 1,
    "planned_investment_wan": 12000,
    "target": "主体封顶",
    "planned_start": False,
    "planned_completion": False,
}


class PlanUploadRow(PlanFigures):
    """One data row of a plan upload and what became of it."""

    model_config = ConfigDict(json_schema_extra={"examples": [PLAN_ROW_EXAMPLE]})

    row: int = Field(description="Row number as the spreadsheet shows it (the header is row 1).")
    project_code: str
    project_name: str
    action: PlanRowAction = Field(
        description="`create`: a first plan for the year; `adjust`: a new revision; "
        "`unchanged`: equal to the plan in force, nothing stored."
    )
    revision: int = Field(description="The revision in force after the row (would be, dry run).")


class PlanUploadSummary(BaseModel):
    """The outcome of a plan upload: counts and every row."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "dry_run": False,
                    "park_id": "gaoxin",
                    "year": 2026,
                    "file_format": "xlsx",
                    "sheet": "年度计划",
                    "rows_read": 1,
                    "rows_skipped": 20,
                    "rows_created": 1,
                    "rows_adjusted": 0,
                    "rows_unchanged": 0,
                    "rows": [PLAN_ROW_EXAMPLE],
                }
            ]
        }
    )

    dry_run: bool = Field(description="True when nothing was stored on purpose.")
    park_id: str
    year: int
    file_format: SpreadsheetFormat
    sheet: str | None = Field(description="The worksheet read (XLSX only).")
    rows_read: int = Field(description="Rows stating a plan.")
    rows_skipped: int = Field(description="Rows naming a project with every plan cell blank.")
    rows_created: int
    rows_adjusted: int
    rows_unchanged: int
    rows: list[PlanUploadRow] = Field(description="Every row read, in file order.")
