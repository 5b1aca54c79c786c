"""A park's monthly template out, and filled sheets back in: every row stored, or none."""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO
from urllib.parse import quote

import sqlalchemy as sa
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from app import clock
from app.auth.policy import Principal, ensure_can_download_template, ensure_can_report
from app.config import get_settings
from app.db import Statements, Transaction
from app.models import STATUS_NAMES, Category, Park, ProgressEntry, Project, ProjectStatus
from app.problems import (
    Conflict,
    ContentTooLarge,
    Forbidden,
    InvalidInput,
    NotFound,
    field_error,
)
from app.progress import service as progress_service
from app.progress.schemas import ProgressCreate
from app.progress.service import LockedProject
from app.reports import service as reports_service
from app.spreadsheets import workbook
from app.spreadsheets.schemas import RowAction, UploadRow, UploadSummary
from app.spreadsheets.workbook import COLUMNS, HEADER_OF, Sheet, SheetRow, TemplateRow

# The report's own columns; a row with all of them blank reports nothing.
_FIGURES = ("as_of", "status", "percent_complete", "invested_to_date_wan", "note", "issues")
# What a row states besides: the officer's confirmation and a reason.
_STATED = (*_FIGURES, "no_change_confirmed", "reason")
_COLUMN_ORDER = {c.header: i for i, c in enumerate(COLUMNS)}
_LISTED_IN_DETAIL = 5
# One entry per problem, but a wholly wrong file should not answer megabytes of JSON.
_MAX_ERRORS = 1000


@dataclass(frozen=True)
class Template:
    """A generated template and the name it is downloaded under."""

    filename: str
    content: bytes

    @property
    def content_disposition(self) -> str:
        """`attachment` with an ASCII name, plus the RFC 5987 form when the name needs it."""
        plain = self.filename.encode("ascii", "replace").decode().replace("?", "_")
        plain = plain.replace('"', "_").replace("\\", "_")
        if plain == self.filename:
            return f'attachment; filename="{plain}"'
        return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(self.filename)}"


def report_template(
    session: Session, *, park_id: str, period: str | None, principal: Principal
) -> Template:
    """The park's projects in appendix order, prefilled with their last figures."""
    park = session.get(Park, park_id)
    if park is None or park.archived_at is not None:
        raise NotFound(f"No park has the id {park_id!r}.")
    ensure_can_download_template(principal, park_id=park.id)
    month, default_as_of = _reporting_period(period)
    projects = session.exec(
        select(Project)
        .join(Category, col(Category.id) == col(Project.category_id))
        .where(Project.park_id == park.id, col(Project.archived_at).is_(None))
        .order_by(col(Category.position), col(Project.seq))
    ).all()
    ids = [p.id for p in projects if p.id is not None]
    latest = progress_service.latest_entries(session, project_ids=ids)
    reported = _newest_of_periods(session, project_ids=ids, periods={month})
    rows = [
        _template_row(
            project,
            reported=reported.get((project.id or 0, month)),
            latest=latest.get(project.id or 0),
            default_as_of=default_as_of,
        )
        for project in projects
    ]
    content = workbook.write_template(rows=rows, park_name=park.name, period=month)
    return Template(filename=f"report-{park.id}-{month}.xlsx", content=content)


def _reporting_period(period: str | None) -> tuple[str, date]:
    today = clock.today()
    current = today.strftime("%Y-%m")
    period = period or reports_service.period_due(today)
    if period == current:
        return current, today
    if period > current:
        raise InvalidInput(
            f"Period {period} has not begun (it is {current} in China).",
            errors=[field_error("query", "period", msg=f"{period} is after {current}")],
        )
    return period, reports_service.period_end(period)


def _template_row(
    project: Project,
    *,
    reported: ProgressEntry | None,
    latest: ProgressEntry | None,
    default_as_of: date,
) -> TemplateRow:
    # A period already reported shows what was reported, its date included, so uploading the
    # template back finds every row unchanged; otherwise the last figures carry forward.
    entry = reported or latest
    return TemplateRow(
        code=project.code,
        name=project.name,
        as_of=reported.as_of if reported else default_as_of,
        status=ProjectStatus(entry.status if entry else project.status),
        percent_complete=entry.percent_complete if entry else None,
        invested_to_date_wan=entry.invested_to_date_wan if entry else None,
        note=entry.note if entry else "",
        issues=entry.issues if entry else "",
    )


