"""Project schemas: the query filters, the public project and the paged list."""

import enum
import re
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from app import clock
from app.editions.schemas import EditionId
from app.exports.writers import ExportFormat
from app.fields import NonBlankText, Text, not_nullable, reject_bool
from app.models import ProjectStatus, Tier
from app.progress.schemas import (
    FIGURES_DESCRIPTION,
    PROGRESS_EXAMPLE,
    Figures,
    InputDate,
    ProgressEntryPublic,
)


class CategoryId(enum.StrEnum):
    """The three categories of the library."""

    infrastructure = "infrastructure"
    service_platform = "service_platform"
    innovation = "innovation"


ParkSlug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,32}$")]
# A project code as filters take it (any case; the services upper-case it).
ProjectCodeFilter = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,20}$")]

# How a project without a responsible unit or leader reads in rollups, exports and pages, and
# the `unit` / `leader` filter value that selects those projects.
UNSPECIFIED = "(未指定)"
MAX_UNIT = 100
MAX_OWNER = 200
MAX_REASON = 2000

# 项目代码, the national investment project code: 24 characters of A–Z, 0–9 and '-' (e.g.
# 2019-210200-44-01-012345), checked loosely: the layout of its parts is not.
NATIONAL_CODE_LENGTH = 24
_NATIONAL_CODE = re.compile(rf"[A-Z0-9-]{{{NATIONAL_CODE_LENGTH}}}")
# Only blanks are trimmed: a control character at either end is refused, not taken off.
_CODE_BLANKS = " \t\r\n\u00a0\u3000"
# What the document states: the code, lower case allowed, between blanks.
_CODE_PATTERN = f"^[{_CODE_BLANKS}]*[A-Za-z0-9-]{{{NATIONAL_CODE_LENGTH}}}[{_CODE_BLANKS}]*$"
NATIONAL_CODE_DESCRIPTION = (
    "项目代码, the national investment project code: 24 characters of A–Z, 0–9 and '-' once "
    "blanks at the ends are trimmed, e.g. 2019-210200-44-01-012345; lower-case letters are "
    "stored upper-case. Unique: a code another project has or had is refused (409)."
)


def _national_code(value: object) -> object:
    if not isinstance(value, str):
        return value  # the str type refuses it
    code = value.strip(_CODE_BLANKS).upper()
    if not _NATIONAL_CODE.fullmatch(code):
        raise PydanticCustomError(
            "national_code",
            "a national project code (项目代码) is 24 characters of A-Z, 0-9 and '-', like "
            "2019-210200-44-01-012345 (this has {length} characters once trimmed)",
            {"length": len(code)},
        )
    return code


NationalCode = Annotated[
    str,
    BeforeValidator(_national_code),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _CODE_PATTERN,
            "description": NATIONAL_CODE_DESCRIPTION,
            "examples": ["2019-210200-44-01-012345"],
        }
    ),
]
# A unit's or a leader's name as a filter value, matched exactly as written (names are stored
# trimmed); the same rule as the blockers' `unit` filter, since they share the parameter.
NameFilter = Annotated[Text, StringConstraints(min_length=1, max_length=MAX_UNIT)]
Reason = Annotated[
    Text,
    StringConstraints(strip_whitespace=True, max_length=MAX_REASON),
    Field(description="Why, as the audit log keeps it (optional)."),
]
StartBucket = Annotated[str, StringConstraints(pattern=r"^(before_2019|(19|20)\d\d)$")]


class ConstructionType(enum.StrEnum):
    """Where a project stands relative to the reporting year."""

    new = "new"
    continuing = "continuing"
    planned = "planned"


ProjectSort = Literal[
    "appendix",
    "code",
    "-code",
    "total_investment_wan",
    "-total_investment_wan",
    "start_year",
    "-start_year",
    "end_year",
    "-end_year",
]

MAX_PAGE = 500


def _listed(value: object) -> object:
    # Names may hold commas: `?unit=a&unit=b` only, never split.
    return [value] if isinstance(value, str) else value


def split_lists(value: object) -> object:
    # Accept both `?park=a&park=b` and `?park=a,b`. An empty part (`?park=`, `a,,b`) is kept, so
    # it is refused like any value outside the schema rather than silently widening the filter.
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        return [part.strip() for item in value for part in str(item).split(",")]
    return value


