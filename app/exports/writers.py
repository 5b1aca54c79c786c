"""CSV and XLSX writers that stream: rows flow from the database cursor to the client."""

import csv
import enum
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from app.exports.cells import csv_field, put

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_CSV_BATCH = 500
_FILE_CHUNK = 64 * 1024


class ExportFormat(enum.StrEnum):
    """What an export is written as."""

    csv = "csv"
    xlsx = "xlsx"


@dataclass(frozen=True)
class Column:
    """One exported column: its Chinese header (with the unit) and its width in characters."""

    header: str
    width: int = 12


@dataclass
class Table:
    """An export: a title, columns, rows (any iterable, consumed once) and a totals row."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    totals: Sequence[Any] | None = None
    filename: str = "export"
    notes: list[str] = field(default_factory=list)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def csv_chunks(table: Table) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark, so Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([csv_field(c.header) for c in table.columns])
    for count, row in enumerate(table.rows, start=1):
        writer.writerow([csv_field(_plain(v)) for v in row])
        if count % _CSV_BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if table.totals is not None:
        writer.writerow([csv_field(_plain(v)) for v in table.totals])
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(table: Table, path: str) -> None:
    """Write the table as a workbook in write-only mode, which keeps rows out of memory."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.title[:31])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")

    def cells(
        values: Sequence[Any], *, font: Font | None = None, fill: PatternFill | None = None
    ) -> list[Any]:
        row = []
        for value in values:
            cell = put(WriteOnlyCell(sheet), _cell_value(value))
            if font is not None:
                cell.font = font
            if fill is not None:
                cell.fill = fill
            row.append(cell)
        return row

    sheet.append(cells([c.header for c in table.columns], font=bold, fill=header_fill))
    for row in table.rows:
        sheet.append(cells(row))
    if table.totals is not None:
        sheet.append(cells(table.totals, font=bold))
    if table.notes:
        notes = workbook.create_sheet("说明")
        for note in table.notes:
            notes.append([put(WriteOnlyCell(notes), note)])
    workbook.save(path)


def _cell_value(value: Any) -> Any:
    value = _plain(value)
    # Spreadsheet cells hold no time zone; datetimes go out as ISO text (UTC).
    if isinstance(value, date | int | float | str) or value is None:
        return value
    return str(value)


def export_response(
    table: Table, export_format: ExportFormat, *, etag: str | None = None
) -> Response:
    """Stream the table as CSV or XLSX, as a download."""
    validator = {"ETag": etag} if etag else {}
    if export_format is ExportFormat.csv:
        return StreamingResponse(
            csv_chunks(table),
            media_type=CSV_MEDIA_TYPE,
            headers={**_disposition(table.filename, "csv"), **validator},
        )
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        write_xlsx(table, path)
    except BaseException:
        os.unlink(path)
        raise
    return StreamingResponse(
        _file_chunks(path),
        media_type=XLSX_MEDIA_TYPE,
        headers={
            **_disposition(table.filename, "xlsx"),
            "Content-Length": str(os.path.getsize(path)),
            **validator,
        },
        background=BackgroundTask(_remove, path),
    )


def _file_chunks(path: str) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(_FILE_CHUNK):
            yield chunk


def _remove(path: str) -> None:
    if os.path.exists(path):
        os.unlink(path)


def _disposition(filename: str, extension: str) -> dict[str, str]:
    name = f"{filename}.{extension}"
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    return {
        "Content-Disposition": f'attachment; filename="{ascii_name}"; '
        f"filename*=UTF-8''{quote(name)}"
    }


EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON by default; CSV (UTF-8 with BOM) or XLSX with `format=` or `Accept`.",
        "content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}},
    }
}
