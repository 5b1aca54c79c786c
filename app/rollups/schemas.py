"""Rollup schemas: the query, each row's dimension values and measures."""

import enum
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

from app import clock
from app.models import ProjectStatus
from app.progress.schemas import Figures
from app.projects.schemas import UNSPECIFIED, ProjectFilters
from app.rollups.queries import VERDICT_MARGIN_PCT, Interval


class Dim(enum.StrEnum):
    """What a rollup can be cut by."""

    park = "park"
    category = "category"
    start_year = "start_year"
    start_bucket = "start_bucket"
    status = "status"
    tier = "tier"
    construction_type = "construction_type"
    # Scorecards: who is responsible (责任单位) and who sponsors (包保领导).
    unit = "unit"
    leader = "leader"


class Verdict(enum.StrEnum):
    """The year's progress against 序时进度 (the rule: `VERDICT_DESCRIPTION`)."""

    ahead = "ahead"
    on_schedule = "on_schedule"
    behind = "behind"


VERDICT_NAMES = {Verdict.ahead: "超前", Verdict.on_schedule: "正常", Verdict.behind: "滞后"}

YEAR_DESCRIPTION = (
    "The calendar year of the year's measures (`year_…`, starts, completions). Default: the "
    "year of the day the figures are read at (the earlier of `period_end` and `as_of`, else "
    "today). A past year reads every figure at its last day, as if `period_end` were 31 "
    "December of it."
)
VERDICT_DESCRIPTION = (
    "`ahead` (超前) when `year_completion_pct` exceeds `time_elapsed_pct` by more than "
    f"{VERDICT_MARGIN_PCT:g} percentage points, `behind` (滞后) when it trails by more, "
    "`on_schedule` (正常) in between; null without a plan for the year."
)


