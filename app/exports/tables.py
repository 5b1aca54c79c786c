"""The exported tables: Chinese headers with units, totals rows from the database."""

from collections.abc import Iterable, Sequence
from typing import Any

from app.exports.writers import Column, Table
from app.models import ProjectStatus
from app.reports.schemas import Blockers, Changes, Compliance, Reconciliation
from app.rollups.schemas import Dim, Measures, Rollup, RollupRow

PROJECT_COLUMNS = [
    Column("项目编号", 10),
    Column("项目类别", 14),
    Column("序号", 6),
    Column("项目名称", 36),
    Column("园区", 24),
    Column("所属园区名称（附件原文）", 24),
    Column("主要建设内容及规模", 60),
    Column("开工年份", 10),
    Column("完工年份", 10),
    Column("总投资（万元）", 14),
    Column("项目状态", 10),
    Column("完成百分比（%）", 14),
    Column("累计完成投资（万元）", 18),
    Column("报告日期", 12),
    Column("形象进度", 40),
    Column("存在问题", 30),
]


def projects_table(
    rows: Iterable[Sequence[Any]], totals: tuple[int, int, int], *, filename: str
) -> Table:
    """The project list with its current figures."""
    count, planned, invested = totals
    return Table(
        title="项目清单",
        columns=PROJECT_COLUMNS,
        rows=rows,
        totals=[
            f"合计（{count}个）",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            planned,
            None,
            None,
            invested,
            None,
            None,
            None,
        ],
        filename=filename,
    )


_DIMENSION_COLUMNS: dict[Dim, list[tuple[str, Column]]] = {
    Dim.park: [("park_id", Column("园区编号", 14)), ("park_name", Column("园区", 26))],
    Dim.category: [("category_name", Column("项目类别", 14))],
    Dim.start_year: [("start_year", Column("开工年份", 10))],
    Dim.start_bucket: [("start_bucket_name", Column("开工年份分组", 14))],
    Dim.status: [("status_name", Column("项目状态", 10))],
    Dim.tier: [("tier_name", Column("园区类别", 10))],
    Dim.construction_type: [("construction_type_name", Column("建设性质", 10))],
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
]


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
    ]


def rollup_table(rollup: Rollup) -> Table:
    """A rollup's rows (a cross-tab as long rows), with the grand total last."""
    keys = [(key, column) for dim in rollup.by for key, column in _DIMENSION_COLUMNS[dim]]

    def row(r: RollupRow) -> list[Any]:
        return [getattr(r, key) for key, _ in keys] + _measures(r)

    return Table(
        title="汇总",
        columns=[column for _, column in keys] + _MEASURE_COLUMNS,
        rows=[row(r) for r in rollup.rows],
        totals=["合计", *([None] * (len(keys) - 1)), *_measures(rollup.totals)],
        filename="rollup-" + "-".join(rollup.by),
        notes=[
            f"口径：{'仅已审核报告' if rollup.figures == 'official' else '全部报告（最新）'}",
            f"截至：{rollup.as_of or '当前'}",
        ],
    )


def compliance_table(report: Compliance) -> Table:
    """Reporting compliance per park."""
    columns = [
        Column("园区", 26),
        Column("项目个数", 10),
        Column("已报送", 10),
        Column("未报送", 10),
        Column("逾期报送", 10),
        Column("退回修改", 10),
        Column("未报送项目", 40),
        Column("逾期项目", 30),
        Column("退回项目", 30),
    ]

    def values(r: Any, name: str) -> list[Any]:
        return [
            name,
            r.project_count,
            r.reported,
            r.missing,
            r.late,
            r.returned,
            "、".join(r.missing_projects),
            "、".join(r.late_projects),
            "、".join(r.returned_projects),
        ]

    return Table(
        title=f"报送情况 {report.period}",
        columns=columns,
        rows=[values(p, p.park_name or "") for p in report.parks],
        totals=values(report.totals, "合计"),
        filename=f"compliance-{report.period}",
    )


def changes_table(report: Changes) -> Table:
    """Status moves and investment added by park and category."""
    columns = [
        Column("园区", 26),
        Column("项目类别", 14),
        Column("项目个数", 10),
        Column("新开工", 10),
        Column("竣工", 10),
        Column("停建", 10),
        Column("取消", 10),
        Column("新增完成投资（万元）", 20),
    ]

    def values(r: Any, park: str | None, category: str | None) -> list[Any]:
        counts = [r.project_count, r.started, r.completed, r.suspended, r.cancelled]
        return [park, category, *counts, r.investment_added_wan]

    return Table(
        title="变化情况",
        columns=columns,
        rows=[values(r, r.park_name, r.category_name) for r in report.rows],
        totals=values(report.totals, "合计", None),
        filename=f"changes-{report.from_date}-{report.to_date}",
    )


def blockers_table(report: Blockers) -> Table:
    """Open blockers, one row per project."""
    columns = [
        Column("园区", 26),
        Column("项目编号", 10),
        Column("项目名称", 36),
        Column("存在问题", 50),
        Column("报告日期", 12),
        Column("报告人", 16),
        Column("报告编号", 10),
    ]
    rows = [
        [
            park.park_name,
            b.project_code,
            b.project_name,
            b.issues,
            b.as_of,
            b.reporter_name,
            b.entry_id,
        ]
        for park in report.parks
        for b in park.items
    ]
    return Table(
        title="存在问题",
        columns=columns,
        rows=rows,
        totals=[f"合计（{report.total}个）", None, None, None, None, None, None],
        filename="blockers",
    )


def reconciliation_table(report: Reconciliation) -> Table:
    """Tables 4 and 5, one row per cell: published, computed, difference."""
    columns = [
        Column("表", 8),
        Column("行", 24),
        Column("列", 18),
        Column("公布个数", 10),
        Column("公布金额（万元）", 16),
        Column("计算个数", 10),
        Column("计算金额（万元）", 16),
        Column("差额个数", 10),
        Column("差额金额（万元）", 16),
        Column("一致", 6),
    ]
    rows = [
        [
            name,
            row.label,
            column,
            cell.published.count,
            cell.published.amount_wan,
            cell.computed.count,
            cell.computed.amount_wan,
            cell.difference.count,
            cell.difference.amount_wan,
            "是" if cell.matches else "否",
        ]
        for name, table in (("表4", report.table4), ("表5", report.table5))
        for row in table.rows
        for column, cell in row.cells.items()
    ]
    h = report.headline
    return Table(
        title="核对",
        columns=columns,
        rows=rows,
        totals=[
            "总计",
            "项目库",
            "all",
            h.published.count,
            h.published.amount_wan,
            h.computed.count,
            h.computed.amount_wan,
            h.difference.count,
            h.difference.amount_wan,
            "是" if h.difference.count == 0 == h.difference.amount_wan else "否",
        ],
        filename="reconciliation",
    )
