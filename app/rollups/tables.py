"""A rollup as an exported table: Chinese headers with units, the grand total last."""

from typing import Any

from app.exports.writers import Column, Table
from app.models import ProjectStatus
from app.projects.schemas import UNSPECIFIED
from app.rollups.schemas import VERDICT_NAMES, Dim, Measures, Rollup, RollupRow, Series, SeriesRow

_DIMENSION_COLUMNS: dict[Dim, list[tuple[str, Column]]] = {
    Dim.park: [("park_id", Column("园区编号", 14)), ("park_name", Column("园区", 26))],
    Dim.category: [("category_name", Column("项目类别", 14))],
    Dim.start_year: [("start_year", Column("开工年份", 10))],
    Dim.start_bucket: [("start_bucket_name", Column("开工年份分组", 14))],
    Dim.status: [("status_name", Column("项目状态", 10))],
    Dim.tier: [("tier_name", Column("园区类别", 10))],
    Dim.construction_type: [("construction_type_name", Column("建设性质", 10))],
    Dim.unit: [("responsible_unit", Column("责任单位", 24))],
    Dim.leader: [("leader", Column("包保领导", 12))],
}
_MEASURE_COLUMNS = [
    Column("项目个数", 10),
    Column("总投资（万元）", 16),
    Column("累计完成投资（万元）", 18),
    Column("投资完成率（%）", 14),
    Column("前期", 8),
    Column("在建", 8),
    Column("竣工", 8),
    Column("停建", 8),
    Column("取消", 8),
    Column("存在问题项目数", 14),
    Column("序时进度差（百分点）", 18),
    Column("年度计划投资（万元）", 18),
    Column("年度完成投资（万元）", 18),
    Column("年度完成率（%）", 14),
    Column("序时进度（%）", 12),
    Column("超/低于序时进度（百分点）", 22),
    Column("评价", 8),
    Column("计划新开工", 10),
    Column("实际开工", 10),
    Column("开工率（%）", 12),
    Column("计划竣工", 10),
    Column("实际竣工", 10),
    Column("竣工率（%）", 12),
    Column("超期项目", 10),
    Column("提出问题", 10),
    Column("未办结问题", 10),
    Column("超期问题", 10),
    Column("已办结问题", 10),
    Column("办结率（%）", 12),
]


# The dimensions whose rows of projects without a value hold null.
_NAMED_KEYS = frozenset({"responsible_unit", "leader"})


def _key_cell(row: RollupRow | SeriesRow, key: str) -> Any:
    value = getattr(row, key)
    return UNSPECIFIED if value is None and key in _NAMED_KEYS else value


def _measures(m: Measures) -> list[Any]:
    rate = None if m.completion_rate is None else round(100 * m.completion_rate, 2)
    return [
        m.project_count,
        m.total_investment_wan,
        m.invested_to_date_wan,
        rate,
        *(m.status_counts.get(s, 0) for s in ProjectStatus),
        m.open_blockers,
        m.schedule_gap_pct,
        m.year_planned_investment_wan,
        m.year_invested_wan,
        m.year_completion_pct,
        m.time_elapsed_pct,
        m.year_gap_pct,
        VERDICT_NAMES[m.verdict] if m.verdict else None,
        m.planned_starts,
        m.actual_starts,
        m.start_rate_pct,
        m.planned_completions,
        m.actual_completions,
        m.completion_rate_pct,
        m.overdue,
        m.blockers_raised,
        m.blockers_open,
        m.blockers_overdue,
        m.blockers_resolved,
        m.resolution_rate_pct,
    ]


def rollup_table(rollup: Rollup) -> Table:
    """A rollup's rows (a cross-tab as long rows), with the grand total last."""
    keys = [(key, column) for dim in rollup.by for key, column in _DIMENSION_COLUMNS[dim]]

    def row(r: RollupRow) -> list[Any]:
        return [_key_cell(r, key) for key, _ in keys] + _measures(r)

    return Table(
        title="汇总",
        columns=[column for _, column in keys] + _MEASURE_COLUMNS,
        rows=[row(r) for r in rollup.rows],
        totals=["合计", *([None] * (len(keys) - 1)), *_measures(rollup.totals)],
        filename="rollup-" + "-".join(rollup.by),
        notes=[
            f"口径：{'仅已审核报告' if rollup.figures == 'official' else '全部报告（最新）'}",
            f"截至：{rollup.as_of or '当前'}",
            f"数据期末：{rollup.period_end or '不限'}",
            f"年度：{rollup.year}年，序时进度按月计（第N月末为N/12）",
        ],
    )


_SERIES_COLUMNS = [
    Column("开工", 8),
    Column("复工", 8),
    Column("开复工", 8),
    Column("竣工", 8),
    Column("投产", 8),
    Column("完成投资（万元）", 16),
]


def _series_figures(r: SeriesRow) -> list[Any]:
    return [r.started, r.resumed, r.started_or_resumed, r.completed, r.commissioned, r.invested_wan]


def series_table(series: Series) -> Table:
    """A series by period (and group), with its totals row summing the range."""
    keys = [(key, column) for dim in series.by for key, column in _DIMENSION_COLUMNS[dim]]
    rows = series.rows if series.by else series.totals
    return Table(
        title="分期统计",
        columns=[Column("期间", 14), *(column for _, column in keys), *_SERIES_COLUMNS],
        rows=[
            [r.period_name, *(_key_cell(r, key) for key, _ in keys), *_series_figures(r)]
            for r in rows
        ],
        totals=[
            "合计",
            *([None] * len(keys)),
            *(
                sum(values)
                for values in zip(*(_series_figures(r) for r in series.totals), strict=True)
            ),
        ]
        if series.totals
        else None,
        filename=f"series-{series.interval}-{series.from_}-{series.to}",
        notes=[
            f"口径：{'仅已审核报告' if series.figures == 'official' else '全部报告（最新）'}",
            f"截至：{series.as_of or '当前'}",
        ],
    )
