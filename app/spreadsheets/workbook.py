"""The monthly progress sheet: the template written with openpyxl, uploads read from XLSX or CSV."""

import csv
import dataclasses
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from app.exports.cells import put
from app.models import STATUS_NAMES, ProjectStatus
from app.problems import AppError, ContentTooLarge, InvalidInput, UnsupportedMediaType, field_error
from app.progress.schemas import MAX_TEXT
from app.spreadsheets.schemas import SpreadsheetFormat

SHEET_TITLE = "月度进展"
NOTES_TITLE = "说明"
MAX_DATA_ROWS = 5000
# Rows and columns looked at, blank ones included: enough for any filled template.
_MAX_SCANNED_ROWS = 10 * MAX_DATA_ROWS
_MAX_COLUMNS = 50
# A 5 MiB workbook can unpack to gigabytes; openpyxl holds shared strings in memory.
_MAX_UNPACKED_BYTES = 64 * 1024 * 1024
# Signatures of files people upload by mistake, which could otherwise pass as odd text.
_BINARY_MAGIC = (
    b"%PDF-",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"\x1f\x8b",
    b"Rar!",
    b"7z\xbc\xaf",
)
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_READ_ONLY_FILL = PatternFill("solid", fgColor="EDEDED")
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class Column:
    """A column of the sheet: header (with its unit), the report field it holds, its help."""

    header: str
    field: str
    width: int
    help: str
    required: bool = True
    read_only: bool = False


COLUMNS = (
    Column(
        "项目编号", "code", 12, "重点项目库编号，上传时据此识别项目；请勿修改。", read_only=True
    ),
    Column("项目名称", "name", 40, "仅供核对，上传时不读取。", required=False, read_only=True),
    Column(
        "报告日期",
        "as_of",
        12,
        "本次进展所描述的日期（YYYY-MM-DD），不得晚于今天；所属月份即报告期。",
    ),
    Column(
        "项目状态",
        "status",
        10,
        "前期、在建、竣工、停建、取消 之一"
        "（也接受 pre_construction、under_construction、completed、suspended、cancelled）。",
    ),
    Column(
        "完成百分比（%）",
        "percent_complete",
        14,
        "形象进度完成比例，0–100 的整数（65 即 65%）；竣工项目为 100，前期项目为空或 0。",
    ),
    Column(
        "累计完成投资（万元）",
        "invested_to_date_wan",
        18,
        "截至报告日期的累计完成投资，整数，单位万元；不得低于以前月份已报数。",
    ),
    Column("形象进度", "note", 50, f"本期形象进度，不超过 {MAX_TEXT} 字。"),
    Column("存在问题", "issues", 40, f"需要协调解决的堵点难点，没有则留空；不超过 {MAX_TEXT} 字。"),
    Column(
        "实际竣工日期",
        "completion_date",
        14,
        "项目本期竣工时填写竣工验收的实际日期（YYYY-MM-DD）；其他情况留空。",
        required=False,
    ),
    Column(
        "本期无变化",
        "no_change_confirmed",
        10,
        "本期进展与上期完全相同时填“是”确认；未确认的相同报送记为“未更新”，单独统计。",
        required=False,
    ),
    Column(
        "核实说明",
        "reason",
        30,
        "数据看似不合常理（累计投资超过总投资、进度或状态倒退、竣工未填日期或未达 100%）"
        f"但确属实时，说明原因；否则留空。不超过 {MAX_TEXT} 字。",
        required=False,
    ),
)
HEADER_OF = {c.field: c.header for c in COLUMNS}
_INDEX_OF = {c.field: i for i, c in enumerate(COLUMNS, start=1)}
STATUS_OF_LABEL = {label: status for status, label in STATUS_NAMES.items()}
# Packed or not, a few bytes can cost much: openpyxl keeps every shared string of a workbook as
# an object and parses every cell of a row read, not only the first _MAX_COLUMNS. So the
# workbook may hold no more of either than a filled template could, counted before openpyxl
# sees it: every row up to MAX_DATA_ROWS with each template column filled, and as many again
# for columns, sheets and notes of the officer's own.
_MAX_CELLS = 2 * (MAX_DATA_ROWS + 1) * len(COLUMNS)
_MAX_SHARED_STRINGS = _MAX_CELLS
# Start tags of a cell and of a shared string, with or without a namespace prefix.
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_SHARED_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
# Any other part of a template (workbook, styles, theme, relationships) is a few kilobytes;
# openpyxl parses some of them whole.
_MAX_OTHER_PART_BYTES = 2 * 1024 * 1024
_CELL_PARTS = re.compile(r"^xl/worksheets/sheet\d+\.xml$")
_SHARED_STRINGS_PART = "xl/sharedStrings.xml"
_SCAN_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class TemplateRow:
    """One prefilled row of the template."""

    code: str
    name: str
    as_of: date
    status: ProjectStatus
    percent_complete: int | None
    invested_to_date_wan: int | None
    note: str
    issues: str