class ProjectFilters(BaseModel):
    """Filters shared by the project list, and later by rollups and exports."""

    model_config = ConfigDict(extra="forbid")

    park: list[ParkSlug] = Field(
        default_factory=list,
        description="Park ids (comma-separated or repeated).",
        examples=[["gaoxin"], ["lvshun", "baoshui"]],
    )
    category: list[CategoryId] = Field(
        default_factory=list,
        description="Category ids (comma-separated or repeated).",
        examples=[["innovation"]],
    )
    start_year: list[Annotated[int, Field(ge=1949, le=2100)]] = Field(
        default_factory=list,
        description="Start years (comma-separated or repeated).",
        examples=[[2019], [2017, 2018]],
    )
    status: list[ProjectStatus] = Field(
        default_factory=list,
        description="Current statuses (comma-separated or repeated).",
        examples=[["under_construction"]],
    )
    q: Text | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Text searched in code, name, content and printed park name (substring).",
        examples=["大连理工大学"],
    )
    edition: list[EditionId] = Field(
        default_factory=list,
        description="Editions of the library (comma-separated or repeated): `plan` (the "
        "plan's appendix) or a batch id; see /api/v1/editions.",
        examples=[["plan"]],
    )
    unit: list[NameFilter] = Field(
        default_factory=list,
        description="Responsible units (责任单位), exact names, repeated for several (names "
        f"may hold commas); `{UNSPECIFIED}` selects projects without one.",
        examples=[["大连高新区经济发展局"]],
    )
    leader: list[NameFilter] = Field(
        default_factory=list,
        description="Sponsoring leaders (包保领导), exact names, repeated for several; "
        f"`{UNSPECIFIED}` selects projects without one.",
        examples=[["张三"]],
    )

    figures: Figures = Field(default=Figures.latest, description=FIGURES_DESCRIPTION)
    as_of: InputDate | None = Field(
        default=None,
        description="As known on this date: the portfolio as the service knew it at the end "
        "of that day (China time), so a bulletin published then can be reproduced; reports "
        "received later (and so any describing later days) are unseen. Default: now.",
        examples=["2026-11-05"],
    )
    period_end: InputDate | None = Field(
        default=None,
        description="Figures for the period ending this date: each project's figures from the "
        "reports describing days up to it (by their own `as_of`), whenever they arrived. "
        "With `as_of` too: the figures for that period as known on that day. Default: no "
        "bound.",
        examples=["2026-10-31"],
    )
    start_bucket: list[StartBucket] = Field(
        default_factory=list,
        description="Start-year buckets as table 5 prints them: `before_2019`, `2019`, …",
        examples=[["before_2019"]],
    )
    tier: list[Tier] = Field(
        default_factory=list, description="Park tiers: `demonstration`, `key`."
    )
    construction_type: list[ConstructionType] = Field(
        default_factory=list,
        description="`new` (新建: starts in the reporting year), `continuing` (续建: started "
        "before it) or `planned` (starts later).",
    )
    reporting_year: int | None = Field(
        default=None,
        ge=1949,
        le=2100,
        description="Year `construction_type` is relative to. Default: the year of `as_of`, "
        "or the current year.",
    )

    format: ExportFormat | None = Field(
        default=None,
        description="`csv` or `xlsx` downloads the result instead of JSON (so does `Accept`).",
    )

    _split_lists = field_validator(
        "park",
        "category",
        "start_year",
        "status",
        "start_bucket",
        "tier",
        "construction_type",
        "edition",
        mode="before",
    )(split_lists)
    _list_names = field_validator("unit", "leader", mode="before")(_listed)

    # The filters that narrow which projects match; `figures`, `as_of` and `reporting_year`
    # only change what is read of each.
    NARROWING: ClassVar[tuple[str, ...]] = (
        "park",
        "category",
        "start_year",
        "status",
        "q",
        "start_bucket",
        "tier",
        "construction_type",
        "edition",
        "unit",
        "leader",
    )
    # The filters whose values may hold commas: one value per parameter, never joined.
    REPEATED: ClassVar[tuple[str, ...]] = ("unit", "leader")

    def whole_portfolio(self) -> bool:
        """True when no filter narrows the projects: every active project matches."""
        return not any(getattr(self, name) for name in self.NARROWING)

    def effective_reporting_year(self) -> int:
        """The year `construction_type` is measured against."""
        if self.reporting_year is not None:
            return self.reporting_year
        return self.seen_at().year

    def seen_at(self) -> date:
        """The day the figures are read at: the earlier of `period_end` and `as_of`, or today."""
        days = [day for day in (self.period_end, self.as_of) if day is not None]
        return min(days) if days else clock.today()


