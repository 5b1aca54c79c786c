"""Report schemas: reconciliation with the published tables, tracking reports."""

import enum
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.progress.schemas import Figures, InputDate
from app.projects.schemas import ProjectFilters

# The one rule for the period due, stated wherever a period defaults to it.
PERIOD_DUE_RULE = (
    "The period due on a day (in China) is the month before it: its reports are on time until "
    "the end of the due day of this month (REPORT_DUE_DAY, 5 unless configured) and late after "
    "it, and the same period stays due, now late, until the month turns. So from 1 to 31 "
    "December 2026 the period due is 2026-11 (on time until the end of 5 December), and from "
    "1 January 2027 it is 2026-12."
)


class Figure(BaseModel):
    """A count of projects and their planned investment."""

    count: int | None = Field(description="Projects; null where the table prints ——.")
    amount_wan: int | None = Field(description="Planned investment, 万元; null for ——.")


class Candidate(BaseModel):
    """A project of the plan's edition that can explain a cell's difference."""

    code: str
    name: str
    total_investment_wan: int = Field(description="Planned total investment, 万元.")
    archived: bool = Field(description="It has left the library (出库) since; still counted.")


class CandidateMatch(enum.StrEnum):
    """Why a differing cell lists the projects it lists (the rule: `CANDIDATES_RULE`)."""

    reviewed = "reviewed"
    exact = "exact"
    closest = "closest"


CANDIDATES_RULE = (
    "For a cell where computed and published differ: `reviewed` when the reviewed notes "
    "(seed/reconciliation_notes.json) name its projects; else `exact` when one or two "
    "projects have exactly the difference's count and 万元 (a surplus: projects of the cell "
    "the table leaves out; a shortfall: projects of the same row's other columns the table may "
    "have counted here); else `closest`: up to 10 of the cell's projects nearest in 万元 to "
    "the difference. Empty where the cell matches."
)


class Cell(BaseModel):
    """One cell of a published table next to the same cell computed from the library."""

    published: Figure
    computed: Figure
    difference: Figure = Field(description="computed − published (—— counts as 0).")
    matches: bool
    candidates: list[Candidate] = Field(
        default_factory=list, description="Projects that can explain the difference."
    )
    match: CandidateMatch | None = Field(default=None, description=CANDIDATES_RULE)
    explanation: str | None = Field(
        default=None,
        description="The reviewed explanation of the difference (Chinese), where one is "
        "recorded in seed/reconciliation_notes.json.",
    )
    projects: str = Field(
        description="The `/projects` list of the plan's edition this cell counts (projects "
        "archived since are counted here but not listed there)."
    )


class ReconciledRow(BaseModel):
    """A row of table 4 or 5 with each cell reconciled."""

    label: str = Field(description="The row label as the table prints it.")
    kind: str = Field(description="`total`, `tier`, `park` (table 4) or `category` (table 5).")
    park_id: str | None = None
    tier: str | None = None
    category: str | None = None
    cells: dict[str, Cell]


class ReconciledTable(BaseModel):
    """A published table, cell by cell."""

    title: str
    columns: list[str]
    rows: list[ReconciledRow]
    differing_cells: int = Field(description="Cells where computed and published differ.")


class Headline(BaseModel):
    """The totals the plan's body, the appendix header and the library state."""

    published: Figure = Field(description="The plan's body (section 五, tables 4 and 5).")
    appendix_header: Figure = Field(description="What the appendix header prints (总计).")
    computed: Figure = Field(
        description="Summed from the projects of the plan's edition, those archived since "
        "included: batches added later never change it."
    )
    difference: Figure = Field(description="computed − published.")
    explanation: str | None = Field(
        default=None, description="The reviewed explanation of the difference (Chinese)."
    )


class Reconciliation(BaseModel):
    """Tables 4 and 5 of the plan next to the same cells computed from the library."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "headline": {
                        "published": {"count": 179, "amount_wan": 20841119},
                        "appendix_header": {"count": 178, "amount_wan": 21124119},
                        "computed": {"count": 178, "amount_wan": 21124119},
                        "difference": {"count": -1, "amount_wan": 283000},
                    },
                    "table4": {
                        "title": "表 4：大连沿海产业转型升级示范区项目表（按区域分）",
                        "columns": ["all", "infrastructure", "service_platform", "innovation"],
                        "rows": [
                            {
                                "label": "长兴岛开发区",
                                "kind": "park",
                                "park_id": "changxingdao",
                                "tier": "key",
                                "category": None,
                                "cells": {
                                    "innovation": {
                                        "published": {"count": 3, "amount_wan": 9407662},
                                        "computed": {"count": 4, "amount_wan": 9697662},
                                        "difference": {"count": 1, "amount_wan": 290000},
                                        "matches": False,
                                        "candidates": [
                                            {
                                                "code": "INN-033",
                                                "name": "恒力石化（大连）有限公司年产250万吨"
                                                "PTA-4项目",
                                                "total_investment_wan": 290000,
                                                "archived": False,
                                            }
                                        ],
                                        "match": "reviewed",
                                        "explanation": "附件3列有恒力石化（大连）有限公司年产"
                                        "250万吨PTA-4项目（INN-033），表4未计入此项。",
                                        "projects": "/api/v1/projects?edition=plan"
                                        "&park=changxingdao&category=innovation",
                                    }
                                },
                            }
                        ],
                        "differing_cells": 20,
                    },
                    "table5": {"title": "表 5：…", "columns": [], "rows": [], "differing_cells": 0},
                    "edition_id": "plan",
                }
            ]
        }
    )

    edition_id: str = Field(
        default="plan",
        description="The edition compared: always the plan's (its appendix), archived rows "
        "included, since tables 4 and 5 describe the plan as printed.",
    )
    headline: Headline
    table4: ReconciledTable
    table5: ReconciledTable


class ComplianceRow(BaseModel):
    """One park's reporting for a period."""

    park_id: str | None = Field(description="Null in the totals.")
    park_name: str | None = None
    project_count: int
    reported: int = Field(
        description="Projects whose newest report for the period says something: not `unchanged`."
    )
    unchanged: int = Field(
        default=0,
        description="Projects whose newest report for the period repeats the figures, status "
        "and note before it without the officer confirming no change (e.g. an untouched "
        "template); counted apart from `reported` and `missing`.",
    )
    missing: int = Field(description="Projects without a report for the period.")
    late: int = Field(description="Projects whose first report came after the due time.")
    returned: int = Field(description="Projects whose newest report was returned for revision.")
    reported_projects: list[str] = Field(default_factory=list, description="Their codes.")
    unchanged_projects: list[str] = Field(default_factory=list)
    missing_projects: list[str] = Field(default_factory=list)
    late_projects: list[str] = Field(default_factory=list)
    returned_projects: list[str] = Field(default_factory=list)


