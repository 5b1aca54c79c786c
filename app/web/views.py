"""What each page shows, assembled from the same service functions the API calls."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, get_origin

from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session
from starlette.datastructures import QueryParams

from app import clock
from app.auth.policy import Principal, ensure_can_report
from app.categories.schemas import CategoryPublic
from app.categories.service import list_categories
from app.config import API_PREFIX, get_settings
from app.http import metrics
from app.models import MilestoneKind, Project, ProjectStatus, ReviewState, Role
from app.parks.schemas import ParkPublic
from app.parks.service import list_parks
from app.plans import service as plans
from app.plans.schemas import MilestonePublic, PlanPublic, PlanRevisionPublic
from app.problems import AppError, Forbidden, InvalidInput, field_error
from app.progress import service as progress
from app.progress.schemas import ProgressCreate
from app.projects.schemas import ProjectFilters, ProjectListQuery, ProjectPublic
from app.projects.service import start_years
from app.reports import service as reports
from app.reports.schemas import ComplianceRow
from app.rollups.schemas import Dim, Rollup, RollupQuery, RollupRow, Series, SeriesQuery
from app.rollups.service import RollupCache, cached_rollup, cached_series
from app.web.i18n import Lang, field_message, message, status_name

WEB_PREFIX = "/web"
OVERVIEW_DIMS = (Dim.park, Dim.category, Dim.start_year, Dim.status)
_LIST_FIELDS = frozenset(ProjectListQuery.model_fields) - {"format"}
_FILTER_FIELDS = frozenset(ProjectFilters.model_fields) - {"format"}
_LIST_VALUED = frozenset(
    name
    for name, info in ProjectFilters.model_fields.items()
    if get_origin(info.annotation) is list
)


def _fields_error(exc: ValidationError) -> InvalidInput:
    errors = [
        field_error("query", *map(str, e["loc"]), msg=e["msg"], type_=e["type"], ctx=e.get("ctx"))
        for e in exc.errors()
    ]
    listed = "; ".join(f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in errors)
    return InvalidInput(f"Invalid filter: {listed}.", errors=errors)


def _params(query: QueryParams, allowed: frozenset[str]) -> dict[str, Any]:
    # A GET form sends every field, empty ones included: empty means "no filter".
    params: dict[str, Any] = {}
    for name, value in query.multi_items():
        if name in allowed and value.strip():
            params.setdefault(name, []).append(value.strip())
    return {name: values if name in _LIST_VALUED else values[-1] for name, values in params.items()}


def list_query(query: QueryParams) -> ProjectListQuery:
    """The project list's query from a page's URL; bad values are a 422."""
    try:
        return ProjectListQuery.model_validate(_params(query, _LIST_FIELDS))
    except ValidationError as exc:
        raise _fields_error(exc) from exc


def filters_of(query: QueryParams) -> ProjectFilters:
    """The portfolio filters from a page's URL; bad values are a 422."""
    try:
        return ProjectFilters.model_validate(_params(query, _FILTER_FIELDS))
    except ValidationError as exc:
        raise _fields_error(exc) from exc


class YearParam(BaseModel):
    """The overview's year of the 调度 round (default: the year the figures are read at)."""

    year: int | None = Field(default=None, ge=2000, le=2100)


def year_of(query: QueryParams) -> int | None:
    """The `year` a page's URL asks for; bad values are a 422."""
    try:
        return YearParam.model_validate(_params(query, frozenset({"year"}))).year
    except ValidationError as exc:
        raise _fields_error(exc) from exc


def web_link(api_link: str) -> str:
    """The page listing what an API `/projects` link lists."""
    return WEB_PREFIX + api_link.removeprefix(API_PREFIX)


@dataclass
class Choices:
    """What the filter forms offer."""

    parks: list[ParkPublic]
    categories: list[CategoryPublic]
    statuses: list[ProjectStatus]
    years: list[int]


