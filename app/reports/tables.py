"""The planners' reports as exported tables: Chinese headers with units, totals rows."""

from typing import Any

from app.exports.writers import Column, Table
from app.reports.schemas import Blockers, Changes, Compliance, Reconciliation


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
        Column("可解释差额的项目", 30),
        Column("说明", 60),
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
            "、".join(c.code for c in cell.candidates),
            cell.explanation,
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
            None,
            h.explanation,
        ],
        filename="reconciliation",
    )