def split_dims(value: object) -> object:
    """`by` as a list, from comma-separated or repeated parameters."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        return [p.strip() for item in value for p in str(item).split(",") if p.strip()]
    return value


class RollupQuery(ProjectFilters):
    """Rollup query: one or two dimensions and the `/projects` filters."""

    by: list[Dim] = Field(
        min_length=1,
        max_length=2,
        description="One dimension, or two (comma-separated) for a cross-tab: `park`, "
        "`category`, `start_year`, `start_bucket`, `status`, `tier`, `construction_type`, or "
        "the scorecards `unit` (责任单位) and `leader` (包保领导), whose rows are keyed "
        "`responsible_unit` and `leader` (null: none recorded).",
        examples=[["park"], ["park", "category"]],
    )

    year: int | None = Field(default=None, ge=2000, le=2100, description=YEAR_DESCRIPTION)

    _split_by = field_validator("by", mode="before")(split_dims)

    @field_validator("by")
    @classmethod
    def _distinct(cls, value: list[Dim]) -> list[Dim]:
        if len(set(value)) != len(value):
            raise ValueError("the two dimensions must differ")
        return value


class Measures(BaseModel):
    """What is summed per row, per total."""

    project_count: int
    total_investment_wan: int = Field(description="Planned total investment, 万元.")
    invested_to_date_wan: int = Field(description="Reported cumulative investment, 万元.")
    completion_rate: float | None = Field(
        description="invested_to_date_wan / total_investment_wan (0–1+); null without plan."
    )
    status_counts: dict[ProjectStatus, int] = Field(description="Projects per current status.")
    open_blockers: int = Field(description="Projects whose current report names blockers.")
    schedule_gap_pct: float | None = Field(
        description="序时进度 gap in percentage points, investment-weighted: time-elapsed "
        "share of the construction years minus reported progress (percent complete, else "
        "invested / planned); positive is behind schedule. Null when nothing reports progress."
    )
    year_planned_investment_wan: int = Field(
        description="年度计划投资: the plans in force for `year`, 万元."
    )
    year_invested_wan: int = Field(
        description="1–N 月完成投资: investment to date at the day minus at the end of the year "
        "before (the year's opening, from the entry current then; none: 0), 万元. A project "
        "with no report in the year did not move."
    )
    year_completion_pct: float | None = Field(
        description="年度完成率: `year_invested_wan` / `year_planned_investment_wan` × 100; "
        "null without a plan."
    )
    time_elapsed_pct: float = Field(
        description="序时进度: the share of `year` elapsed at the day, by months: N/12 × 100 "
        "at the end of month N, the days of a month counting as their share of it."
    )
    year_gap_pct: float | None = Field(
        description="`year_completion_pct` − `time_elapsed_pct`, percentage points (positive: "
        "超过时间进度)."
    )
    verdict: Verdict | None = Field(description=VERDICT_DESCRIPTION)
    year_planned_projects: int = Field(description="Projects with a plan for `year`.")
    projects_ahead: int = Field(
        description="Planned projects whose own year completion rate is ahead (same rule)."
    )
    projects_on_schedule: int = Field(description="Planned projects on schedule (same rule).")
    projects_behind: int = Field(description="Planned projects behind (same rule).")
    planned_starts: int = Field(description="Projects planned to start (新开工) in `year`.")
    actual_starts: int = Field(
        description="Of those, the ones whose `start` milestone has an actual date by the day."
    )
    start_rate_pct: float | None = Field(
        description="开工率: actual_starts / planned_starts × 100; null without planned starts."
    )
    planned_completions: int = Field(description="Projects planned to complete in `year`.")
    actual_completions: int = Field(
        description="Of those, the ones whose `completion` milestone has an actual date by the day."
    )
    completion_rate_pct: float | None = Field(
        description="竣工率: actual_completions / planned_completions × 100; null without "
        "planned completions."
    )
    overdue: int = Field(
        description="超期: projects past their planned end year (before the day's year) and "
        "neither completed nor cancelled."
    )
    blockers_raised: int = Field(
        description="Blockers (问题清单) raised on the group's projects. The blocker measures "
        "read the register as it stands today: `as_of`, `period_end` and `year` do not apply."
    )
    blockers_open: int = Field(description="Of those, not resolved (open, in progress, reopened).")
    blockers_overdue: int = Field(
        description="Of those, overdue: not resolved, the deadline before today in China."
    )
    blockers_resolved: int = Field(description="Of those, resolved (已办结).")
    resolution_rate_pct: float | None = Field(
        description="办结率: blockers_resolved / blockers_raised × 100, one decimal; null "
        "without blockers."
    )


class RollupRow(Measures):
    """One group: its dimension values (only those of `by`), measures and drill-down link."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "park_id": "gaoxin",
                    "park_name": "大连高新技术产业园区",
                    "project_count": 21,
                    "total_investment_wan": 1186100,
                    "invested_to_date_wan": 0,
                    "completion_rate": 0.0,
                    "status_counts": {"under_construction": 15, "pre_construction": 6},
                    "open_blockers": 0,
                    "schedule_gap_pct": None,
                    "projects": "/api/v1/projects?park=gaoxin",
                }
            ]
        }
    )

    park_id: str | None = None
    park_name: str | None = None
    category: str | None = None
    category_name: str | None = None
    start_year: int | None = None
    start_bucket: str | None = None
    start_bucket_name: str | None = None
    status: str | None = None
    status_name: str | None = None
    tier: str | None = None
    tier_name: str | None = None
    construction_type: str | None = None
    construction_type_name: str | None = None
    responsible_unit: str | None = Field(
        default=None,
        description=f"`by=unit`: the responsible unit (责任单位); null for the projects without "
        f"one, which pages and exports show as {UNSPECIFIED}.",
    )
    leader: str | None = Field(
        default=None,
        description="`by=leader`: the sponsoring leader (包保领导); null for the projects "
        f"without one ({UNSPECIFIED}).",
    )
    projects: str = Field(description="The `/projects` list behind this row, same filters.")


