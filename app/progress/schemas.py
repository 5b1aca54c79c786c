"""Progress entry schemas: reports in, history out, review actions."""

import enum
import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from app import clock
from app.fields import Text, reject_bool
from app.models import MilestoneKind, ProjectStatus, ReviewState

MAX_TEXT = 2000
_ISO_DATE = r"^(19[5-9]\d|2\d{3})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


def _iso_only(value: object) -> object:
    # Pydantic would also read numbers as Unix timestamps; a date here is written YYYY-MM-DD.
    if isinstance(value, str) and not re.match(_ISO_DATE, value):
        raise PydanticCustomError("date_format", "a date is written YYYY-MM-DD, from 1950 on")
    if not isinstance(value, str | date):
        raise PydanticCustomError("date_format", "a date is written YYYY-MM-DD")
    return value


InputDate = Annotated[
    date,
    BeforeValidator(_iso_only),
    WithJsonSchema({"type": "string", "format": "date", "pattern": _ISO_DATE}),
]

PROGRESS_EXAMPLE: dict[str, Any] = {
    "id": 1,
    "project_code": "INF-001",
    "as_of": "2019-09-30",
    "period": "2019-09",
    "status": "pre_construction",
    "percent_complete": None,
    "invested_to_date_wan": None,
    "note": "正在开展前期论证。",
    "issues": "",
    "revision": 1,
    "is_baseline": True,
    "reporter_name": "附件3 重点项目库",
    "reporter_role": "seed",
    "unchanged": False,
    "no_change_confirmed": False,
    "plausibility_reason": "",
    "received_at": "2026-11-22T00:00:00Z",
    "review_state": "approved",
    "reviewer_name": None,
    "reviewed_at": None,
    "review_comment": "",
}


class Figures(enum.StrEnum):
    """Which reports count: all of them, or only those a reviewer approved."""

    latest = "latest"
    official = "official"


FIGURES_DESCRIPTION = (
    "Which reports state a project's figures. `latest` (default): every report a planner has "
    "not returned counts (submitted or approved), the newest counting revision of the latest "
    "period winning; a returned report never moves them, so the figures fall back to the "
    "period's earlier revision or to the period before. `official`: only approved reports "
    "count, the newest approved revision of the latest period winning."
)


PLAUSIBILITY_DESCRIPTION = (
    "The plausibility rules, each a 422 naming its field unless the report carries a `reason` "
    "(stored with it as `plausibility_reason`): investment to date above the project's total "
    "investment (`investment_above_total`); percent complete below the figure stating the "
    "project's progress before the period (`percent_backwards`); status moving back through "
    "pre_construction → under_construction → completed (`status_backwards`); a report "
    "completing the project (`completed` after another status) without an actual completion "
    "date, sent in `milestones` or stored (`completed_without_date`), or without "
    "`percent_complete` 100 (`completed_without_percent`)."
)