class ProjectListQuery(ProjectFilters):
    """The project list's query: filters, sorting and paging."""

    sort: ProjectSort = Field(
        default="appendix",
        description="Order: `appendix` (category, then seq) or a field, `-` for descending.",
    )
    limit: int = Field(default=50, ge=1, le=MAX_PAGE, description=f"Page size, 1–{MAX_PAGE}.")
    offset: int = Field(default=0, ge=0, le=10**9, description="Items to skip.")


PROJECT_EXAMPLE: dict[str, Any] = {
    "code": "INF-001",
    "category": "infrastructure",
    "category_name": "公共基础设施",
    "seq": 1,
    "name": "沈海高速金州互通立交改造工程",
    "park_id": "kaifaqu",
    "park_name": "大连经济技术开发区",
    "printed_park_name": "大连金普新区",
    "content": "互通立交改造，公路I级。",
    "start_year": 2020,
    "end_year": 2022,
    "total_investment_wan": 45000,
    "status": "pre_construction",
    "figures": "latest",
    "latest_progress": PROGRESS_EXAMPLE,
    "links": {"self": "/api/v1/projects/INF-001", "progress": "/api/v1/projects/INF-001/progress"},
    "owner": "",
    "responsible_unit": "",
    "leader": "",
    "national_code": None,
    "earlier_national_codes": [],
    "edition_id": "plan",
    "edition_name": "示范区建设方案附件3（2019）",
    "archived_at": None,
    "exit_reason": "",
}


class ProjectPublic(BaseModel):
    """A project of the library with its newest progress entry."""

    model_config = ConfigDict(json_schema_extra={"examples": [PROJECT_EXAMPLE]})

    code: str = Field(description="Stable unique code: category prefix and seq.")
    category: CategoryId
    category_name: str
    seq: int = Field(description="Number within its category as the appendix prints it.")
    name: str
    park_id: str
    park_name: str = Field(description="The park's full name.")
    printed_park_name: str = Field(description="The park as the appendix prints it for this row.")
    content: str = Field(description="Construction content and scale (主要建设内容及规模).")
    start_year: int
    end_year: int
    total_investment_wan: int = Field(description="Planned total investment, 万元 (CNY 10,000).")
    status: ProjectStatus = Field(description="Current status: that of the current entry.")
    figures: Figures = Field(description="Which reports these figures count.")
    latest_progress: ProgressEntryPublic | None
    links: dict[str, str]
    owner: str = Field(default="", description="业主单位: who builds it; empty: not recorded.")
    responsible_unit: str = Field(
        default="", description="责任单位: the unit pushing it; empty: not recorded."
    )
    leader: str = Field(
        default="",
        description="包保领导 / 联系领导: the leader sponsoring it; empty: not recorded.",
    )
    national_code: str | None = Field(
        default=None, description="项目代码, the national investment project code; null: none yet."
    )
    earlier_national_codes: list[str] = Field(
        default_factory=list, description="Codes it had before its current one, oldest first."
    )
    edition_id: str | None = Field(
        default=None,
        description="The edition or batch it entered the library with (入库): `plan` for the "
        "plan's appendix; see /api/v1/editions.",
    )
    edition_name: str | None = Field(default=None, description="That edition's name.")
    archived_at: datetime | None = Field(
        default=None,
        description="Set when an admin archived it (出库): hidden from lists and rollups.",
    )
    exit_reason: str = Field(
        default="", description="Why it left the library (出库); empty while it is in."
    )


