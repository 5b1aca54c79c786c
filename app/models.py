"""Every table of the service, its enums and constraints: the schema at a glance."""

import enum
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Column, Field, Relationship, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Tier(enum.StrEnum):
    """Park tiers as table 4 of the plan groups them."""

    demonstration = "demonstration"
    key = "key"


TIER_NAMES = {Tier.demonstration: "示范园区", Tier.key: "重点园区"}


class ProjectStatus(enum.StrEnum):
    """Life-cycle stage of a project."""

    pre_construction = "pre_construction"
    under_construction = "under_construction"
    completed = "completed"
    suspended = "suspended"
    cancelled = "cancelled"


STATUS_NAMES = {
    ProjectStatus.pre_construction: "前期",
    ProjectStatus.under_construction: "在建",
    ProjectStatus.completed: "竣工",
    ProjectStatus.suspended: "停建",
    ProjectStatus.cancelled: "取消",
}


class ReviewState(enum.StrEnum):
    """Where a progress report stands in review."""

    submitted = "submitted"
    approved = "approved"
    returned = "returned"


class MilestoneKind(enum.StrEnum):
    """A stage of a project's life cycle (seed 001: 项目备案 → 要件办理 → 推进建设 → 验收投产)."""

    filing = "filing"
    permits = "permits"
    start = "start"
    completion = "completion"
    operation = "operation"


MILESTONE_NAMES = {
    MilestoneKind.filing: "备案/核准",
    MilestoneKind.permits: "要件办理完成",
    MilestoneKind.start: "开工",
    MilestoneKind.completion: "竣工验收",
    MilestoneKind.operation: "投产",
}


class BlockerType(enum.StrEnum):
    """What holds a project back (问题类型), the codelist of the 问题清单."""

    land = "land"
    demolition = "demolition"
    planning = "planning"
    assessments = "assessments"
    funding = "funding"
    approvals = "approvals"
    utilities = "utilities"
    construction = "construction"
    market = "market"
    other = "other"


BLOCKER_TYPE_NAMES = {
    BlockerType.land: "用地",
    BlockerType.demolition: "征地拆迁",
    BlockerType.planning: "规划",
    BlockerType.assessments: "环评能评",
    BlockerType.funding: "资金",
    BlockerType.approvals: "审批手续",
    BlockerType.utilities: "水电气暖配套",
    BlockerType.construction: "施工",
    BlockerType.market: "市场",
    BlockerType.other: "其他",
}


class BlockerLevel(enum.StrEnum):
    """The level a blocker is handled at; escalation moves it up."""

    park = "park"
    district = "district"
    city = "city"


BLOCKER_LEVEL_NAMES = {
    BlockerLevel.park: "园区",
    BlockerLevel.district: "区",
    BlockerLevel.city: "市",
}


class BlockerState(enum.StrEnum):
    """Where a blocker stands: open → in progress → resolved, or reopened after that."""

    open = "open"
    in_progress = "in_progress"
    resolved = "resolved"
    reopened = "reopened"


BLOCKER_STATE_NAMES = {
    BlockerState.open: "待办",
    BlockerState.in_progress: "办理中",
    BlockerState.resolved: "已办结",
    BlockerState.reopened: "重新打开",
}


class ReviewAction(enum.StrEnum):
    """What a planner did to a report's period: approve or return a report, reopen a period."""

    approve = "approve"
    return_ = "return"
    reopen = "reopen"


class EditionKind(enum.StrEnum):
    """The plan's own edition of the library (its appendix), or a batch added later (批次)."""

    plan = "plan"
    batch = "batch"


class Role(enum.StrEnum):
    """What an API token may do; see `app.auth.scopes`."""

    admin = "admin"
    planner = "planner"
    officer = "officer"


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