def _newest_of_periods(
    session: Session, *, project_ids: Sequence[int], periods: Collection[str]
) -> dict[tuple[int, str], ProgressEntry]:
    """The newest revision of each (project, period) among those given."""
    if not project_ids or not periods:
        return {}
    entries = session.exec(
        select(ProgressEntry).where(
            col(ProgressEntry.project_id).in_(project_ids),
            col(ProgressEntry.period).in_(sorted(periods)),
        )
    ).all()
    newest: dict[tuple[int, str], ProgressEntry] = {}
    for entry in entries:
        assert entry.project_id is not None
        key = (entry.project_id, entry.period)
        if key not in newest or entry.revision > newest[key].revision:
            newest[key] = entry
    return newest


class _Discarded(Exception):
    """Rolls back an upload's transaction: a dry run, or a file with errors."""

    def __init__(self, outcome: "_Outcome") -> None:
        self.outcome = outcome


async def upload_progress(
    statements: Statements,
    *,
    stream: BinaryIO,
    size: int | None,
    dry_run: bool,
    principal: Principal,
) -> UploadSummary:
    """Check every row of a progress spreadsheet; store them all in one transaction, or none."""
    sheet = await run_in_threadpool(lambda: workbook.read_sheet(_read_limited(stream, size=size)))
    try:
        async with statements.transaction() as transaction:
            outcome = await _apply(transaction, sheet=sheet, principal=principal, dry_run=dry_run)
            if outcome.errors or dry_run:
                raise _Discarded(outcome)
    except _Discarded as discarded:
        outcome = discarded.outcome
    except IntegrityError as exc:
        # A report sent meanwhile took a revision number this upload counted on.
        raise Conflict(
            "Another report on one of these projects arrived at the same time; "
            "nothing was stored. Upload the file again."
        ) from exc
    if outcome.errors:
        raise _rejection(outcome.errors)
    return UploadSummary(
        dry_run=dry_run,
        file_format=sheet.file_format,
        sheet=sheet.name,
        rows_read=outcome.rows_read,
        rows_skipped=outcome.rows_skipped,
        rows_stored=sum(r.action is RowAction.create for r in outcome.rows),
        rows_unchanged=sum(r.action is RowAction.unchanged for r in outcome.rows),
        entry_ids=[r.entry_id for r in outcome.rows if r.action is RowAction.create and r.entry_id],
        rows=outcome.rows,
    )


def _read_limited(stream: BinaryIO, *, size: int | None) -> bytes:
    limit = get_settings().max_upload_bytes
    too_large = ContentTooLarge(f"The file exceeds the limit of {limit} bytes.")
    if size is not None and size > limit:
        raise too_large
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise too_large
    return data


@dataclass
class _Outcome:
    rows: list[UploadRow]
    errors: list[dict[str, Any]]
    rows_read: int
    rows_skipped: int


async def _apply(
    transaction: Transaction, *, sheet: Sheet, principal: Principal, dry_run: bool
) -> _Outcome:
    """Validate and store every row in the upload's transaction; collect every problem."""
    errors: list[dict[str, Any]] = []
    reporting = [r for r in sheet.rows if any(r.values.get(f) is not None for f in _FIGURES)]
    reports = {row.number: _validate(row, errors) for row in reporting}
    # Locked in code order before any row is stored: two uploads taking the same projects in
    # file order could deadlock on PostgreSQL.
    codes = sorted({code for r in reporting if (code := r.values.get("code"))})
    projects = {
        code: project
        for code in codes
        if (project := await progress_service.lock_project(transaction, code=code)) is not None
    }
    first_row: dict[tuple[int, str], int] = {}
    rows: list[UploadRow] = []
    for row in reporting:
        project = _project_of(row, projects=projects, principal=principal, errors=errors)
        report = reports[row.number]
        if project is None or report is None:
            continue
        period = report.as_of.strftime("%Y-%m")
        if (project.id, period) in first_row:
            errors.append(
                _error(
                    row.number,
                    "code",
                    f"{project.code} is reported for {period} on row "
                    f"{first_row[project.id, period]} already",
                    "duplicate_row",
                    {"code": project.code, "period": period, "row": first_row[project.id, period]},
                )
            )
            continue
        first_row[project.id, period] = row.number
        existing = await transaction.first(
            _NEWEST_OF_PERIOD, {"project_id": project.id, "period": period}
        )
        if existing is not None and _same(existing, report):
            rows.append(_result(row, project, report, RowAction.unchanged, existing))
            continue
        try:
            stored = await progress_service.store_report(
                transaction, code=project.code, report=report, principal=principal
            )
        except InvalidInput as exc:
            for e in exc.errors or [{"loc": ["body", "code"], "msg": exc.detail}]:
                field = str(e["loc"][-1])
                type_ = e.get("type", "value_error")
                errors.append(_error(row.number, field, e["msg"], type_, e.get("ctx")))
            continue
        except Conflict as exc:
            errors.append(_error(row.number, "code", exc.detail, "conflict"))
            continue
        entry = stored.entry.model_dump()
        if dry_run:
            entry["id"] = None
        rows.append(_result(row, project, report, RowAction.create, entry))
    return _Outcome(rows, errors, len(reporting), len(sheet.rows) - len(reporting))