def choices(session: Session) -> Choices:
    """Parks, categories, statuses and start years to choose from."""
    return Choices(
        parks=list_parks(session),
        categories=list_categories(session),
        statuses=list(ProjectStatus),
        years=start_years(session),
    )


@dataclass(frozen=True)
class PeriodDue:
    """What the pages show as due: the period, its due day, and whether that has passed."""

    period: str
    due: date
    overdue: bool


def period_due(day: date | None = None) -> PeriodDue:
    """The period due on `day` (default today), by the reports' one rule."""
    day = day or clock.today()
    period = reports.period_due(day)
    due = reports.due_on(period, due_day=get_settings().report_due_day)
    return PeriodDue(period=period, due=due, overdue=day > due)


def series_months(year: int, seen_at: date) -> tuple[str, str]:
    """The months of `year` the round's series covers: January to the month the figures are
    read at (all twelve for a past year, January alone for a year still to come)."""
    if seen_at.year > year:
        last = 12
    elif seen_at.year == year:
        last = seen_at.month
    else:
        last = 1
    return f"{year:04d}-01", f"{year:04d}-{last:02d}"


def rank_by_year_completion(rows: list[RollupRow]) -> list[RollupRow]:
    """Rows by 年度完成率, highest first; rows without a plan for the year last."""
    return sorted(
        rows,
        key=lambda row: (row.year_completion_pct is None, -(row.year_completion_pct or 0.0)),
    )


@dataclass
class Overview:
    """The overview page: one rollup per chart, the headline figures and the year's round."""

    filters: ProjectFilters
    rollups: dict[Dim, Rollup]
    compliance: ComplianceRow
    period: str
    due: date
    year: int
    months: int
    series: Series
    ranking: list[RollupRow]


def overview(
    session: Session,
    *,
    filters: ProjectFilters,
    year: int | None = None,
    cache: RollupCache,
    version: str,
) -> Overview:
    """Rollups by park, category, start year and status under the same filters, and the
    year's series of starts, completions and investment per month; each answered from `cache`
    while the data (`version`, `app.http.caching.data_version`) and the day are unchanged."""
    base = filters.model_dump(exclude={"format"})
    rollups = {}
    for dim in OVERVIEW_DIMS:
        query = RollupQuery(**base, by=[dim], year=year)
        with metrics.rollup_timer([dim]):
            rollups[dim] = cached_rollup(
                session, query=query, etag=_key(version, query), cache=cache
            ).rollup
    by_park = rollups[Dim.park]
    first, last = series_months(by_park.year, by_park.seen_at)
    series_query = SeriesQuery.model_validate(
        {**base, "interval": "month", "from": first, "to": last}
    )
    series = cached_series(
        session, query=series_query, key=_key(version, series_query), cache=cache
    )
    due = period_due(filters.as_of)
    present = filters.model_copy(update={"as_of": None})
    compliance = cache.get_or_build(
        (f"page|{version}|compliance|{due.period}|{present.model_dump_json()}", clock.today()),
        lambda: reports.compliance(
            session, filters=present, period=due.period, due_day=get_settings().report_due_day
        ),
    )
    return Overview(
        filters=filters,
        rollups=rollups,
        compliance=compliance.totals,
        period=due.period,
        due=due.due,
        year=by_park.year,
        months=int(last[5:]),
        series=series,
        ranking=rank_by_year_completion(by_park.rows),
    )


def _key(version: str, query: RollupQuery | SeriesQuery) -> str:
    """What a page's rollup or series is cached under: the data's version and the query."""
    return f"page|{version}|{type(query).__name__}|{query.model_dump_json()}"


def series_points(series: Series, lang: Lang) -> list[dict[str, Any]]:
    """The round's chart: per month, starts, resumptions, completions, commissionings and
    investment completed."""
    return [
        {
            "label": f"{int(row.period[5:7])}月" if lang == "zh" else row.period,
            "started": row.started,
            "resumed": row.resumed,
            "completed": row.completed,
            "commissioned": row.commissioned,
            "invested_wan": row.invested_wan,
        }
        for row in series.totals
    ]


