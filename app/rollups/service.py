"""Rollups: the filtered portfolio grouped by one or two dimensions, with drill-down links."""

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from threading import Lock
from time import monotonic
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session

from app import clock
from app.config import API_PREFIX
from app.db import ByDialect
from app.models import STATUS_NAMES, TIER_NAMES, ProgressEntry, ProjectStatus, Tier
from app.progress import current, current_postgresql
from app.progress.current import ProjectState, present_state
from app.progress.schemas import Figures
from app.progress.service import (
    FIGURE_PREFIX,
    end_of_day_utc,
    entry_conditions,
    month_of,
)
from app.projects.derived import BEFORE_FIRST_BUCKET
from app.projects.schemas import UNSPECIFIED, ProjectFilters
from app.projects.service import filter_conditions
from app.rollups import queries, queries_postgresql
from app.rollups.schemas import (
    Dim,
    Measures,
    Rollup,
    RollupQuery,
    RollupRow,
    Series,
    SeriesQuery,
    SeriesRow,
    Verdict,
)

CONSTRUCTION_TYPE_NAMES = {"new": "新建", "continuing": "续建", "planned": "计划"}


# The tuned forms a rollup runs: PostgreSQL's in the `*_postgresql.py` beside each.
CURRENT_STATE = ByDialect(current.current_state, postgresql=current_postgresql.current_state)
AGGREGATE_GROUPINGS = ByDialect(
    queries.aggregate_groupings, postgresql=queries_postgresql.aggregate_groupings
)


def figures_state(
    figures: Figures,
    *,
    as_of: date | None = None,
    period_end: date | None = None,
    dialect: str,
    whole_portfolio: bool = False,
) -> ProjectState:
    """Where the figures come from: the project rows for the present, else history."""
    if as_of is None and period_end is None:
        return present_state(FIGURE_PREFIX[figures])
    return CURRENT_STATE(dialect)(
        entry_conditions(figures, as_of=as_of, period_end=period_end),
        month=month_of(as_of, period_end),
        whole_portfolio=whole_portfolio,
    )


def year_of(query: RollupQuery) -> tuple[int, date | None]:
    """The year of the year's measures, and the period end the rollup then reads at.

    A past year is read at its last day (unless an earlier `period_end` or `as_of` is given).
    """
    day = query.seen_at()
    year = query.year if query.year is not None else day.year
    period_end = query.period_end
    if year < day.year:
        period_end = min(date(year, 12, 31), period_end or date(year, 12, 31))
    return year, period_end


def build_rollup(session: Session, *, query: RollupQuery) -> Rollup:
    """Group the filtered portfolio by `query.by`; every sum comes from the database."""
    conditions = filter_conditions(session, query)
    dialect = session.get_bind().dialect.name
    year, period_end = year_of(query)
    state = figures_state(
        query.figures,
        as_of=query.as_of,
        period_end=period_end,
        dialect=dialect,
        whole_portfolio=query.whole_portfolio(),
    )
    reporting_year = query.effective_reporting_year()
    day = min(d for d in (query.as_of, period_end, clock.today()) if d is not None)
    frame = queries.Frame(year=year, day=day, prefix=FIGURE_PREFIX[query.figures])
    dims = queries.dimensions(state, reporting_year)

    crosstab = len(query.by) == 2
    groupings: list[Sequence[Dim]] = (
        [query.by, query.by[:1], query.by[1:], []] if crosstab else [query.by, []]
    )
    results = AGGREGATE_GROUPINGS(dialect)(
        session,
        state=state,
        groupings=[[dims[d] for d in by] for by in groupings],
        conditions=conditions,
        frame=frame,
    )
    elapsed = round(100 * queries.elapsed_share(day, year), 1)

    def rows(index: int) -> list[RollupRow]:
        by = groupings[index]
        return [_row(values, by, query, reporting_year, elapsed) for values in results[index]]

    return Rollup(
        by=query.by,
        figures=query.figures,
        as_of=query.as_of,
        period_end=query.period_end,
        year=year,
        seen_at=day,
        reporting_year=reporting_year,
        rows=rows(0),
        row_totals=rows(1) if crosstab else None,
        column_totals=rows(2) if crosstab else None,
        totals=_measures(results[-1][0], elapsed),
    )


# Two writers' commits can land in the opposite order of their ids and timestamps, leaving
# the data version unchanged by the later commit; a short life bounds how long a rollup
# computed between them is served.
CACHE_SECONDS = 5.0