def _validate(row: SheetRow, errors: list[dict[str, Any]]) -> ProgressCreate | None:
    data = {f: row.values[f] for f in _STATED if row.values.get(f) is not None}
    if row.values.get("completion_date") is not None:
        data["milestones"] = {"completion": row.values["completion_date"]}
    try:
        return ProgressCreate.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors():
            field = str(e["loc"][0]) if e["loc"] else "as_of"
            errors.append(_error(row.number, field, _message(field, e), e["type"], e.get("ctx")))
        return None


def _message(field: str, error: ErrorDetails) -> str:
    if error["type"] == "missing":
        return "required, but the cell is empty"
    if field == "status" and error["type"] == "enum":
        return f"unknown status {error['input']!r}; use " + ", ".join(STATUS_NAMES.values())
    return error["msg"].removeprefix("Value error, ")


def _project_of(
    row: SheetRow,
    *,
    projects: Mapping[str, LockedProject],
    principal: Principal,
    errors: list[dict[str, Any]],
) -> LockedProject | None:
    code = row.values.get("code")
    if code is None:
        errors.append(_error(row.number, "code", "required, but the cell is empty", "missing"))
        return None
    project = projects.get(code)
    if project is None:
        errors.append(
            _error(
                row.number, "code", f"no project has the code {code!r}", "not_found", {"code": code}
            )
        )
        return None
    try:
        ensure_can_report(principal, project)
    except Forbidden as exc:
        errors.append(
            _error(row.number, "code", exc.detail, "forbidden", {"park_id": project.park_id})
        )
        return None
    return project


# The newest revision of a project's period: what a row is compared with.
_ENTRY_TABLE = ProgressEntry.__table__  # type: ignore[attr-defined]
_COMPARED = ("as_of", "status", "percent_complete", "invested_to_date_wan", "note", "issues")
_NEWEST_OF_PERIOD = (
    sa.select(*(_ENTRY_TABLE.c[name] for name in ("id", "revision", "period", *_COMPARED)))
    .where(
        _ENTRY_TABLE.c.project_id == sa.bindparam("project_id"),
        _ENTRY_TABLE.c.period == sa.bindparam("period"),
    )
    .order_by(_ENTRY_TABLE.c.revision.desc())
    .limit(1)
)


def _same(entry: Mapping[str, Any], report: ProgressCreate) -> bool:
    stated = report.model_dump(include=set(_COMPARED))
    return all(entry[name] == stated[name] for name in _COMPARED)


def _result(
    row: SheetRow,
    project: LockedProject,
    report: ProgressCreate,
    action: RowAction,
    entry: Mapping[str, Any],
) -> UploadRow:
    return UploadRow(
        row=row.number,
        project_code=project.code,
        project_name=project.name,
        action=action,
        entry_id=entry["id"],
        revision=entry["revision"],
        as_of=report.as_of,
        period=entry["period"],
        status=report.status,
        percent_complete=report.percent_complete,
        invested_to_date_wan=report.invested_to_date_wan,
        note=report.note,
        issues=report.issues,
    )


def _error(
    row: int, field: str, msg: str, type_: str, ctx: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    # A report's milestone dates come from the completion date column.
    header = HEADER_OF.get("completion_date" if field == "milestones" else field, HEADER_OF["code"])
    return field_error("file", row, header, msg=msg.rstrip("."), type_=type_, ctx=ctx)


def _rejection(errors: list[dict[str, Any]]) -> InvalidInput:
    errors.sort(key=lambda e: (e["loc"][1], _COLUMN_ORDER.get(e["loc"][2], len(COLUMNS))))
    rows = len({e["loc"][1] for e in errors})
    listed = "; ".join(
        f"row {e['loc'][1]} {e['loc'][2]}: {e['msg']}" for e in errors[:_LISTED_IN_DETAIL]
    )
    more = len(errors) - _LISTED_IN_DETAIL
    return InvalidInput(
        f"Nothing was stored: {_count(len(errors), 'problem')} in {_count(rows, 'row')}. "
        f"{listed}" + (f"; and {more} more." if more > 0 else "."),
        errors=errors[:_MAX_ERRORS],
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
