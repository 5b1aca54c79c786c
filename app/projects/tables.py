"""The project list as an exported table: Chinese headers with units, totals from the database."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlmodel import Session

from app.exports.writers import Column, Table
from app.projects import service
from app.projects.schemas import ProjectListQuery

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
    Column("项目代码", 28),
    Column("业主单位", 24),
    Column("责任单位", 20),
    Column("包保领导", 12),
    Column("入库批次", 24),
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
            *[None] * (len(PROJECT_COLUMNS) - 13),
        ],
        filename=filename,
    )


def export_table(session: Session, *, query: ProjectListQuery) -> Table:
    """Every matching project (paging ignored) as a streamed table with database totals."""
    return projects_table(
        service.export_rows(session, query=query),
        service.export_totals(session, query=query),
        filename="projects",
    )
