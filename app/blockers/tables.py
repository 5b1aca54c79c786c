"""The 问题清单 and its summary as exported tables: Chinese headers, the count last."""

from collections.abc import Iterable, Iterator
from typing import Any

from app.blockers.schemas import BlockerCounts, BlockerPublic, BlockerSummary, SummaryBy
from app.clock import REPORTING_TZ
from app.exports.writers import Column, Table

BLOCKER_COLUMNS = [
    Column("问题编号", 10),
    Column("项目编号", 10),
    Column("项目名称", 36),
    Column("园区", 26),
    Column("问题类型", 12),
    Column("问题描述", 50),
    Column("提出人", 20),
    Column("提出时间", 18),
    Column("责任单位", 24),
    Column("层级", 8),
    Column("解决时限", 12),
    Column("状态", 10),
    Column("是否超期", 10),
    Column("办理结果", 40),
    Column("办结时间", 18),
]


def _local(value: Any) -> str | None:
    # To the minute, in China time, as people read it.
    return value.astimezone(REPORTING_TZ).strftime("%Y-%m-%d %H:%M") if value else None


def _row(b: BlockerPublic) -> list[Any]:
    return [
        b.id,
        b.project_code,
        b.project_name,
        b.park_name,
        b.type_name,
        b.description,
        b.raised_by,
        _local(b.raised_at),
        b.responsible_unit,
        b.level_name,
        b.deadline,
        b.state_name,
        "超期" if b.overdue else "",
        b.resolution,
        _local(b.resolved_at),
    ]


def blockers_table(items: Iterable[BlockerPublic], total: int) -> Table:
    """Every blocker of the list's filters, one row each, streamed."""

    def rows() -> Iterator[list[Any]]:
        for blocker in items:
            yield _row(blocker)

    return Table(
        title="问题清单",
        columns=BLOCKER_COLUMNS,
        rows=rows(),
        totals=[f"合计（{total}个）", *([None] * (len(BLOCKER_COLUMNS) - 1))],
        filename="blockers",
        notes=["超期：未办结且已过解决时限（以北京时间当日计）。"],
    )


_GROUP_HEADERS = {
    SummaryBy.type: "问题类型",
    SummaryBy.unit: "责任单位",
    SummaryBy.level: "层级",
    SummaryBy.state: "状态",
    SummaryBy.park: "园区",
    SummaryBy.category: "项目类别",
}
_COUNT_COLUMNS = [
    Column("提出问题", 10),
    Column("未办结", 10),
    Column("超期", 8),
    Column("已办结", 10),
    Column("办结率（%）", 12),
]


def _counts(c: BlockerCounts) -> list[Any]:
    return [c.raised, c.open, c.overdue, c.resolved, c.resolution_rate_pct]


def summary_table(summary: BlockerSummary) -> Table:
    """A summary by one grouping, with the totals last."""
    return Table(
        title="问题办理情况",
        columns=[Column(_GROUP_HEADERS[summary.by], 26), *_COUNT_COLUMNS],
        rows=[[row.name, *_counts(row)] for row in summary.rows],
        totals=["合计", *_counts(summary.totals)],
        filename=f"blockers-by-{summary.by.value}",
        notes=["办结率 = 已办结 ÷ 提出问题 × 100%，无问题时为空。"],
    )
