"""Workbooks that cost far more to read than their size are refused before openpyxl reads them."""

import io
import zipfile
from datetime import datetime
from xml.sax.saxutils import escape

import pytest
from sqlmodel import func, select

from app.clock import REPORTING_TZ
from app.exports.writers import XLSX_MEDIA_TYPE
from app.models import ProgressEntry
from app.spreadsheets import workbook
from tests import factories

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
HEADERS = [
    "项目编号",
    "报告日期",
    "项目状态",
    "完成百分比（%）",
    "累计完成投资（万元）",
    "形象进度",
]
HEADERS += ["存在问题"]
UPLOADS = "/api/v1/progress-uploads"


def _inline(text):
    return f'<c t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def _row(number, cells):
    return f'<row r="{number}">{"".join(cells)}</row>'


def _workbook(code, *, strings=0, prefix="", extra_cells=0, styles_bytes=0):
    """A valid filled template of one row on project `code`, plus the shared strings, cells or
    styles asked for."""
    today = datetime.now(REPORTING_TZ).date().isoformat()
    data_row = [_inline(v) for v in (code, today, "在建")] + ["<c><v>40</v></c>"]
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'
        + _row(1, [_inline(h) for h in HEADERS])
        + _row(2, data_row + ["<c><v>1</v></c>"] * extra_cells)
        + "</sheetData></worksheet>"
    )
    overrides = [
        ("/xl/workbook.xml", f"{TYPES}.sheet.main+xml"),
        ("/xl/worksheets/sheet1.xml", f"{TYPES}.worksheet+xml"),
        ("/xl/sharedStrings.xml", f"{TYPES}.sharedStrings+xml"),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides)
            + "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
            '<sheet name="月度进展" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{RELS}">'
            f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        # Written as a stream: the test never holds the unpacked part in memory.
        with archive.open("xl/sharedStrings.xml", "w") as part:
            ns = f' xmlns:{prefix[:-1]}="{MAIN}"' if prefix else f' xmlns="{MAIN}"'
            part.write(f'<?xml version="1.0" encoding="UTF-8"?><{prefix}sst{ns}>'.encode())
            entry = f"<{prefix}si><{prefix}t>a</{prefix}t></{prefix}si>".encode()
            for start in range(0, strings, 10_000):
                part.write(entry * min(10_000, strings - start))
            part.write(f"</{prefix}sst>".encode())
        if styles_bytes:
            xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            with archive.open("xl/styles.xml", "w") as part:
                part.write(f'<styleSheet xmlns="{MAIN}"><cellXfs>'.encode())
                for _ in range(styles_bytes // len(xf) // 1000 + 1):
                    part.write(xf * 1000)
                part.write(b"</cellXfs></styleSheet>")
    return buffer.getvalue()


@pytest.fixture
def officer(auth):
    return auth("officer", "gaoxin")


@pytest.fixture
def code(session) -> str:
    """A project of park gaoxin made for the test."""
    return factories.project(session).code


def _count(session):
    return session.exec(select(func.count()).select_from(ProgressEntry)).one()


def _upload(client, headers, content):
    return client.post(
        UPLOADS,
        params={"dry_run": "true"},
        files={"file": ("report.xlsx", content, XLSX_MEDIA_TYPE)},
        headers=headers,
    )


def _refused(response, words, msg="workbook too large"):
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert words in problem["detail"]
    assert problem["errors"] == [{"loc": ["file"], "msg": msg, "type": "file_invalid"}]
    return problem


def test_a_workbook_at_the_limits_is_read(client, officer, code):
    content = _workbook(code, strings=workbook._MAX_SHARED_STRINGS)
    response = _upload(client, officer, content)
    assert response.status_code == 200, response.text
    assert response.json()["rows_read"] == 1


def test_millions_of_tiny_shared_strings_are_refused_unread(client, officer, session, code):
    # 3.7 million strings, 63 MiB unpacked, under the unpacked-size cap, some 150 KB packed.
    content = _workbook(code, strings=3_700_000)
    assert len(content) < 300_000
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert sum(m.file_size for m in archive.infolist()) < workbook._MAX_UNPACKED_BYTES
    before = _count(session)
    problem = _refused(_upload(client, officer, content), "shared strings")
    assert str(workbook._MAX_SHARED_STRINGS) in problem["detail"]
    assert _count(session) == before


@pytest.mark.parametrize("prefix", ["", "x:"])
def test_one_shared_string_too_many_is_refused(client, officer, code, prefix):
    content = _workbook(code, strings=workbook._MAX_SHARED_STRINGS + 1, prefix=prefix)
    _refused(_upload(client, officer, content), "shared strings")


def test_a_row_of_countless_cells_is_refused(client, officer, code):
    # openpyxl parses every cell of a row it reads, not only the columns the upload looks at.
    content = _workbook(code, extra_cells=workbook._MAX_CELLS)
    assert len(content) < 100_000
    _refused(_upload(client, officer, content), "cells")


def test_an_outsized_stylesheet_is_refused(client, officer, code):
    content = _workbook(code, styles_bytes=workbook._MAX_OTHER_PART_BYTES + 1)
    _refused(_upload(client, officer, content), "xl/styles.xml", "part too large")