@dataclass
class RollupAnswer:
    """A computed rollup and, once asked for, its JSON body."""

    rollup: Rollup

    @cached_property
    def json(self) -> bytes:
        """The body FastAPI would send for the rollup, encoded once for every answer."""
        return self.rollup.model_dump_json(exclude_unset=True).encode()


class RollupCache:
    """Rollups an application computed recently, by ETag (which moves with the data) and day."""

    def __init__(self, size: int = 256) -> None:
        self._entries: OrderedDict[tuple[str, date], tuple[float, Any]] = OrderedDict()
        self._building: dict[tuple[str, date], Lock] = {}
        self._lock = Lock()
        self._size = size

    def get(self, key: tuple[str, date]) -> Any:
        with self._lock:
            hit = self._entries.get(key)
        if hit is None or monotonic() - hit[0] >= CACHE_SECONDS:
            return None
        return hit[1]

    def put(self, key: tuple[str, date], rollup: Any) -> None:
        with self._lock:
            self._entries[key] = (monotonic(), rollup)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def get_or_build(self, key: tuple[str, date], build: Callable[[], Any]) -> Any:
        """The cached rollup, else built by one request while the others asking wait for it."""
        rollup = self.get(key)
        if rollup is not None:
            return rollup
        # Without this, every request arriving while a rollup is missing computes it too,
        # and under load the database drowns in identical GROUP BYs.
        with self._lock:
            building = self._building.setdefault(key, Lock())
        with building:
            rollup = self.get(key)
            if rollup is None:
                rollup = build()
                self.put(key, rollup)
        with self._lock:
            self._building.pop(key, None)
        return rollup


def _cache_key(etag: str) -> tuple[str, date]:
    # The day matters too: it sets the reporting year and how much of each schedule elapsed.
    return etag, clock.today()


def cached_answer(cache: RollupCache, *, etag: str) -> RollupAnswer | None:
    """The rollup `etag` names if `cache` holds it: no database, no waiting."""
    answer: RollupAnswer | None = cache.get(_cache_key(etag))
    return answer


def cached_rollup(
    session: Session, *, query: RollupQuery, etag: str, cache: RollupCache
) -> RollupAnswer:
    """`build_rollup`, answered from `cache` while the data and the day are unchanged."""
    answer: RollupAnswer = cache.get_or_build(
        _cache_key(etag), lambda: RollupAnswer(build_rollup(session, query=query))
    )
    return answer


def cached_series(session: Session, *, query: SeriesQuery, key: str, cache: RollupCache) -> Series:
    """`build_series`, answered from `cache` while the data and the day are unchanged (`key`:
    the request's ETag, or another fingerprint that moves with the data and the query)."""
    series: Series = cache.get_or_build(_cache_key(key), lambda: build_series(session, query=query))
    return series


def verdict(gap_pct: float | None) -> Verdict | None:
    """The year's verdict for a gap to 序时进度 in percentage points (None: no plan)."""
    if gap_pct is None:
        return None
    if gap_pct > queries.VERDICT_MARGIN_PCT:
        return Verdict.ahead
    if gap_pct < -queries.VERDICT_MARGIN_PCT:
        return Verdict.behind
    return Verdict.on_schedule


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _measures(values: Mapping[str, Any], elapsed: float) -> Measures:
    planned = int(values["total_investment_wan"])
    invested = int(values["invested_to_date_wan"])
    weight = values["gap_weight"]
    year_planned = int(values["year_planned_investment_wan"])
    year_invested = int(values["year_invested_wan"])
    year_rate = _pct(year_invested, year_planned)
    gap = None if year_rate is None else round(year_rate - elapsed, 1)
    with_plan = int(values["year_planned_projects"])
    ahead, behind = int(values["projects_ahead"]), int(values["projects_behind"])
    starts, started = int(values["planned_starts"]), int(values["actual_starts"])
    completions = int(values["planned_completions"])
    completed = int(values["actual_completions"])
    raised, resolved = int(values["blockers_raised"]), int(values["blockers_resolved"])
    return Measures(
        project_count=values["project_count"],
        total_investment_wan=planned,
        invested_to_date_wan=invested,
        completion_rate=round(invested / planned, 4) if planned else None,
        status_counts={s: int(values[f"count_{s.value}"]) for s in ProjectStatus},
        open_blockers=int(values["open_blockers"]),
        schedule_gap_pct=round(100 * values["gap_weighted"] / weight, 1) if weight else None,
        year_planned_investment_wan=year_planned,
        year_invested_wan=year_invested,
        year_completion_pct=year_rate,
        time_elapsed_pct=elapsed,
        year_gap_pct=gap,
        verdict=verdict(gap),
        year_planned_projects=with_plan,
        projects_ahead=ahead,
        projects_on_schedule=with_plan - ahead - behind,
        projects_behind=behind,
        planned_starts=starts,
        actual_starts=started,
        start_rate_pct=_pct(started, starts),
        planned_completions=completions,
        actual_completions=completed,
        completion_rate_pct=_pct(completed, completions),
        overdue=int(values["overdue"]),
        blockers_raised=raised,
        blockers_open=raised - resolved,
        blockers_overdue=int(values["blockers_overdue"]),
        blockers_resolved=resolved,
        resolution_rate_pct=_pct(resolved, raised),
    )


