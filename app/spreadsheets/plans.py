"""A park's annual plans as a spreadsheet: the template out, a filled sheet back in.

The upload reads the file with the monthly sheet's reader and limits
(`app.spreadsheets.workbook`), checks every row, and writes each changed plan through the one
plan write (`app.plans.service.apply_plan`) in one transaction: a dry run or any row's error
rolls the whole file back.
"""

import io
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.auth.policy import Principal, ensure_can_download_template
from app.exports.cells import put
from app.models import Category, Park, Project, ProjectYear
from app.plans import service as plans_service
from app.plans.schemas import (
    MAX_DOCUMENT,
    MAX_REASON,
    MAX_TARGET,
    PlanPut,
    PlanRowAction,
    PlanUploadRow,
    PlanUploadSummary,
)
from app.problems import AppError, NotFound, field_error
from app.spreadsheets import workbook
from app.spreadsheets.service import Template, _read_limited, _rejection
from app.spreadsheets.workbook import MAX_DATA_ROWS, Column, Layout, Sheet, SheetRow

SHEET_TITLE = "年度计划"
NOTES_TITLE = "说明"
_YES, _NO = "是", "否"

COLUMNS = (
    Column(
        "项目编号", "code", 12, "重点项目库编号，上传时据此识别项目；请勿修改。", read_only=True
    ),
    Column("项目名称", "name", 40, "仅供核对，上传时不读取。", required=False, read_only=True),
    Column(
        "年度计划投资（万元）",
        "planned_investment_wan",
        18,
        "本年度计划完成投资，不小于 0 的整数，单位万元。",
    ),
    Column(
        "年度目标",
        "target",
        40,
        f"年度目标（形象进度），可为空；不超过 {MAX_TARGET} 字。",
        required=False,
    ),
    Column("计划开工", "planned_start", 10, "本年计划新开工：是 / 否。", required=False),
    Column("计划竣工", "planned_completion", 10, "本年计划竣工：是 / 否。", required=False),
    Column(
        "调整原因",
        "reason",
        30,
        f"调整已下达计划（中期调整）时必填；不超过 {MAX_REASON} 字。",
        required=False,
    ),
    Column(
        "调整文号",
        "document",
        24,
        f"调整计划时必填：批准文件文号，不超过 {MAX_DOCUMENT} 字。",
        required=False,
    ),
    Column("文件日期", "document_date", 12, "批准文件日期（YYYY-MM-DD），可为空。", required=False),
)
_INDEX_OF = {c.field: i for i, c in enumerate(COLUMNS, start=1)}
HEADER_OF = {c.field: c.header for c in COLUMNS}
# The cells that state a plan; a row with all of them blank states none.
_PLAN_FIELDS = tuple(c.field for c in COLUMNS if c.field not in ("code", "name"))
_TEXT_FIELDS = ("target", "reason", "document")
_FLAGS = {
    "是": True,
    "否": False,
    "y": True,
    "n": False,
    "yes": True,
    "no": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "√": True,
    "✓": True,
    "×": False,
}