class Rollup(BaseModel):
    """A rollup: rows per group, and for a cross-tab the totals per row and per column."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "by": ["park"],
                    "figures": "latest",
                    "as_of": None,
                    "reporting_year": 2026,
                    "rows": [RollupRow.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
                    "totals": {
                        "project_count": 178,
                        "total_investment_wan": 21124119,
                        "invested_to_date_wan": 106358,
                        "completion_rate": 0.005,
                        "status_counts": {
                            "pre_construction": 76,
                            "under_construction": 93,
                            "completed": 2,
                            "suspended": 7,
                            "cancelled": 0,
                        },
                        "open_blockers": 0,
                        "schedule_gap_pct": 62.5,
                    },
                }
            ]
        }
    )

    by: list[Dim]
    figures: Figures
    as_of: date | None = Field(
        description="Known on: the date the portfolio is seen as known at; null: now."
    )
    period_end: date | None = Field(
        default=None, description="The period the figures are for ends this date; null: no bound."
    )
    year: int = Field(description="The calendar year of the year's measures.")
    seen_at: date = Field(description="The day the figures are read at (序时进度 is taken at it).")
    reporting_year: int = Field(description="Year `construction_type` is relative to.")
    rows: list[RollupRow]
    row_totals: list[RollupRow] | None = Field(
        default=None, description="Cross-tab only: totals per value of the first dimension."
    )
    column_totals: list[RollupRow] | None = Field(
        default=None, description="Cross-tab only: totals per value of the second dimension."
    )
    totals: Measures = Field(description="The grand total, computed by the database.")


# Months of the years a rollup's `year` takes (2000–2100).
MONTH_PATTERN = r"^(20\d\d|2100)-(0[1-9]|1[0-2])$"
SERIES_DIMS = (
    Dim.park,
    Dim.category,
    Dim.start_year,
    Dim.start_bucket,
    Dim.tier,
    Dim.unit,
    Dim.leader,
)
MAX_SERIES_PERIODS = 120


class SeriesQuery(ProjectFilters):
    """A series: periods from `from` to `to`, optionally by up to two project dimensions."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    interval: Interval = Field(
        default=Interval.month, description="`month`, or `quarter` (calendar quarters)."
    )
    from_: str = Field(
        default_factory=lambda: f"{clock.today().year}-01",
        alias="from",
        pattern=MONTH_PATTERN,
        description="The first month (YYYY-MM); with `quarter`, its quarter is the first. "
        "Default: January of this year (China's calendar).",
        examples=["2026-01"],
    )
    to: str = Field(
        default_factory=lambda: clock.today().strftime("%Y-%m"),
        pattern=MONTH_PATTERN,
        description="The last month (YYYY-MM); with `quarter`, its quarter is the last. "
        "Default: this month.",
        examples=["2026-06"],
    )
    by: list[Dim] = Field(
        default_factory=list,
        max_length=2,
        description="None (the portfolio per period), or one or two of `park`, `category`, "
        "`start_year`, `start_bucket`, `tier`, `unit`, `leader` (comma-separated).",
        examples=[["park"]],
    )

    _split_by = field_validator("by", mode="before")(split_dims)

    @field_validator("by")
    @classmethod
    def _project_dims(cls, value: list[Dim]) -> list[Dim]:
        if len(set(value)) != len(value):
            raise ValueError("the two dimensions must differ")
        if others := [d.value for d in value if d not in SERIES_DIMS]:
            raise ValueError(f"a series is not cut by {', '.join(others)}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "SeriesQuery":
        if self.from_ > self.to:
            raise ValueError("`from` must not be after `to`")
        first, last = self.from_.split("-"), self.to.split("-")
        months = (int(last[0]) - int(first[0])) * 12 + int(last[1]) - int(first[1]) + 1
        if months > MAX_SERIES_PERIODS:
            raise ValueError(f"a series spans at most {MAX_SERIES_PERIODS} months")
        return self


class SeriesFigures(BaseModel):
    """What a period counts."""

    started: int = Field(
        description="开工: projects whose `start` milestone's actual date falls in it."
    )
    resumed: int = Field(
        description="复工: projects reported under construction after a period reported suspended."
    )
    started_or_resumed: int = Field(description="开复工: `started` + `resumed`.")
    completed: int = Field(description="竣工: actual `completion` milestone dates in it.")
    commissioned: int = Field(description="投产: actual `operation` milestone dates in it.")
    invested_wan: int = Field(
        description="Investment completed in it, 万元: the rise of each project's investment to "
        "date over its amount before (for its first report of a year, the amount it opened the "
        "year with; a first amount ever counts whole)."
    )


class SeriesRow(SeriesFigures):
    """One period of one group."""

    period: str = Field(description="`YYYY-MM`, or `YYYY-Qn` for quarters.", examples=["2026-Q1"])
    period_name: str = Field(examples=["2026年一季度"])
    park_id: str | None = None
    park_name: str | None = None
    category: str | None = None
    category_name: str | None = None
    start_year: int | None = None
    start_bucket: str | None = None
    start_bucket_name: str | None = None
    tier: str | None = None
    tier_name: str | None = None
    responsible_unit: str | None = None
    leader: str | None = None


_SERIES_ROW_EXAMPLE: dict[str, JsonValue] = {
    "period": "2026-Q1",
    "period_name": "2026年一季度",
    "park_id": "gaoxin",
    "park_name": "大连高新技术产业园区",
    "started": 3,
    "resumed": 1,
    "started_or_resumed": 4,
    "completed": 1,
    "commissioned": 0,
    "invested_wan": 25360,
}


class Series(BaseModel):
    """Counts and investment per period: by group in `rows`, for the portfolio in `totals`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "interval": "quarter",
                    "from": "2026-01",
                    "to": "2026-03",
                    "by": ["park"],
                    "figures": "latest",
                    "as_of": None,
                    "rows": [_SERIES_ROW_EXAMPLE],
                    "totals": [
                        {
                            key: value
                            for key, value in _SERIES_ROW_EXAMPLE.items()
                            if not key.startswith("park_")
                        }
                    ],
                }
            ]
        }
    )

    interval: Interval
    from_: str = Field(serialization_alias="from")
    to: str
    by: list[Dim]
    figures: Figures
    as_of: date | None = Field(description="Known on: reports and dates recorded by then.")
    rows: list[SeriesRow] = Field(description="Per period and group, periods with activity only.")
    totals: list[SeriesRow] = Field(description="Per period of the range, every period.")