def _row(
    values: Mapping[str, Any],
    by: Sequence[Dim],
    query: RollupQuery,
    reporting_year: int,
    elapsed: float,
) -> RollupRow:
    fields: dict[str, Any] = {}
    drill: dict[str, Any] = {}
    for i, dim in enumerate(by):
        key, label = values[f"key_{i}"], values[f"label_{i}"]
        fields.update(_dimension_fields(dim, key, label))
        drill[dim.value] = _drill_value(dim, key)
    if Dim.construction_type in by:
        drill["reporting_year"] = reporting_year
    return RollupRow(
        **_measures(values, elapsed).model_dump(), **fields, projects=projects_link(query, drill)
    )


def _dimension_fields(dim: Dim, key: Any, label: Any) -> dict[str, Any]:
    if dim is Dim.park:
        return {"park_id": key, "park_name": label}
    if dim is Dim.category:
        return {"category": key, "category_name": label}
    if dim is Dim.start_year:
        return {"start_year": key}
    if dim is Dim.start_bucket:
        name = "2019年以前" if key == BEFORE_FIRST_BUCKET else f"{key}年"
        return {"start_bucket": key, "start_bucket_name": name}
    if dim is Dim.status:
        return {"status": key, "status_name": STATUS_NAMES[ProjectStatus(key)]}
    if dim is Dim.tier:
        return {"tier": key, "tier_name": TIER_NAMES[Tier(key)]}
    if dim is Dim.unit:
        return {"responsible_unit": key or None}
    if dim is Dim.leader:
        return {"leader": key or None}
    return {"construction_type": key, "construction_type_name": CONSTRUCTION_TYPE_NAMES[key]}


def _drill_value(dim: Dim, key: Any) -> Any:
    """The `/projects` filter value listing a row's projects."""
    if dim in (Dim.unit, Dim.leader):
        # Names may hold commas, so these filters take one value per parameter.
        return [key or UNSPECIFIED]
    return key


def projects_link(filters: ProjectFilters, overrides: dict[str, Any]) -> str:
    """The `/projects` URL listing what a rollup cell counts."""
    params: list[tuple[str, str]] = []
    for name in ProjectFilters.NARROWING:
        value = overrides.get(name, getattr(filters, name))
        if name in ProjectFilters.REPEATED:
            params.extend((name, str(v)) for v in value)
            continue
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if value not in (None, ""):
            params.append((name, str(value)))
    if filters.figures is not Figures.latest:
        params.append(("figures", filters.figures.value))
    if filters.as_of is not None:
        params.append(("as_of", filters.as_of.isoformat()))
    if filters.period_end is not None:
        params.append(("period_end", filters.period_end.isoformat()))
    reporting_year = overrides.get("reporting_year", filters.reporting_year)
    if reporting_year is not None:
        params.append(("reporting_year", str(reporting_year)))
    query = urlencode(params, safe=",")
    return f"{API_PREFIX}/projects" + (f"?{query}" if query else "")


_QUARTER_NAMES = ("一", "二", "三", "四")


def _period(number: int, interval: queries.Interval) -> tuple[str, str]:
    """A period's key and Chinese name from its number (`queries.bucket`)."""
    if interval is queries.Interval.month:
        year, month = divmod(number, 12)
        return f"{year:04d}-{month + 1:02d}", f"{year}年{month + 1}月"
    year, quarter = divmod(number, 4)
    return f"{year:04d}-Q{quarter + 1}", f"{year}年{_QUARTER_NAMES[quarter]}季度"