def _created_at() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Park(SQLModel, table=True):
    """An industrial park (a region of table 4), with every spelling the appendix prints."""

    __tablename__ = "park"
    __table_args__ = (sa.CheckConstraint(_in("tier", Tier), name="tier_known"),)

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100, unique=True)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(sa.JSON, nullable=False))
    table4_name: str = Field(max_length=100)
    tier: str = Field(max_length=20)
    position: int = Field(default=0)
    version: int = Field(default=1, description="Bumped on every change; the ETag.")
    archived_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

    projects: list["Project"] = Relationship(back_populates="park")


class Category(SQLModel, table=True):
    """A category of the project library (公共基础设施, 公共服务平台, 创业创新能力)."""

    __tablename__ = "category"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=50, unique=True)
    code_prefix: str = Field(max_length=8, unique=True)
    position: int = Field(default=0)

    projects: list["Project"] = Relationship(back_populates="category")


class Project(SQLModel, table=True):
    """One project of the library, with its current status kept in step with its reports."""

    __tablename__ = "project"
    __table_args__ = (
        sa.CheckConstraint("start_year <= end_year", name="years_ordered"),
        sa.CheckConstraint("total_investment_wan >= 0", name="investment_non_negative"),
        sa.CheckConstraint("seq >= 1", name="seq_positive"),
        sa.CheckConstraint(_in("status", ProjectStatus), name="status_known"),
        sa.CheckConstraint(_in("official_status", ProjectStatus), name="official_status_known"),
        sa.UniqueConstraint("category_id", "seq", name="uq_project_category_seq"),
        sa.Index("ix_project_park_category", "park_id", "category_id"),
        sa.Index("ix_project_start_year", "start_year"),
        sa.Index("ix_project_status", "status"),
        sa.Index("ix_project_official_status", "official_status"),
        sa.Index("ix_project_total_investment_wan", "total_investment_wan"),
        sa.Index("ix_project_archived_at", "archived_at"),
        sa.Index("ix_project_updated_at", "updated_at"),
        sa.Index("ix_project_responsible_unit", "responsible_unit"),
        sa.Index("ix_project_leader", "leader"),
        sa.Index("ix_project_edition_id", "edition_id"),
        sa.Index("ix_project_national_code", "national_code", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    category_id: str = Field(foreign_key="category.id", max_length=32)
    seq: int
    name: str = Field(max_length=200)
    park_id: str = Field(foreign_key="park.id", max_length=32)
    printed_park_name: str = Field(max_length=100)
    content: str = Field(sa_column=Column(sa.Text, nullable=False))
    start_year: int
    end_year: int
    total_investment_wan: int = Field(sa_column=Column(sa.BigInteger, nullable=False))
    # The current figures (latest reports), kept in step with every report so that rollups of
    # the present read this row alone instead of ranking each project's history.
    status: str = Field(max_length=20)
    percent_complete: int | None = Field(default=None, sa_column=Column(sa.SmallInteger))
    invested_to_date_wan: int | None = Field(default=None, sa_column=Column(sa.BigInteger))
    open_issues: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # The same from approved reports only: the official figures.
    official_status: str = Field(
        default=ProjectStatus.pre_construction,
        max_length=20,
        sa_column_kwargs={"server_default": ProjectStatus.pre_construction.value},
    )
    official_percent_complete: int | None = Field(default=None, sa_column=Column(sa.SmallInteger))
    official_invested_to_date_wan: int | None = Field(default=None, sa_column=Column(sa.BigInteger))
    official_open_issues: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )
    # The actual dates of the `start` and `completion` milestones, kept in step with them so
    # that the year's rollup measures read this row alone.
    started_on: date | None = Field(default=None)
    completed_on: date | None = Field(default=None)
    # Who is responsible: the owner building it (业主单位), the unit pushing it (责任单位), the
    # leader sponsoring it (包保领导), and its national investment project code (项目代码)
    # with the codes it had before.
    owner: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    responsible_unit: str = Field(
        default="", max_length=100, sa_column_kwargs={"server_default": ""}
    )
    leader: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    national_code: str | None = Field(default=None, max_length=40)
    earlier_national_codes: list[str] = Field(
        default_factory=list,
        sa_column=Column(sa.JSON, nullable=False, server_default=sa.text("'[]'")),
    )
    # The edition or batch of the library the project entered with (入库); an `edition.id`,
    # checked by the projects service (a foreign key would need SQLite to copy the table).
    edition_id: str | None = Field(default=None, max_length=32)
    # Why it left the library (出库), with `archived_at`; empty while it is in.
    exit_reason: str = Field(
        default="", sa_column=Column(sa.Text, nullable=False, server_default="")
    )
    version: int = Field(default=1, description="Bumped on every change; the ETag.")
    created_at: datetime = _created_at()
    updated_at: datetime = _created_at()
    archived_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

    park: Park = Relationship(back_populates="projects")
    category: Category = Relationship(back_populates="projects")
    progress_entries: list["ProgressEntry"] = Relationship(back_populates="project")


class ProgressEntry(SQLModel, table=True):
    """One progress report on a project; history is append-only."""

    __tablename__ = "progress_entry"
    __table_args__ = (
        sa.CheckConstraint(_in("status", ProjectStatus), name="status_known"),
        sa.CheckConstraint(
            "percent_complete IS NULL OR (percent_complete >= 0 AND percent_complete <= 100)",
            name="percent_in_range",
        ),
        sa.CheckConstraint(
            "invested_to_date_wan IS NULL OR invested_to_date_wan >= 0",
            name="invested_non_negative",
        ),
        sa.CheckConstraint(_in("reporter_role", Role) + " OR reporter_role = 'seed'", name="role"),
        sa.CheckConstraint(_in("review_state", ReviewState), name="review_state_known"),
        sa.CheckConstraint("revision >= 1", name="revision_positive"),
        sa.UniqueConstraint(
            "project_id", "period", "revision", name="uq_progress_entry_project_period_revision"
        ),
        sa.Index("ix_progress_entry_project_as_of", "project_id", "as_of", "received_at"),
        # The current-entry lookup walks a project's periods newest first and skips, inside
        # the index, entries dated after `as_of` or (official figures) not approved.
        sa.Index(
            "ix_progress_entry_project_recency",
            "project_id",
            "period",
            "revision",
            "as_of",
            "review_state",
            # The figures a rollup takes from the entry it finds ride along in the index, so
            # the walk of an `as_of` rollup never reads the table (PostgreSQL; SQLite ignores
            # INCLUDE).
            postgresql_include=[
                "received_at",
                "is_baseline",
                "status",
                "percent_complete",
                "invested_to_date_wan",
                "has_issues",
            ],
        ),
        # The same figures by period first: an `as_of` rollup reads the entries of its last
        # few months in one range of this index (app.progress.current_postgresql.current_state).
        sa.Index(
            "ix_progress_entry_period_recency",
            "period",
            "project_id",
            "revision",
            postgresql_include=[
                "as_of",
                "review_state",
                "received_at",
                "is_baseline",
                "status",
                "percent_complete",
                "invested_to_date_wan",
                "has_issues",
                # What a series of the present sums over a range of periods.
                "invested_added_wan",
                "resumed",
                "official_invested_added_wan",
                "official_resumed",
            ],
        ),
        # The review inbox walks one state's reports in order of arrival, of every period or
        # of one.
        sa.Index("ix_progress_entry_review_state", "review_state", "received_at", "id"),
        sa.Index(
            "ix_progress_entry_review_state_period",
            "review_state",
            "period",
            "received_at",
            "id",
        ),
        sa.Index("ix_progress_entry_reviewed_at", "reviewed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Optional in Python only, so an entry can be attached through `Project.progress_entries`.
    project_id: int | None = Field(default=None, foreign_key="project.id", nullable=False)
    as_of: date
    period: str = Field(max_length=7, description="Reporting period: the month of as_of.")
    revision: int = Field(default=1, description="1 for the first report of its period.")
    status: str = Field(max_length=20)
    percent_complete: int | None = Field(default=None, sa_column=Column(sa.SmallInteger))
    invested_to_date_wan: int | None = Field(default=None, sa_column=Column(sa.BigInteger))
    note: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    issues: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    # Derived by the database: whether blockers were raised, small enough for an index.
    has_issues: bool | None = Field(
        default=None,
        sa_column=Column(sa.Boolean, sa.Computed("issues <> ''", persisted=True)),
    )
    is_baseline: bool = Field(default=False)
    reporter_name: str = Field(max_length=100)
    reporter_role: str = Field(max_length=20)
    reporter_token_id: int | None = Field(default=None, foreign_key="api_token.id")
    received_at: datetime = _created_at()
    review_state: str = Field(default=ReviewState.submitted, max_length=20)
    reviewer_name: str | None = Field(default=None, max_length=100)
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    review_comment: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    # Derived from the project's history by `app.progress.years`, for the latest figures and
    # (`official_`) from approved entries: where the entry counts (the newest revision of
    # its period), the rise of investment to date over the amount before it (a first amount
    # counts whole; NULL without an amount or where it does not count), and whether it is
    # under construction after a period suspended (复工).
    invested_added_wan: int | None = Field(default=None, sa_column=Column(sa.BigInteger))
    resumed: bool = Field(
        default=False, sa_column=Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    official_invested_added_wan: int | None = Field(default=None, sa_column=Column(sa.BigInteger))
    official_resumed: bool = Field(
        default=False, sa_column=Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    # A report repeating the previous period's figures, status and note without the officer
    # confirming "no change this period" (`no_change_confirmed`): counted apart in compliance.
    unchanged: bool = Field(
        default=False, sa_column=Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    no_change_confirmed: bool = Field(
        default=False, sa_column=Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    # Why a report the plausibility rules would refuse is right after all.
    plausibility_reason: str = Field(
        default="", sa_column=Column(sa.Text, nullable=False, server_default="")
    )

    project: Project = Relationship(back_populates="progress_entries")


class ApiToken(SQLModel, table=True):
    """An opaque bearer token; only its SHA-256 digest is stored."""

    __tablename__ = "api_token"
    __table_args__ = (
        sa.CheckConstraint(_in("role", Role), name="role_known"),
        sa.CheckConstraint(
            "(role = 'officer' AND park_id IS NOT NULL) OR (role <> 'officer' AND park_id IS NULL)",
            name="officer_has_park",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    role: str = Field(max_length=20)
    park_id: str | None = Field(default=None, foreign_key="park.id", max_length=32)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    created_at: datetime = _created_at()
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # None: the token lives until it is revoked.
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

    park: Park | None = Relationship()


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a request sent with an `Idempotency-Key`, replayed on retries."""

    __tablename__ = "idempotency_record"
    __table_args__ = (
        sa.UniqueConstraint("token_id", "key", name="uq_idempotency_record_token_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    token_id: int = Field(foreign_key="api_token.id")
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64, description="SHA-256 of method, path and body.")
    status_code: int
    response_body: dict[str, Any] = Field(sa_column=Column(sa.JSON, nullable=False))
    created_at: datetime = _created_at()


class ProjectYear(SQLModel, table=True):
    """A project's calendar year: its annual plan, if it has one, and the investment to date
    and status it opened the year with (those of its current entry at the end of the year
    before).

    The plan columns are master data, written through the plans API and kept with every
    revision in `plan_revision`; the opening figures are derived from the progress history
    and kept in step with every report and review (`app.progress.years`), so that the year's
    measures read one row per project.
    """

    __tablename__ = "project_year"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "year", name="uq_project_year_project_year"),
        sa.CheckConstraint("year >= 1900 AND year <= 2200", name="year_in_range"),
        sa.CheckConstraint(
            "planned_investment_wan IS NULL OR planned_investment_wan >= 0",
            name="planned_non_negative",
        ),
        sa.CheckConstraint(
            "(plan_revision = 0) = (planned_investment_wan IS NULL)", name="plan_complete"
        ),
        sa.Index("ix_project_year_year_project", "year", "project_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    year: int
    # The plan in force (the newest revision; 0 and NULL: no plan for this year).
    plan_revision: int = Field(default=0)
    planned_investment_wan: int | None = Field(default=None, sa_column=Column(sa.BigInteger))
    target: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    planned_start: bool = Field(default=False)
    planned_completion: bool = Field(default=False)
    # Investment to date at the end of the year before, from the latest and the approved
    # entries; NULL where no entry before the year states an amount.
    opening_invested_wan: int | None = Field(default=None, sa_column=Column(sa.BigInteger))
    official_opening_invested_wan: int | None = Field(default=None, sa_column=Column(sa.BigInteger))
    # The status the project opened the year with, from the same entries (NULL: no entry).
    opening_status: str | None = Field(default=None, max_length=20)
    official_opening_status: str | None = Field(default=None, max_length=20)
    version: int = Field(default=1, description="Bumped on every plan change; the ETag.")
    updated_at: datetime = _created_at()


class PlanRevision(SQLModel, table=True):
    """One version of a project's annual plan: the original (1) and each adjustment (中期调整)."""

    __tablename__ = "plan_revision"
    __table_args__ = (
        sa.UniqueConstraint(
            "project_id", "year", "revision", name="uq_plan_revision_project_year_revision"
        ),
        sa.CheckConstraint("planned_investment_wan >= 0", name="planned_non_negative"),
        sa.CheckConstraint("revision >= 1", name="revision_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    year: int
    revision: int
    planned_investment_wan: int = Field(sa_column=Column(sa.BigInteger, nullable=False))
    target: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    planned_start: bool = Field(default=False)
    planned_completion: bool = Field(default=False)
    # Why an adjustment was made and the document approving it (empty for the original).
    reason: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    document: str = Field(default="", max_length=100)
    document_date: date | None = Field(default=None)
    changed_by: str = Field(max_length=100)
    changed_at: datetime = _created_at()


class Milestone(SQLModel, table=True):
    """A stage of a project's life cycle with its planned and actual dates."""

    __tablename__ = "milestone"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "kind", name="uq_milestone_project_kind"),
        sa.CheckConstraint(_in("kind", MilestoneKind), name="kind_known"),
        sa.Index("ix_milestone_kind_actual_date", "kind", "actual_date"),
        sa.Index("ix_milestone_updated_at", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    kind: str = Field(max_length=20)
    planned_date: date | None = Field(default=None)
    actual_date: date | None = Field(default=None)
    # When the actual date was recorded: a rollup "as known" on a day leaves later ones out.
    actual_recorded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    updated_by: str = Field(default="", max_length=100)
    version: int = Field(default=1, description="Bumped on every change; the ETag.")
    updated_at: datetime = _created_at()


class Edition(SQLModel, table=True):
    """An edition of the library: the plan's appendix, or a batch added later (批次) with the
    document (文号) and date that added it."""

    __tablename__ = "edition"
    __table_args__ = (sa.CheckConstraint(_in("kind", EditionKind), name="kind_known"),)

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100, unique=True)
    kind: str = Field(max_length=20)
    document: str = Field(default="", max_length=100)
    document_date: date | None = Field(default=None)
    note: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    created_by: str = Field(default="", max_length=100)
    created_at: datetime = _created_at()


class Blocker(SQLModel, table=True):
    """A problem holding a project back (堵点), followed until it is resolved (问题清单)."""

    __tablename__ = "blocker"
    __table_args__ = (
        sa.CheckConstraint(_in("type", BlockerType), name="type_known"),
        sa.CheckConstraint(_in("level", BlockerLevel), name="level_known"),
        sa.CheckConstraint(_in("state", BlockerState), name="state_known"),
        sa.Index("ix_blocker_project_state", "project_id", "state"),
        sa.Index("ix_blocker_state_deadline", "state", "deadline"),
        sa.Index("ix_blocker_responsible_unit", "responsible_unit"),
        sa.Index("ix_blocker_updated_at", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    type: str = Field(max_length=20)
    description: str = Field(sa_column=Column(sa.Text, nullable=False))
    raised_by: str = Field(max_length=100)
    raised_by_token_id: int | None = Field(default=None, foreign_key="api_token.id")
    raised_at: datetime = _created_at()
    # The report whose `issues` text raised it, if one did.
    source_entry_id: int | None = Field(default=None, foreign_key="progress_entry.id")
    responsible_unit: str = Field(default="", max_length=100)
    level: str = Field(default=BlockerLevel.park, max_length=20)
    deadline: date | None = Field(default=None)
    state: str = Field(default=BlockerState.open, max_length=20)
    resolution: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    version: int = Field(default=1, description="Bumped on every change; the ETag.")
    updated_at: datetime = _created_at()


class BlockerEvent(SQLModel, table=True):
    """One step of a blocker's life: its state before and after, what else changed, the
    note, and who took the step."""

    __tablename__ = "blocker_event"
    __table_args__ = (sa.Index("ix_blocker_event_blocker_id", "blocker_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    blocker_id: int = Field(foreign_key="blocker.id")
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str = Field(max_length=20)
    # {field: [old, new]} for the assignment, level, deadline or resolution it changed.
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(sa.JSON, nullable=False))
    note: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    actor_name: str = Field(max_length=100)
    actor_token_id: int | None = Field(default=None, foreign_key="api_token.id")
    at: datetime = _created_at()


class ReviewRecord(SQLModel, table=True):
    """One review action on a project's period: a report approved or returned, or the period
    reopened after approval, with who, when and the comment."""

    __tablename__ = "review_record"
    __table_args__ = (
        sa.CheckConstraint(_in("action", ReviewAction), name="action_known"),
        sa.Index("ix_review_record_project_period", "project_id", "period", "id"),
        sa.Index("ix_review_record_entry_id", "entry_id"),
        sa.Index("ix_review_record_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    period: str = Field(max_length=7)
    # The report approved or returned; for a reopening, the approved report it unlocks.
    entry_id: int | None = Field(default=None, foreign_key="progress_entry.id")
    action: str = Field(max_length=20)
    comment: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    actor_name: str = Field(max_length=100)
    actor_role: str = Field(max_length=20)
    actor_token_id: int | None = Field(default=None, foreign_key="api_token.id")
    at: datetime = _created_at()


class AuditRecord(SQLModel, table=True):
    """One change to master data: who made it, when, which fields from what to what, and
    why; written in the transaction of the change."""

    __tablename__ = "audit_record"
    __table_args__ = (
        # Each ends in (at, id), the log's order: a page of one object, of one actor or of a
        # time range is read from one index, backwards, however many records there are.
        sa.Index("ix_audit_record_object", "object_type", "object_key", "at", "id"),
        sa.Index("ix_audit_record_actor_name", "actor_name", "at", "id"),
        sa.Index("ix_audit_record_at", "at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _created_at()
    actor_name: str = Field(max_length=100)
    actor_role: str = Field(max_length=20)
    actor_token_id: int | None = Field(default=None)
    # What changed: `project`, `park`, `plan`, `milestone`, `blocker`, `edition`, `token` or
    # `user`, and its key (a code, a park id, `INF-005/2026`, `INF-005/start`, an id).
    object_type: str = Field(max_length=20)
    object_key: str = Field(max_length=64)
    action: str = Field(max_length=20)
    # {field: [old, new]}; a creation has old values null.
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(sa.JSON, nullable=False))
    reason: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