@dataclass
class ReportForm:
    """A report form's values as typed, and the messages for its fields."""

    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, msg: str) -> None:
        self.errors.setdefault(name, []).append(msg)


REPORT_FIELDS = (
    "as_of",
    "status",
    "percent_complete",
    "invested_to_date_wan",
    "note",
    "issues",
    "no_change_confirmed",
    "reason",
)
# The actual dates a report may carry, one date field per life-cycle stage.
MILESTONE_FIELDS = {f"milestone_{kind.value}": kind for kind in MilestoneKind}


def parse_report(form: ReportForm, lang: Lang) -> ProgressCreate | None:
    """Validate a report form with the API's own schema; messages go to their fields."""
    data: dict[str, Any] = {
        name: value
        for name, value in form.values.items()
        if name not in MILESTONE_FIELDS and (value.strip() or name in ("note", "issues"))
    }
    if dates := {
        MILESTONE_FIELDS[name].value: value.strip()
        for name, value in form.values.items()
        if name in MILESTONE_FIELDS and value.strip()
    }:
        data["milestones"] = dates
    try:
        return ProgressCreate.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            form.add(_form_field(error["loc"]), field_message(lang, error))
        return None


def add_rule_errors(form: ReportForm, exc: InvalidInput, lang: Lang) -> None:
    """Put the service's consistency messages next to the fields they name."""
    for error in exc.errors or []:
        loc = list(error.get("loc", []))
        form.add(_form_field(loc[1:] if loc[:1] == ["body"] else loc), field_message(lang, error))
    if not exc.errors:
        form.add("form", exc.detail)


def _form_field(loc: Sequence[Any]) -> str:
    """The form field an error's location (in the body) names, else the whole form."""
    if len(loc) >= 2 and loc[0] == "milestones" and f"milestone_{loc[1]}" in MILESTONE_FIELDS:
        return f"milestone_{loc[1]}"
    if list(loc) == ["milestones"]:
        # The report as a whole lacks a date: the completion date is the one it needs.
        return "milestone_completion"
    name = str(loc[0]) if loc else "form"
    return name if name in REPORT_FIELDS else "form"


def officer_park(principal: Principal) -> str | None:
    """The park an officer reports for; None for everyone else."""
    return principal.park_id if principal.role is Role.officer else None


def park_compliance(session: Session, *, park_id: str, period: str) -> ComplianceRow | None:
    """Who in a park reported for `period`, who is missing, late or returned."""
    result = reports.compliance(
        session,
        filters=ProjectFilters(park=[park_id]),
        period=period,
        due_day=get_settings().report_due_day,
    )
    return next((row for row in result.parks if row.park_id == park_id), None)


def can_report(principal: Principal, project: Project) -> bool:
    """Whether the page offers the report form: the API's own rule decides."""
    try:
        ensure_can_report(principal, project)
    except Forbidden:
        return False
    return True


def _text(value: object) -> str:
    return "" if value is None else str(value)


def prefill(session: Session, *, project: Project, public: ProjectPublic) -> dict[str, str]:
    """The report form's start: the period due's returned report, or a new one for that period."""
    period = period_due().period
    filed = [
        entry
        for entry in progress.list_history(session, project=project)
        if entry.period == period and not entry.is_baseline
    ]
    newest = max(filed, key=lambda entry: entry.revision, default=None)
    if newest is not None and newest.review_state == ReviewState.returned:
        # A revision keeps the returned report's date, so it lands in the same period.
        return {
            "as_of": newest.as_of.isoformat(),
            "status": newest.status,
            "percent_complete": _text(newest.percent_complete),
            "invested_to_date_wan": _text(newest.invested_to_date_wan),
            "note": newest.note,
            "issues": newest.issues,
        }
    # Dated today, a report filed in the first days of a month would fall in the new month
    # and leave the period due missing; its last day is what the report describes.
    latest = public.latest_progress
    return {
        "as_of": reports.period_end(period).isoformat(),
        "status": public.status.value,
        "percent_complete": _text(latest.percent_complete if latest else None),
        "invested_to_date_wan": _text(latest.invested_to_date_wan if latest else None),
        "note": "",
        "issues": latest.issues if latest else "",
    }