class Compliance(BaseModel):
    """Who reported for a period, who did not, who was late or returned."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "period": "2026-10",
                    "due_at": "2026-11-05T16:00:00Z",
                    "parks": [
                        {
                            "park_id": "gaoxin",
                            "park_name": "大连高新技术产业园区",
                            "project_count": 21,
                            "reported": 3,
                            "missing": 18,
                            "late": 1,
                            "returned": 1,
                            "reported_projects": ["INF-002", "INF-003", "INF-004"],
                            "missing_projects": ["INF-005", "…"],
                            "late_projects": ["INF-003"],
                            "returned_projects": ["INF-004"],
                        }
                    ],
                    "totals": {
                        "park_id": None,
                        "project_count": 178,
                        "reported": 3,
                        "missing": 175,
                        "late": 1,
                        "returned": 1,
                    },
                }
            ]
        }
    )

    period: str = Field(description="The reporting period, YYYY-MM.", examples=["2026-10"])
    due_at: datetime = Field(
        description="Reports received from this instant on are late (the due day of the next "
        "month, end of day in China)."
    )
    parks: list[ComplianceRow]
    totals: ComplianceRow


class ChangeRow(BaseModel):
    """Status moves and investment added within one group between two dates."""

    park_id: str | None = None
    park_name: str | None = None
    category: str | None = None
    category_name: str | None = None
    project_count: int
    started: int = Field(description="Moved from pre-construction to construction or beyond.")
    completed: int
    suspended: int
    cancelled: int
    investment_added_wan: int = Field(description="Change in reported investment to date, 万元.")


class Changes(BaseModel):
    """What changed in the portfolio between two dates, by park and category."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "from_date": "2026-06-30",
                    "to_date": "2026-09-30",
                    "figures": "latest",
                    "rows": [
                        {
                            "park_id": "gaoxin",
                            "park_name": "大连高新技术产业园区",
                            "category": "infrastructure",
                            "category_name": "公共基础设施",
                            "project_count": 14,
                            "started": 2,
                            "completed": 1,
                            "suspended": 0,
                            "cancelled": 0,
                            "investment_added_wan": 120000,
                        }
                    ],
                    "totals": {
                        "project_count": 178,
                        "started": 3,
                        "completed": 1,
                        "suspended": 1,
                        "cancelled": 0,
                        "investment_added_wan": 123000,
                    },
                }
            ]
        }
    )

    from_date: date
    to_date: date
    figures: Figures
    rows: list[ChangeRow]
    totals: ChangeRow


class Blocker(BaseModel):
    """A project's open blocker and the report that raised it."""

    project_code: str
    project_name: str
    park_id: str
    issues: str = Field(description="存在问题 as reported.")
    entry_id: int
    as_of: date
    reporter_name: str
    received_at: datetime


class BlockerPark(BaseModel):
    """One park's open blockers."""

    park_id: str
    park_name: str
    open_blockers: int
    items: list[Blocker]


class Blockers(BaseModel):
    """Open blockers by park: projects whose current report names one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "figures": "latest",
                    "as_of": None,
                    "parks": [
                        {
                            "park_id": "gaoxin",
                            "park_name": "大连高新技术产业园区",
                            "open_blockers": 1,
                            "items": [
                                {
                                    "project_code": "INF-005",
                                    "project_name": "大连先进光源二期项目",
                                    "park_id": "gaoxin",
                                    "issues": "征地未完成",
                                    "entry_id": 181,
                                    "as_of": "2026-10-31",
                                    "reporter_name": "demo-officer-gaoxin",
                                    "received_at": "2026-11-02T01:20:00Z",
                                }
                            ],
                        }
                    ],
                    "total": 1,
                }
            ]
        }
    )

    figures: Figures
    as_of: date | None
    parks: list[BlockerPark]
    total: int


class ComplianceQuery(ProjectFilters):
    """Which period, and when reports fall due; filters as for `/projects`."""

    period: str | None = Field(
        default=None,
        pattern=r"^(19|20)\d\d-(0[1-9]|1[0-2])$",
        description=f"Reporting period YYYY-MM. Default: the period due today. {PERIOD_DUE_RULE}",
        examples=["2026-10"],
    )
    due_day: int | None = Field(
        default=None,
        ge=1,
        le=28,
        description="Reports are late after this day of the next month. Default: REPORT_DUE_DAY.",
    )


class ChangesQuery(ProjectFilters):
    """The two dates to compare (each at its end, China time); filters as for `/projects`."""

    from_date: InputDate = Field(examples=["2026-06-30"])
    to_date: InputDate = Field(examples=["2026-09-30"])