@dataclass(frozen=True)
class SheetRow:
    """A non-blank data row: its row number and its cells by field, ready for validation."""

    number: int
    values: dict[str, Any]


@dataclass(frozen=True)
class Sheet:
    """What an uploaded file holds."""

    file_format: SpreadsheetFormat
    name: str | None
    rows: list[SheetRow]


def write_template(*, rows: Sequence[TemplateRow], park_name: str, period: str) -> bytes:
    """The XLSX template: the prefilled report sheet and a sheet explaining it."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_TITLE
    _write_rows(sheet, [[c.header for c in COLUMNS]])
    for index, column in enumerate(COLUMNS, start=1):
        header = sheet.cell(1, index)
        header.font = _BOLD
        header.fill = _HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    for number, row in enumerate(rows, start=2):
        values = {
            "code": row.code,
            "name": row.name,
            "as_of": row.as_of,
            "status": STATUS_NAMES[row.status],
            "percent_complete": row.percent_complete,
            "invested_to_date_wan": row.invested_to_date_wan,
            "note": row.note,
            "issues": row.issues,
            "completion_date": None,
            "no_change_confirmed": None,
            "reason": None,
        }
        for column in COLUMNS:
            put(sheet.cell(number, _INDEX_OF[column.field]), values[column.field])
            if column.read_only:
                sheet.cell(number, _INDEX_OF[column.field]).fill = _READ_ONLY_FILL
        sheet.cell(number, _INDEX_OF["as_of"]).number_format = "yyyy-mm-dd"
        sheet.cell(number, _INDEX_OF["percent_complete"]).number_format = "0"
        sheet.cell(number, _INDEX_OF["invested_to_date_wan"]).number_format = "#,##0"
        sheet.cell(number, _INDEX_OF["note"]).alignment = _WRAP
        sheet.cell(number, _INDEX_OF["issues"]).alignment = _WRAP
    _add_validations(sheet)
    _write_notes(book.create_sheet(NOTES_TITLE), park_name=park_name, period=period)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _add_validations(sheet: Any) -> None:
    # Cover rows an officer may add below the prefilled ones, up to the upload limit.
    last = MAX_DATA_ROWS + 1
    rules = {
        "status": DataValidation(
            type="list",
            formula1='"' + ",".join(STATUS_NAMES.values()) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="项目状态",
            error="请从列表中选择：" + "、".join(STATUS_NAMES.values()),
            showInputMessage=True,
            promptTitle="项目状态",
            prompt="、".join(STATUS_NAMES.values()),
        ),
        "percent_complete": DataValidation(
            type="whole",
            operator="between",
            formula1="0",
            formula2="100",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="完成百分比",
            error="请填写 0–100 的整数。",
        ),
        "invested_to_date_wan": DataValidation(
            type="whole",
            operator="greaterThanOrEqual",
            formula1="0",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="累计完成投资",
            error="请填写不小于 0 的整数（万元）。",
        ),
    }
    for field, rule in rules.items():
        letter = get_column_letter(_INDEX_OF[field])
        rule.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(rule)


def _write_rows(sheet: Any, rows: Iterable[Sequence[Any]]) -> None:
    for number, values in enumerate(rows, start=1):
        for index, value in enumerate(values, start=1):
            put(sheet.cell(number, index), value)


def _write_notes(notes: Any, *, park_name: str, period: str) -> None:
    lines = (
        "本表按附件3顺序列出本园区在库项目，预填各项目最新一期进展；本报告期已报送的项目预填本期所报内容。",
        "灰色两列（项目编号、项目名称）请勿修改；可以调整列的顺序，其他列会被忽略。",
        "不需报送的项目：删除该行，或清空报告日期及其后各列。同一项目同一月份只能填写一行。",
        "原样重新上传不会重复保存：与本报告期已报内容完全相同的行计为“未变化”。",
        "任何一行有错误时整个文件都不保存；错误信息会指出行号和列名，改正后重新上传即可。",
        "也可以另存为 CSV（UTF-8 或 GB18030 编码）上传；文件不超过 5 MB、5000 行。",
    )
    _write_rows(
        notes,
        [
            ["园区", park_name],
            ["报告期", period],
            [],
            ["列名", "填写说明", "是否必填"],
            *([c.header, c.help, _use(c)] for c in COLUMNS),
            [],
            *([line] for line in lines),
        ],
    )
    for cell in notes[4]:
        cell.font = _BOLD
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 90
    notes.column_dimensions["C"].width = 10


@dataclass(frozen=True)
class Layout:
    """What a kind of sheet holds: its worksheet's title, its columns, how a cell is read."""

    title: str
    columns: tuple[Column, ...]
    read: Callable[[str, Any], Any]
    headers: dict[str, str] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", _header_lookup(self.columns))