class ProgressCreate(BaseModel):
    """A progress report from a park officer (or an admin)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "as_of": "2026-10-31",
                    "status": "under_construction",
                    "percent_complete": 65,
                    "invested_to_date_wan": 143000,
                    "note": "主体结构封顶，进入设备安装阶段。",
                    "issues": "部分进口设备到货延迟。",
                }
            ]
        },
    )

    as_of: InputDate = Field(description="The date reported on; not in the future (Asia/Shanghai).")
    status: ProjectStatus
    percent_complete: int | None = Field(
        default=None, ge=0, le=100, description="Physical progress, 0–100 %."
    )
    invested_to_date_wan: int | None = Field(
        default=None,
        ge=0,
        le=10**12,
        description="Cumulative investment up to `as_of`, 万元 (CNY 10,000).",
    )
    note: Text = Field(default="", max_length=MAX_TEXT, description="Progress note (形象进度).")
    issues: Text = Field(default="", max_length=MAX_TEXT, description="Blockers (存在问题).")
    milestones: dict[MilestoneKind, InputDate] | None = Field(
        default=None,
        description="Actual dates of life-cycle milestones reached, by kind (`filing`, "
        '`permits`, `start`, `completion`, `operation`), e.g. `{"start": "2026-03-01"}`; '
        "stored on the project's milestones with the report, all or nothing. Each date is on or "
        "before `as_of`, the dates follow the life cycle, and `status` must agree with them: an "
        "actual `start` needs a status past `pre_construction`, an actual `completion` needs "
        "`completed`; a contradiction is a 422. Omitted: the milestones stay as they are.",
        examples=[{"start": "2026-03-01"}],
    )

    no_change_confirmed: bool = Field(
        default=False,
        description="The officer confirms nothing changed this period (本期无变化). A report "
        "whose status, percent complete, investment to date and note equal those stating the "
        "figures before its period is stored with `unchanged` true and counted apart in "
        "compliance, unless this is true.",
    )
    reason: Text = Field(
        default="",
        max_length=MAX_TEXT,
        description="Why the report is right although it breaks a plausibility rule. "
        + PLAUSIBILITY_DESCRIPTION,
    )

    _no_bools = field_validator("percent_complete", "invested_to_date_wan", mode="before")(
        reject_bool
    )

    @field_validator("as_of")
    @classmethod
    def _as_of_not_in_future(cls, value: date) -> date:
        today = clock.today()
        if value > today:
            # "Today" is China's: reporting dates are calendar dates there.
            raise PydanticCustomError(
                "date_in_future",
                "as_of {value} is in the future (today is {today} in China)",
                {"value": value.isoformat(), "today": today.isoformat()},
            )
        return value

    @field_validator("note", "issues")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class ReturnRequest(BaseModel):
    """Why a report goes back to its officer."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"comment": "累计投资低于上月，请核实后重新填报。"}]},
    )

    comment: Text = Field(min_length=1, max_length=MAX_TEXT, description="What to fix.")


class ApproveRequest(BaseModel):
    """An optional remark on approval."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"comment": "数据核实无误。"}]}
    )

    comment: Text = Field(default="", max_length=MAX_TEXT)


class ProgressEntryPublic(BaseModel):
    """One entry of a project's progress history."""

    model_config = ConfigDict(json_schema_extra={"examples": [PROGRESS_EXAMPLE]})

    id: int
    project_code: str
    as_of: date = Field(description="The date the report describes.")
    period: str = Field(description="Reporting period, the month of `as_of` (YYYY-MM).")
    status: ProjectStatus
    percent_complete: int | None = Field(description="Physical progress, 0–100 %.")
    invested_to_date_wan: int | None = Field(
        description="Cumulative investment to `as_of`, 万元 (CNY 10,000)."
    )
    note: str = Field(description="Progress note (形象进度); the baseline holds the printed note.")
    issues: str = Field(description="Blockers raised (存在问题).")
    revision: int = Field(description="1 for a period's first report, 2 for its revision, …")
    is_baseline: bool = Field(description="True for the note printed in Appendix 3.")
    reporter_name: str = Field(description="Name of the token that reported, or the source.")
    reporter_role: str = Field(description="Role of the reporter; `seed` for the baseline.")
    unchanged: bool = Field(
        description="True when the report repeats the figures, status and note stating the "
        "project's progress before its period, without the officer confirming no change."
    )
    no_change_confirmed: bool = Field(
        description="True when the officer confirmed an unchanged report (本期无变化)."
    )
    plausibility_reason: str = Field(
        description="Why the report is right although it breaks a plausibility rule."
    )
    received_at: datetime = Field(description="When the service stored the entry (UTC).")
    review_state: ReviewState = Field(description="`submitted`, `approved` or `returned`.")
    reviewer_name: str | None = Field(description="Who approved or returned it.")
    reviewed_at: datetime | None
    review_comment: str = Field(description="The reviewer's comment.")


class ProgressHistory(BaseModel):
    """A project's progress history, newest first, baseline included."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "project_code": "INF-001",
                    "figures": "latest",
                    "items": [PROGRESS_EXAMPLE],
                    "total": 1,
                }
            ]
        }
    )

    project_code: str
    figures: Figures = Field(description=FIGURES_DESCRIPTION)
    items: list[ProgressEntryPublic]
    total: int