def _month_number(month: str, interval: queries.Interval) -> int:
    year, number = int(month[:4]), int(month[5:7])
    return (
        year * 12 + number - 1
        if interval is queries.Interval.month
        else year * 4 + (number - 1) // 3
    )


_SERIES_FIGURES = ("started", "resumed", "completed", "commissioned", "invested_wan")


def build_series(session: Session, *, query: SeriesQuery) -> Series:
    """Starts, resumptions, completions, commissionings and investment per period and group."""
    interval = query.interval
    first, last = _month_number(query.from_, interval), _month_number(query.to, interval)
    # The whole periods the range touches: a quarter from its first month to its last.
    first_key, last_key = _period(first, interval)[0], _period(last, interval)[0]
    if interval is queries.Interval.quarter:
        first_month = f"{first_key[:4]}-{3 * (first % 4) + 1:02d}"
        last_month = f"{last_key[:4]}-{3 * (last % 4) + 3:02d}"
    else:
        first_month, last_month = query.from_, query.to
    first_day = date(int(first_month[:4]), int(first_month[5:7]), 1)
    end_year, end_month = int(last_month[:4]), int(last_month[5:7])
    last_day = date(end_year + end_month // 12, end_month % 12 + 1, 1) - timedelta(days=1)
    if query.as_of is not None:
        last_day = min(last_day, query.as_of)

    conditions = filter_conditions(session, query)
    dims = queries.dimensions(present_state(), query.effective_reporting_year())
    group = [dims[d] for d in query.by]
    # The present sums each entry's stored move; a day in the past recomputes the moves
    # from the entries known then.
    reports = (
        queries.series_of_moves(
            session,
            prefix=FIGURE_PREFIX[query.figures],
            interval=interval,
            first_period=first_month,
            last_period=last_month,
            group=group,
            conditions=conditions,
        )
        if query.as_of is None
        else queries.series_of_reports(
            session,
            entry_conditions=entry_conditions(
                query.figures, as_of=query.as_of, entry=ProgressEntry
            ),
            opening_prefix=FIGURE_PREFIX[query.figures],
            interval=interval,
            first_period=first_month,
            last_period=last_month,
            group=group,
            conditions=conditions,
        )
    )
    found = [
        *reports,
        *queries.series_of_milestones(
            session,
            interval=interval,
            first_day=first_day,
            last_day=last_day,
            recorded_before=None if query.as_of is None else end_of_day_utc(query.as_of),
            group=group,
            conditions=conditions,
        ),
    ]
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in found:
        found_values = row._mapping
        key = (
            int(found_values["bucket"]),
            *(found_values[f"key_{i}"] for i in range(len(group))),
        )
        cell = merged.setdefault(
            key,
            {
                **dict.fromkeys(_SERIES_FIGURES, 0),
                **{
                    k: v
                    for k, v in found_values.items()
                    if k.startswith(("key_", "label_", "order_"))
                },
            },
        )
        for name in _SERIES_FIGURES:
            if name in found_values:
                cell[name] += int(found_values[name])
    ordered = sorted(
        merged.items(),
        key=lambda item: (item[0][0], *(item[1][f"order_{i}"] for i in range(len(group)))),
    )
    rows = [
        _series_row(number, cell, query.by, interval)
        for (number, *_), cell in ordered
        if first <= number <= last
    ]
    totals = []
    for number in range(first, last + 1):
        cell = dict.fromkeys(_SERIES_FIGURES, 0)
        for (bucket, *_), values in merged.items():
            if bucket == number:
                for name in _SERIES_FIGURES:
                    cell[name] += values[name]
        totals.append(_series_row(number, cell, [], interval))
    return Series(
        interval=interval,
        from_=first_key,
        to=last_key,
        by=query.by,
        figures=query.figures,
        as_of=query.as_of,
        rows=rows,
        totals=totals,
    )


def _series_row(
    number: int, cell: Mapping[str, Any], by: Sequence[Dim], interval: queries.Interval
) -> SeriesRow:
    key, name = _period(number, interval)
    fields: dict[str, Any] = {}
    for i, dim in enumerate(by):
        fields.update(_dimension_fields(dim, cell[f"key_{i}"], cell[f"label_{i}"]))
    started, resumed = int(cell["started"]), int(cell["resumed"])
    return SeriesRow(
        period=key,
        period_name=name,
        started=started,
        resumed=resumed,
        started_or_resumed=started + resumed,
        completed=int(cell["completed"]),
        commissioned=int(cell["commissioned"]),
        invested_wan=int(cell["invested_wan"]),
        **fields,
    )