def read_sheet(data: bytes, layout: Layout | None = None) -> Sheet:
    """Read an uploaded XLSX or CSV file (told apart by content) into numbered rows, by
    `layout` (default: the monthly report's)."""
    layout = layout or REPORT_LAYOUT
    if not data:
        raise _invalid("The file is empty.", "empty file")
    if data.startswith(b"PK"):
        return _read_xlsx(data, layout)
    if data.startswith(_OLE2_MAGIC):
        raise UnsupportedMediaType(
            "Old-style .xls workbooks are not read; save the file as .xlsx or CSV."
        )
    if data.startswith(_BINARY_MAGIC):
        raise UnsupportedMediaType("The file is neither an XLSX workbook nor a CSV file.")
    return _read_csv(_decode(data), layout)


def _read_xlsx(data: bytes, layout: Layout) -> Sheet:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable() from exc
    if "xl/workbook.xml" not in {m.filename for m in members}:
        raise UnsupportedMediaType("The file is a ZIP archive but not an XLSX workbook.")
    if sum(m.file_size for m in members) > _MAX_UNPACKED_BYTES:
        raise ContentTooLarge(
            f"The workbook unpacks to more than {_MAX_UNPACKED_BYTES // 2**20} MiB."
        )
    _check_parts(data, members)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        # A damaged workbook fails anywhere in openpyxl, with anything from KeyError to an
        # XML syntax error; each is the officer's file being unreadable, not our bug.
        raise _unreadable() from exc
    try:
        if not book.worksheets:
            raise _invalid("The workbook has no worksheet.", "no worksheet")
        title = layout.title
        sheet = book[title] if title in book.sheetnames else book.worksheets[0]
        rows = (
            (number, [_xlsx_cell(cell) for cell in cells])
            for number, cells in enumerate(sheet.iter_rows(max_col=_MAX_COLUMNS), start=1)
        )
        return Sheet(SpreadsheetFormat.xlsx, sheet.title, _collect(rows, layout))
    except AppError:
        raise
    except Exception as exc:
        raise _unreadable() from exc
    finally:
        book.close()


def _check_parts(data: bytes, members: list[zipfile.ZipInfo]) -> None:
    """Refuse a workbook holding more than a filled template could, before openpyxl reads it."""
    for member in members:
        if (
            member.file_size > _MAX_OTHER_PART_BYTES
            and member.filename != _SHARED_STRINGS_PART
            and not _CELL_PARTS.match(member.filename)
        ):
            raise _invalid(
                f"The workbook part {member.filename} unpacks to more than "
                f"{_MAX_OTHER_PART_BYTES // 2**20} MiB; a filled template holds nothing so large. "
                "Copy the rows into the template, or save the sheet as CSV.",
                "part too large",
            )
    # Every part is counted, whatever its name: openpyxl finds parts by their content type.
    cells = strings = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in members:
                with archive.open(member) as part:
                    for chunk in _tag_chunks(part):
                        cells += len(_CELL_TAG.findall(chunk))
                        strings += len(_SHARED_STRING_TAG.findall(chunk))
                        if cells > _MAX_CELLS or strings > _MAX_SHARED_STRINGS:
                            raise _too_many(cells=cells, strings=strings)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _unreadable() from exc


