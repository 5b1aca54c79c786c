"""Progress entry schemas."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.models import ProjectStatus

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
    "is_baseline": True,
    "reporter_name": "附件3 重点项目库",
    "reporter_role": "seed",
    "received_at": "2026-11-22T00:00:00Z",
}


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
    is_baseline: bool = Field(description="True for the note printed in Appendix 3.")
    reporter_name: str = Field(description="Name of the token that reported, or the source.")
    reporter_role: str = Field(description="Role of the reporter; `seed` for the baseline.")
    received_at: datetime = Field(description="When the service stored the entry (UTC).")


class ProgressHistory(BaseModel):
    """A project's progress history, newest first, baseline included."""

    project_code: str
    items: list[ProgressEntryPublic]
    total: int