def read_plan_cell(field: str, value: Any) -> Any:
    """A cell as `PlanPut` takes it: None when blank, text exactly as typed."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if field in _TEXT_FIELDS:
        if isinstance(value, datetime):
            return value.date().isoformat()
        return value if isinstance(value, str) else str(value)
    if isinstance(value, str):
        value = unicodedata.normalize("NFKC", value).strip()
    if field == "code":
        return str(value).upper()
    if field == "planned_investment_wan":
        return workbook.read_number(value)
    if field in ("planned_start", "planned_completion"):
        if isinstance(value, bool):
            return value
        flag = _FLAGS.get(re.sub(r"\s", "", str(value)).lower())
        return value if flag is None else flag
    if field == "document_date":
        return workbook.read_date(value)
    return value


PLAN_LAYOUT = Layout(SHEET_TITLE, COLUMNS, read_plan_cell)


def _active_park(session: Session, park_id: str) -> Park:
    park = session.get(Park, park_id)
    if park is None or park.archived_at is not None:
        raise NotFound(f"No park has the id {park_id!r}.")
    return park


def _park_projects(session: Session, park: Park) -> Sequence[Project]:
    return session.exec(
        select(Project)
        .join(Category, col(Category.id) == col(Project.category_id))
        .where(Project.park_id == park.id, col(Project.archived_at).is_(None))
        .order_by(col(Category.position), col(Project.seq))
    ).all()


def plan_template(session: Session, *, park_id: str, year: int, principal: Principal) -> Template:
    """The park's active projects in appendix order, prefilled with the year's plans in force."""
    park = _active_park(session, park_id)
    ensure_can_download_template(principal, park_id=park.id)
    projects = _park_projects(session, park)
    ids = [p.id for p in projects if p.id is not None]
    plans = {
        row.project_id: row
        for row in session.exec(
            select(ProjectYear).where(
                col(ProjectYear.project_id).in_(ids),
                ProjectYear.year == year,
                col(ProjectYear.plan_revision) > 0,
            )
        ).all()
    }
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_TITLE
    workbook.write_header(sheet, COLUMNS)
    for number, project in enumerate(projects, start=2):
        plan = plans.get(project.id or 0)
        values: list[Any] = [project.code, project.name]
        if plan is not None:
            values += [
                plan.planned_investment_wan,
                plan.target,
                _YES if plan.planned_start else _NO,
                _YES if plan.planned_completion else _NO,
            ]
        for index, value in enumerate(values, start=1):
            put(sheet.cell(number, index), value)
        for field in ("code", "name"):
            workbook.mark_read_only(sheet.cell(number, _INDEX_OF[field]))
        sheet.cell(number, _INDEX_OF["planned_investment_wan"]).number_format = "#,##0"
        sheet.cell(number, _INDEX_OF["document_date"]).number_format = "yyyy-mm-dd"
    _add_validations(sheet)
    notes = book.create_sheet(NOTES_TITLE)
    workbook.write_rows(
        notes,
        [
            ["园区", park.name],
            ["年度", year],
            [],
            ["列名", "填写说明"],
            *([c.header, c.help] for c in COLUMNS),
            [],
            ["本表预填各项目本年度现行计划；尚无计划的项目计划各列为空，不填则不下达。"],
            ["修改已下达的计划即为中期调整，须填写调整原因和调整文号；原计划保留在历史中。"],
            ["与现行计划完全相同的行计为“未变化”，不会重复保存。"],
            ["任何一行有错误时整个文件都不保存；错误信息会指出行号和列名。"],
        ],
    )
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 80
    buffer = io.BytesIO()
    book.save(buffer)
    return Template(filename=f"plans-{park.id}-{year}.xlsx", content=buffer.getvalue())


def _add_validations(sheet: Any) -> None:
    last = MAX_DATA_ROWS + 1
    for field in ("planned_start", "planned_completion"):
        rule = DataValidation(
            type="list",
            formula1=f'"{_YES},{_NO}"',
            allow_blank=True,
            showErrorMessage=True,
            error="请选择：是 或 否",
        )
        letter = get_column_letter(_INDEX_OF[field])
        rule.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(rule)
    money = DataValidation(
        type="whole",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        error="请填写不小于 0 的整数（万元）。",
    )
    letter = get_column_letter(_INDEX_OF["planned_investment_wan"])
    money.add(f"{letter}2:{letter}{last}")
    sheet.add_data_validation(money)


def upload_plans(
    session: Session,
    *,
    park_id: str,
    year: int,
    stream: BinaryIO,
    size: int | None,
    dry_run: bool,
    principal: Principal,
) -> PlanUploadSummary:
    """Check every row of a plan spreadsheet; store them all in one transaction, or none."""
    park = _active_park(session, park_id)
    sheet = workbook.read_sheet(_read_limited(stream, size=size), PLAN_LAYOUT)
    try:
        rows, errors, read = _apply(session, park=park, year=year, sheet=sheet, principal=principal)
    except BaseException:
        session.rollback()
        raise
    if errors or dry_run:
        session.rollback()
    else:
        session.commit()
    if errors:
        raise _rejection(errors)
    return PlanUploadSummary(
        dry_run=dry_run,
        park_id=park.id,
        year=year,
        file_format=sheet.file_format,
        sheet=sheet.name,
        rows_read=read,
        rows_skipped=len(sheet.rows) - read,
        rows_created=sum(r.action is PlanRowAction.create for r in rows),
        rows_adjusted=sum(r.action is PlanRowAction.adjust for r in rows),
        rows_unchanged=sum(r.action is PlanRowAction.unchanged for r in rows),
        rows=rows,
    )


def _apply(
    session: Session, *, park: Park, year: int, sheet: Sheet, principal: Principal
) -> tuple[list[PlanUploadRow], list[dict[str, Any]], int]:
    errors: list[dict[str, Any]] = []
    stating = [r for r in sheet.rows if any(r.values.get(f) is not None for f in _PLAN_FIELDS)]
    # Locked in code order before any row is written, as report uploads do: two uploads
    # taking the same projects in file order could deadlock on PostgreSQL.
    codes = sorted({code for r in stating if (code := r.values.get("code"))})
    projects = {
        p.code: p
        for p in session.exec(
            select(Project)
            .where(col(Project.code).in_(codes))
            .order_by(col(Project.code))
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    }
    seen: dict[str, int] = {}
    rows: list[PlanUploadRow] = []
    for row in stating:
        data = _validate(row, errors)
        project = _project_of(row, projects=projects, park=park, errors=errors)
        if project is None or data is None:
            continue
        if project.code in seen:
            errors.append(
                _error(
                    row.number,
                    "code",
                    f"{project.code} is on row {seen[project.code]} already",
                    "duplicate_row",
                )
            )
            continue
        seen[project.code] = row.number
        try:
            written = plans_service.apply_plan(
                session, project=project, year=year, data=data, principal=principal
            )
        except AppError as exc:
            for e in exc.errors or [
                {"loc": ["body", "code"], "msg": exc.detail, "type": "conflict"}
            ]:
                errors.append(
                    _error(row.number, str(e["loc"][-1]), e["msg"], e.get("type", "value_error"))
                )
            continue
        plan = written.answer.plan
        rows.append(
            PlanUploadRow(
                row=row.number,
                project_code=project.code,
                project_name=project.name,
                action=written.action,
                revision=plan.revision,
                planned_investment_wan=plan.planned_investment_wan,
                target=plan.target,
                planned_start=plan.planned_start,
                planned_completion=plan.planned_completion,
            )
        )
    return rows, errors, len(stating)


def _validate(row: SheetRow, errors: list[dict[str, Any]]) -> PlanPut | None:
    data = {f: row.values[f] for f in _PLAN_FIELDS if row.values.get(f) is not None}
    try:
        return PlanPut.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors():
            field = str(e["loc"][0]) if e["loc"] else "planned_investment_wan"
            msg = "required, but the cell is empty" if e["type"] == "missing" else e["msg"]
            errors.append(_error(row.number, field, msg, e["type"]))
        return None


def _project_of(
    row: SheetRow, *, projects: dict[str, Project], park: Park, errors: list[dict[str, Any]]
) -> Project | None:
    code = row.values.get("code")
    if code is None:
        errors.append(_error(row.number, "code", "required, but the cell is empty", "missing"))
        return None
    project = projects.get(code)
    if project is None:
        errors.append(_error(row.number, "code", f"no project has the code {code!r}", "not_found"))
        return None
    if project.park_id != park.id:
        errors.append(
            _error(
                row.number,
                "code",
                f"project {code} belongs to park {project.park_id!r}, not {park.id!r}",
                "other_park",
            )
        )
        return None
    return project


def _error(row: int, field: str, msg: str, type_: str) -> dict[str, Any]:
    header = HEADER_OF.get(field, HEADER_OF["code"])
    return field_error("file", row, header, msg=msg.rstrip("."), type_=type_)