def _tag_chunks(part: IO[bytes]) -> Iterator[bytes]:
    """The part's bytes in pieces that each end before a "<", so that no tag is cut in two."""
    carry = b""
    while block := part.read(_SCAN_CHUNK):
        text = carry + block
        cut = text.rfind(b"<")
        # A piece without "<" holds no start of a tag: nothing of it needs carrying over.
        if cut == -1:
            carry = b""
            continue
        yield text[:cut]
        carry = text[cut:]
    yield carry


def _too_many(*, cells: int, strings: int) -> InvalidInput:
    what = (
        f"more than {_MAX_CELLS} cells"
        if cells > _MAX_CELLS
        else f"more than {_MAX_SHARED_STRINGS} distinct texts (shared strings)"
    )
    return _invalid(
        f"The workbook holds {what}; a filled template of at most {MAX_DATA_ROWS} rows holds "
        "far fewer. Copy the rows into the template, or save the sheet as CSV.",
        "workbook too large",
    )


def _xlsx_cell(cell: Any) -> Any:
    value = cell.value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A "65%" typed into Excel is stored as 0.65 with a percent format.
        number_format = re.sub(r'"[^"]*"|\\.', "", getattr(cell, "number_format", None) or "")
        if "%" in number_format:
            value = value * 100
        if isinstance(value, float) and abs(value - round(value)) < 1e-9:
            value = round(value)
    return value


def _decode(data: bytes) -> str:
    text = _decode_text(data)
    # No text of a report holds a NUL, and PostgreSQL cannot store one.
    if "\x00" in text:
        raise UnsupportedMediaType("The file holds NUL characters: it is not CSV text.")
    return text


def _decode_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" is UTF-16 with a byte-order mark.
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnsupportedMediaType("The file is neither XLSX nor readable text.") from exc
    if b"\x00" in data[:8192]:
        raise UnsupportedMediaType("The file is neither an XLSX workbook nor a CSV file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Excel in China saves CSV in the system code page: GB18030 (or its subset GBK).
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise UnsupportedMediaType(
            "The file is neither an XLSX workbook nor CSV text in UTF-8 or GB18030."
        ) from exc


def _read_csv(text: str, layout: Layout) -> Sheet:
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        delimiter = "\t" if "\t" in first_line else ";" if ";" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    # A record with a line break inside quotes is still one row in Excel: count records.
    rows = ((number, record[:_MAX_COLUMNS]) for number, record in enumerate(reader, start=1))
    try:
        return Sheet(SpreadsheetFormat.csv, None, _collect(rows, layout))
    except csv.Error as exc:
        raise _invalid(f"The CSV file is malformed: {exc}.", "malformed csv") from exc


def _collect(rows: Iterable[tuple[int, list[Any]]], layout: Layout) -> list[SheetRow]:
    positions: dict[str, int] | None = None
    collected: list[SheetRow] = []
    for number, cells in rows:
        if number > _MAX_SCANNED_ROWS:
            raise _invalid(
                f"The sheet has more than {_MAX_SCANNED_ROWS} rows; split it.", "too many rows"
            )
        if all(_blank(value) for value in cells):
            continue
        if positions is None:
            positions = _header_positions(number, cells, layout)
            continue
        if len(collected) == MAX_DATA_ROWS:
            raise _invalid(
                f"The file has more than {MAX_DATA_ROWS} data rows; split it.", "too many rows"
            )
        values = {
            name: layout.read(name, cells[index] if index < len(cells) else None)
            for name, index in positions.items()
        }
        collected.append(SheetRow(number, values))
    if positions is None:
        raise _invalid("The file has no header row and no data.", "empty sheet")
    return collected


def _header_key(text: str) -> str:
    # Full-width and half-width brackets and spaces are the same to the eye and to Excel.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _header_lookup(columns: Sequence[Column]) -> dict[str, str]:
    lookup = {}
    for column in columns:
        lookup[_header_key(column.header)] = column.field
        # The bare name is accepted; a different unit ("（亿元）") is not.
        lookup[_header_key(re.sub(r"（.*?）$", "", column.header))] = column.field
    return lookup


def _header_positions(number: int, cells: Sequence[Any], layout: Layout) -> dict[str, int]:
    positions: dict[str, int] = {}
    errors = []
    header_of = {c.field: c.header for c in layout.columns}
    for index, cell in enumerate(cells):
        name = layout.headers.get(_header_key(str(cell))) if cell is not None else None
        if name is None:
            continue
        if name in positions:
            errors.append(
                field_error(
                    "file", number, header_of[name], msg="the column appears twice", type_="header"
                )
            )
        positions[name] = index
    missing = [c.header for c in layout.columns if c.required and c.field not in positions]
    errors += [
        field_error("file", number, header, msg="column missing", type_="missing_column")
        for header in missing
    ]
    if errors:
        named = "、".join(str(e["loc"][2]) for e in errors)
        raise InvalidInput(
            f"Row {number} must hold the template's column headers; missing or repeated: {named}.",
            errors=errors,
        )
    return positions


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0{1,2}:00(?::00)?)?$"
)