class ProjectList(BaseModel):
    """One page of projects and the number of all that match."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [PROJECT_EXAMPLE],
                    "figures": "latest",
                    "total": 178,
                    "limit": 1,
                    "offset": 0,
                }
            ]
        }
    )

    items: list[ProjectPublic]
    figures: Figures = Field(description=FIGURES_DESCRIPTION)
    total: int = Field(description="Projects matching the filters, over all pages.")
    limit: int
    offset: int


PROJECT_CREATE_EXAMPLE: dict[str, Any] = {
    "category": "innovation",
    "name": "大连光电子集成电路产业园项目",
    "park_id": "gaoxin",
    "content": "建设光电子芯片研发中心及生产厂房，总建筑面积约8万平方米。",
    "start_year": 2026,
    "end_year": 2028,
    "total_investment_wan": 120000,
    "owner": "大连光电子科技有限公司",
    "responsible_unit": "大连高新区经济发展局",
    "leader": "张三",
    "national_code": "2026-210200-39-01-000123",
    "edition_id": "batch-2026-1",
}

_WHO_DESCRIPTIONS = {
    "owner": "业主单位: the company or agency building it.",
    "responsible_unit": "责任单位: the unit responsible for pushing it. "
    f"`{UNSPECIFIED}` is stored as empty (none).",
    "leader": f"包保领导 / 联系领导: the leader sponsoring it. `{UNSPECIFIED}` is stored as empty.",
}
EDITION_ID_DESCRIPTION = (
    "The batch it enters the library with (入库批次), an edition id from /api/v1/editions; "
    "unknown: 422. Default: `additions` (added without a named batch). The plan's edition "
    "(`plan`) holds the appendix's rows only: no project joins or leaves it."
)


class ProjectCreate(BaseModel):
    """A new project; its code is assigned from its category."""

    # Stripped before the length checks, so a name of blanks is refused rather than stored empty.
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [PROJECT_CREATE_EXAMPLE]},
    )

    category: CategoryId
    name: NonBlankText = Field(min_length=1, max_length=200)
    park_id: NonBlankText = Field(min_length=1, max_length=32)
    printed_park_name: NonBlankText | None = Field(
        default=None, min_length=1, max_length=100, description="Default: the park's name."
    )
    content: Text = Field(default="", max_length=4000)
    start_year: int = Field(ge=1949, le=2100)
    end_year: int = Field(ge=1949, le=2100)
    total_investment_wan: int = Field(ge=0, le=10**12, description="万元 (CNY 10,000).")
    owner: Text = Field(default="", max_length=MAX_OWNER, description=_WHO_DESCRIPTIONS["owner"])
    responsible_unit: Text = Field(
        default="", max_length=MAX_UNIT, description=_WHO_DESCRIPTIONS["responsible_unit"]
    )
    leader: Text = Field(default="", max_length=MAX_UNIT, description=_WHO_DESCRIPTIONS["leader"])
    national_code: NationalCode | None = Field(default=None)
    edition_id: EditionId | None = Field(default=None, description=EDITION_ID_DESCRIPTION)
    reason: Reason = ""

    _no_bools = field_validator("start_year", "end_year", "total_investment_wan", mode="before")(
        reject_bool
    )


class ProjectUpdate(BaseModel):
    """A change to a project's master data; only the fields sent change."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra=not_nullable([{"total_investment_wan": 50000, "end_year": 2023}]),
    )

    name: NonBlankText | None = Field(default=None, min_length=1, max_length=200)
    park_id: NonBlankText | None = Field(default=None, min_length=1, max_length=32)
    printed_park_name: NonBlankText | None = Field(default=None, min_length=1, max_length=100)
    content: Text | None = Field(default=None, max_length=4000)
    start_year: int | None = Field(default=None, ge=1949, le=2100)
    end_year: int | None = Field(default=None, ge=1949, le=2100)
    total_investment_wan: int | None = Field(default=None, ge=0, le=10**12)
    owner: Text | None = Field(
        default=None, max_length=MAX_OWNER, description=_WHO_DESCRIPTIONS["owner"]
    )
    responsible_unit: Text | None = Field(
        default=None, max_length=MAX_UNIT, description=_WHO_DESCRIPTIONS["responsible_unit"]
    )
    leader: Text | None = Field(
        default=None, max_length=MAX_UNIT, description=_WHO_DESCRIPTIONS["leader"]
    )
    national_code: NationalCode | None = Field(
        default=None,
        description=NATIONAL_CODE_DESCRIPTION + " A new code keeps the old one in "
        "`earlier_national_codes`; a code cannot be removed.",
    )
    edition_id: EditionId | None = Field(
        default=None,
        description="Moves it to another batch. A project of the plan's edition stays in it "
        "(409), and none joins it (422).",
    )
    reason: Reason | None = Field(default=None, description="Why, for the audit log.")

    _no_bools = field_validator("start_year", "end_year", "total_investment_wan", mode="before")(
        reject_bool
    )

    @field_validator("*")
    @classmethod
    def _no_nulls(cls, value: object) -> object:
        # Runs only for fields sent: leaving a field out keeps it, sending null is an error.
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep it")
        return value


class ProjectChange(BaseModel):
    """Why a project leaves the library (出库) or comes back (入库); the body is optional."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "项目终止，业主放弃建设"}]}
    )

    reason: Reason = Field(
        default="",
        description="Why; on archiving it is kept as the project's `exit_reason` (cleared on "
        "restoring) and in the audit log.",
    )