class Reported(Protocol):
    """What the year's actual needs of a history entry."""

    @property
    def period(self) -> str: ...
    @property
    def revision(self) -> int: ...
    @property
    def invested_to_date_wan(self) -> int | None: ...


def invested_at(history: Sequence[Reported], *, last_period: str) -> int | None:
    """Investment to date at the end of `last_period` (YYYY-MM): the amount of the newest
    revision of the latest period up to it that states one; None if none does."""
    stated = [e for e in history if e.period <= last_period and e.invested_to_date_wan is not None]
    newest = max(stated, key=lambda e: (e.period, e.revision), default=None)
    return None if newest is None else newest.invested_to_date_wan


def year_invested(history: Sequence[Reported], *, year: int, today: date) -> int | None:
    """Investment completed in `year`: invested to date at its end (this year: the latest
    report) minus at the end of the year before (none reported: 0); None for a year still to
    come or when nothing up to the year's end states an amount."""
    if year > today.year:
        return None
    closing = invested_at(history, last_period=f"{year:04d}-12")
    if closing is None:
        return None
    return closing - (invested_at(history, last_period=f"{year - 1:04d}-12") or 0)


@dataclass(frozen=True)
class PlanYear:
    """One year of a project's plan as its page shows it, with the year's actual."""

    plan: PlanPublic
    invested_wan: int | None
    completion_pct: float | None
    adjustment: PlanRevisionPublic | None


def plan_years(
    session: Session,
    *,
    project: Project,
    principal: Principal,
    history: Sequence[Reported],
    today: date | None = None,
) -> list[PlanYear] | None:
    """The project's annual plans, newest year first, each with the investment completed in
    it; None when the caller may not read them (an officer of another park)."""
    try:
        found = plans.list_plans(session, project=project, principal=principal)
    except Forbidden:
        return None
    today = today or clock.today()
    years = []
    for plan in reversed(found.items):
        invested = year_invested(history, year=plan.year, today=today)
        rate = (
            round(100 * invested / plan.planned_investment_wan, 1)
            if invested is not None and plan.planned_investment_wan > 0
            else None
        )
        adjustment = plan.history[-1] if plan.adjusted and plan.history else None
        years.append(PlanYear(plan, invested, rate, adjustment))
    return years


def milestones(session: Session, *, project: Project) -> list[MilestonePublic]:
    """The five life-cycle stages in order, with planned and actual dates and the late mark."""
    return plans.list_milestones(session, project=project).items


@dataclass(frozen=True)
class RowError:
    """One problem of an uploaded sheet: its row, column and message."""

    row: int | str
    column: str
    message: str


def row_errors(exc: AppError, lang: Lang) -> list[RowError]:
    """An upload's refusal, one line per offending cell."""
    found = []
    for error in exc.errors or []:
        loc = [*error.get("loc", []), "", "", ""]
        message = field_message(lang, error)
        if loc[0] == "file":
            found.append(RowError(row=loc[1], column=str(loc[2]), message=message))
        else:
            found.append(RowError(row="", column=".".join(map(str, loc[1:3])), message=message))
    return found


def row_label(row: RollupRow, lang: Lang) -> str:
    """How a chart names a rollup row."""
    if row.status is not None:
        return status_name(lang, row.status)
    if row.start_year is not None:
        return str(row.start_year)
    return row.park_name or row.category_name or ""


def column_names(session: Session, lang: Lang) -> dict[str, str]:
    """Headers for the reconciliation tables' columns (categories, start-year buckets)."""
    return {
        "all": message(lang, "headline"),
        "before_2019": "2019年以前" if lang == "zh" else "before 2019",
        **{category.id: category.name for category in list_categories(session)},
    }