def read_cell(field: str, value: Any) -> Any:
    """A cell as `ProgressCreate` takes it: None when blank, text only where it can be."""
    if _blank(value):
        return None
    if field in ("note", "issues", "reason"):
        # Text stays exactly as typed; the schema strips its ends.
        if isinstance(value, datetime):
            return value.date().isoformat()
        return value if isinstance(value, str) else str(value)
    if isinstance(value, str):
        value = unicodedata.normalize("NFKC", value).strip()
    if field == "code":
        return str(value).upper()
    if field in ("as_of", "completion_date"):
        return _date(value)
    if field == "no_change_confirmed":
        return _yes(value)
    if field == "status":
        return _status(value)
    if field in ("percent_complete", "invested_to_date_wan"):
        return _number(value, percent=field == "percent_complete")
    return value


_YES = {"是", "Y", "YES", "TRUE", "1", "√", "✓"}
_NO = {"否", "N", "NO", "FALSE", "0"}


def _yes(value: Any) -> Any:
    # Anything else goes to the schema as typed, which refuses it by name.
    text = str(value).strip().upper()
    return True if text in _YES else False if text in _NO else value


def _use(column: Column) -> str:
    if column.read_only and not column.required:
        return "不读取"
    return "必填" if column.required else "选填"


REPORT_LAYOUT = Layout(SHEET_TITLE, COLUMNS, read_cell)


def read_date(value: Any) -> Any:
    """A date cell as a schema takes it: a date, or YYYY-MM-DD from the ways people type one."""
    return _date(value)


def read_number(value: Any) -> Any:
    """A number cell as a schema takes it: thousands separators and blanks dropped."""
    return _number(value, percent=False)


def write_header(sheet: Any, columns: Sequence[Column]) -> None:
    """The header row of a sheet of `columns`: bold, shaded, widths set, frozen below."""
    _write_rows(sheet, [[c.header for c in columns]])
    for index, column in enumerate(columns, start=1):
        header = sheet.cell(1, index)
        header.font = _BOLD
        header.fill = _HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"


def mark_read_only(cell: Any) -> None:
    """Shade a cell the upload does not read (or reads only to find the row's project)."""
    cell.fill = _READ_ONLY_FILL


def write_rows(sheet: Any, rows: Iterable[Sequence[Any]]) -> None:
    """Rows from the first, every cell through `put` (text stays text, never a formula)."""
    _write_rows(sheet, rows)


def _date(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str) and (match := _DATE.match(value)):
        year, month, day = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return value


def _status(value: Any) -> Any:
    text = str(value)
    if text in STATUS_OF_LABEL:
        return STATUS_OF_LABEL[text].value
    return text.lower()


def _number(value: Any, *, percent: bool) -> Any:
    if isinstance(value, bool):
        # TRUE/FALSE would pass as 1/0; a figure is never a checkbox.
        return str(value)
    if isinstance(value, str):
        text = re.sub(r"[,\s]", "", value)
        return text.removesuffix("%") if percent else text
    return value


def _invalid(detail: str, msg: str) -> InvalidInput:
    return InvalidInput(detail, errors=[field_error("file", msg=msg, type_="file_invalid")])


def _unreadable() -> InvalidInput:
    return _invalid(
        "The file starts like an XLSX workbook but cannot be read; save it again from Excel.",
        "unreadable workbook",
    )
