"""What a progress upload answers: a summary with a preview of every row."""

import enum
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.models import ProjectStatus
from app.reports.schemas import PERIOD_DUE_RULE

PERIOD_PATTERN = r"^(19[5-9]\d|2\d{3})-(0[1-9]|1[0-2])$"
PERIOD_DESCRIPTION = (
    f"Reporting month, YYYY-MM; not later than the current month in China (Asia/Shanghai). "
    f"Default: the period due today. {PERIOD_DUE_RULE}"
)
DRY_RUN_DESCRIPTION = (
    "`true`: check every row exactly as a real upload would (the project's history "
    "included), answer 200 with what would be stored, and store nothing."
)
FILE_DESCRIPTION = (
    "The filled template as XLSX, or the same columns as CSV (UTF-8 with or without BOM, or "
    "GB18030 as Excel saves it in China). Columns are found by their header in the first "
    "non-empty row; their order does not matter and other columns are ignored. At most "
    "5 MiB and 5,000 data rows."
)


class SpreadsheetFormat(enum.StrEnum):
    """What an uploaded file was read as."""

    xlsx = "xlsx"
    csv = "csv"


class RowAction(enum.StrEnum):
    """What an upload did, or on a dry run would do, with a row."""

    create = "create"
    unchanged = "unchanged"


ROW_EXAMPLE: dict[str, Any] = {
    "row": 2,
    "project_code": "INF-005",
    "project_name": "大连高新区智慧园区建设项目",
    "action": "create",
    "entry_id": 412,
    "revision": 1,
    "as_of": "2026-10-31",
    "period": "2026-10",
    "status": "under_construction",
    "percent_complete": 65,
    "invested_to_date_wan": 143000,
    "note": "主体结构封顶，进入设备安装阶段。",
    "issues": "部分进口设备到货延迟。",
}


class UploadRow(BaseModel):
    """One data row of an upload and what became of it."""

    model_config = ConfigDict(json_schema_extra={"examples": [ROW_EXAMPLE]})

    row: int = Field(description="Row number as the spreadsheet shows it (the header is row 1).")
    project_code: str
    project_name: str
    action: RowAction = Field(
        description="`create`: stored as a new entry (on a dry run: would be); `unchanged`: "
        "equal to the newest entry of its period, so nothing is stored for it."
    )
    entry_id: int | None = Field(
        description="The entry stored; for `unchanged`, the equal entry already stored; "
        "null for `create` on a dry run."
    )
    revision: int = Field(description="Revision of its period the row is (or would be) stored as.")
    as_of: date = Field(description="报告日期: the date reported on.")
    period: str = Field(description="Reporting period, the month of `as_of` (YYYY-MM).")
    status: ProjectStatus = Field(description="项目状态.")
    percent_complete: int | None = Field(description="完成百分比, 0–100 %.")
    invested_to_date_wan: int | None = Field(
        description="累计完成投资 to `as_of`, 万元 (CNY 10,000)."
    )
    note: str = Field(description="形象进度.")
    issues: str = Field(description="存在问题.")


class UploadSummary(BaseModel):
    """The outcome of a progress upload: counts, the stored entry ids and every row."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "dry_run": False,
                    "file_format": "xlsx",
                    "sheet": "月度进展",
                    "rows_read": 21,
                    "rows_skipped": 0,
                    "rows_stored": 1,
                    "rows_unchanged": 20,
                    "entry_ids": [412],
                    "rows": [ROW_EXAMPLE],
                }
            ]
        }
    )

    dry_run: bool = Field(description="True when nothing was stored on purpose.")
    file_format: SpreadsheetFormat = Field(description="What the file was read as.")
    sheet: str | None = Field(description="The worksheet read (XLSX only).")
    rows_read: int = Field(description="Rows holding figures; blank rows are not counted.")
    rows_skipped: int = Field(
        description="Rows naming a project but with every figure blank: not reported on."
    )
    rows_stored: int = Field(
        description="Rows stored as new entries; on a dry run, the rows that would be."
    )
    rows_unchanged: int = Field(
        description="Rows equal to the newest entry of their period, so not stored again."
    )
    entry_ids: list[int] = Field(description="Ids of the entries stored; empty on a dry run.")
    rows: list[UploadRow] = Field(description="Every row read, in file order.")
