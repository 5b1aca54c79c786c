"""Spreadsheet round trip: the park template out, filled XLSX and CSV files back in, all or none."""

import csv
import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import col, func, select

from app.clock import REPORTING_TZ
from app.exports.writers import XLSX_MEDIA_TYPE
from app.models import Category, ProgressEntry, Project
from app.projects.service import get_project
from app.reports.service import period_due, period_end
from tests import factories

HEADERS = [
    "项目编号",
    "项目名称",
    "报告日期",
    "项目状态",
    "完成百分比（%）",
    "累计完成投资（万元）",
    "形象进度",
    "存在问题",
    "实际竣工日期",
    "本期无变化",
    "核实说明",
]
OTHER = "INF-015"  # park lvshun
UPLOADS = "/api/v1/progress-uploads"


def _today():
    return datetime.now(REPORTING_TZ).date()


def _period():
    """The period a template defaults to: the period due today."""
    return period_due(_today())


@pytest.fixture
def officer(auth):
    return auth("officer", "gaoxin")


@pytest.fixture
def code(session) -> str:
    """A project of park gaoxin, the officer's own, made for the test."""
    return factories.project(session, total_investment_wan=220_000).code


def _template(client, headers, park="gaoxin", **params):
    response = client.get(f"/api/v1/parks/{park}/report-template", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.content


def _upload(client, headers, content, *, name="report.xlsx", dry_run=None, mime=XLSX_MEDIA_TYPE):
    params = {} if dry_run is None else {"dry_run": str(dry_run).lower()}
    return client.post(
        UPLOADS, params=params, files={"file": (name, content, mime)}, headers=headers
    )


def _rows(content, sheet="月度进展"):
    return list(load_workbook(io.BytesIO(content))[sheet].iter_rows(values_only=True))


def _edit(content, changes, *, delete=()):
    """Change cells of the template by project code and header, as an officer would."""
    book = load_workbook(io.BytesIO(content))
    sheet = book["月度进展"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        for column, value in changes.get(row[0].value, {}).items():
            row[header.index(column)].value = value
    for code in delete:
        for row in sheet.iter_rows(min_row=2):
            if row[0].value == code:
                sheet.delete_rows(row[0].row)
                break
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _as_csv(content, *, encoding="utf-8-sig", columns=None):
    rows = _rows(content)
    order = [rows[0].index(h) for h in (columns or rows[0])]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(
            [
                v.date().isoformat() if isinstance(v, datetime) else "" if v is None else v
                for v in (row[i] for i in order)
            ]
        )
    return buffer.getvalue().encode(encoding)


def _count(session):
    return session.exec(select(func.count()).select_from(ProgressEntry)).one()


def _park_codes(session, park="gaoxin"):
    return list(
        session.exec(
            select(Project.code)
            .join(Category, col(Category.id) == col(Project.category_id))
            .where(Project.park_id == park, col(Project.archived_at).is_(None))
            .order_by(col(Category.position), col(Project.seq))
        ).all()
    )


def _newest(session, code):
    project = get_project(session, code=code)
    return session.exec(
        select(ProgressEntry)
        .where(ProgressEntry.project_id == project.id)
        .order_by(col(ProgressEntry.id).desc())
    ).first()


def test_officer_downloads_own_park_template(client, officer, session, code):
    # An earlier report whose note the template carries on.
    factories.report(session, code, as_of="2026-01-31", note="主体结构施工中。")
    response = client.get("/api/v1/parks/gaoxin/report-template", headers=officer)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX_MEDIA_TYPE
    assert response.headers["content-disposition"] == (
        f'attachment; filename="report-gaoxin-{_period()}.xlsx"'
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["月度进展", "说明"]
    sheet = book["月度进展"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.column_dimensions["B"].width >= 30
    assert (
        sheet["A2"].fill.fgColor.rgb == sheet["B2"].fill.fgColor.rgb != sheet["C2"].fill.fgColor.rgb
    )
    assert any(
        dv.formula1 == '"前期,在建,竣工,停建,取消"' for dv in sheet.data_validations.dataValidation
    )
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    codes = _park_codes(session)
    assert codes
    assert [r[0] for r in rows[1:]] == codes
    own = next(r for r in rows[1:] if r[0] == code)
    baseline = _newest(session, code)
    assert own[1] == get_project(session, code=code).name
    assert own[2] == datetime.combine(period_end(_period()), datetime.min.time())
    assert own[3] in {"前期", "在建", "竣工", "停建", "取消"}
    assert own[6] == baseline.note
    notes = [r[0] for r in book["说明"].iter_rows(values_only=True) if r and r[0]]
    assert set(HEADERS) <= set(notes)


def test_template_of_a_past_month_is_dated_at_its_end(client, auth):
    rows = _rows(_template(client, auth("planner"), park="lvshun", period="2026-02"))
    assert {r[2] for r in rows[1:]} == {datetime(2026, 2, 28)}


@pytest.mark.parametrize(
    ("role", "park", "params", "status"),
    [
        ("officer", "lvshun", {}, 403),
        ("officer", "nowhere", {}, 404),
        ("planner", "lvshun", {}, 200),
        ("admin", "gaoxin", {}, 200),
        ("planner", "gaoxin", {"period": "2026-13"}, 422),
        ("planner", "gaoxin", {"period": "2026-1"}, 422),
        ("planner", "gaoxin", {"period": "2999-01"}, 422),
    ],
)
def test_who_may_download_which_template(client, auth, role, park, params, status):
    headers = auth(role, "gaoxin" if role == "officer" else None)
    response = client.get(f"/api/v1/parks/{park}/report-template", params=params, headers=headers)
    assert response.status_code == status, response.text
    if status != 200:
        assert response.headers["content-type"] == "application/problem+json"


def test_filled_template_is_stored_with_reporter_and_history(client, officer, session, code):
    as_of = period_end(_period())
    filled = _edit(
        _template(client, officer),
        {
            code: {
                "项目状态": "在建",
                "完成百分比（%）": 65,
                "累计完成投资（万元）": 143000,
                "形象进度": "主体结构封顶，进入设备安装阶段。",
                "存在问题": "部分进口设备到货延迟。",
            },
            "INF-006": {
                "项目状态": "completed",
                "完成百分比（%）": 100,
                "存在问题": None,
                "实际竣工日期": as_of.isoformat(),
            },
        },
    )
    codes = _park_codes(session)
    before = _count(session)
    response = _upload(client, officer, filled)
    assert response.status_code == 201, response.text
    summary = response.json()
    assert summary["dry_run"] is False
    assert summary["file_format"] == "xlsx"
    assert summary["sheet"] == "月度进展"
    # Every row is this month's report; unedited ones confirm last month's figures.
    assert summary["rows_read"] == summary["rows_stored"] == len(codes)
    assert summary["rows_unchanged"] == 0
    assert len(summary["entry_ids"]) == len(codes)
    assert _count(session) == before + len(codes)
    assert [r["row"] for r in summary["rows"]] == list(range(2, len(codes) + 2))

    entry = _newest(session, code)
    assert entry.id in summary["entry_ids"]
    assert (entry.as_of, entry.period, entry.status) == (as_of, _period(), "under_construction")
    assert (entry.percent_complete, entry.invested_to_date_wan) == (65, 143000)
    assert entry.note == "主体结构封顶，进入设备安装阶段。"
    assert entry.issues == "部分进口设备到货延迟。"
    assert (entry.reporter_name, entry.reporter_role) == ("test-officer", "officer")
    done = _newest(session, "INF-006")
    assert (done.status, done.percent_complete, done.issues) == ("completed", 100, "")

    history = client.get(f"/api/v1/projects/{code}/progress", headers=officer).json()
    assert history["items"][0]["id"] == entry.id
    assert history["items"][0]["percent_complete"] == 65
    project = client.get(f"/api/v1/projects/{code}", headers=officer).json()
    assert project["status"] == "under_construction"
    assert project["latest_progress"]["invested_to_date_wan"] == 143000


def test_reuploading_the_same_file_stores_nothing_twice(client, officer, session, code):
    filled = _edit(_template(client, officer), {code: {"完成百分比（%）": 30, "项目状态": "在建"}})
    first = _upload(client, officer, filled)
    assert first.status_code == 201, first.text
    stored = first.json()["rows_stored"]
    count = _count(session)

    again = _upload(client, officer, filled)
    assert again.status_code == 201, again.text
    summary = again.json()
    assert (summary["rows_stored"], summary["rows_unchanged"]) == (0, stored)
    assert summary["entry_ids"] == []
    assert {r["action"] for r in summary["rows"]} == {"unchanged"}
    assert {r["entry_id"] for r in summary["rows"]} == set(first.json()["entry_ids"])
    assert _count(session) == count

    # The template of a period already reported shows what was reported, and goes back as is.
    redownloaded = _template(client, officer)
    assert _rows(redownloaded)[1:] == _rows(filled)[1:]
    back = _upload(client, officer, redownloaded)
    assert back.status_code == 201, back.text
    assert (back.json()["rows_stored"], back.json()["rows_unchanged"]) == (0, stored)
    assert _count(session) == count


def test_changed_row_of_a_reported_period_is_stored_as_a_revision(client, officer, session, code):
    filled = _edit(_template(client, officer), {code: {"完成百分比（%）": 30, "项目状态": "在建"}})
    assert _upload(client, officer, filled).status_code == 201
    revised = _edit(_template(client, officer), {code: {"完成百分比（%）": 35}})
    response = _upload(client, officer, revised)
    assert response.status_code == 201, response.text
    summary = response.json()
    assert summary["rows_stored"] == 1
    (row,) = [r for r in summary["rows"] if r["action"] == "create"]
    assert (row["project_code"], row["revision"], row["percent_complete"]) == (code, 2, 35)


def test_dry_run_reports_what_would_happen_and_stores_nothing(client, officer, session, code):
    filled = _edit(_template(client, officer), {code: {"完成百分比（%）": 40, "项目状态": "在建"}})
    before = _count(session)
    status = get_project(session, code=code).status
    response = _upload(client, officer, filled, dry_run=True)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["dry_run"] is True
    assert summary["rows_stored"] == summary["rows_read"] == len(_park_codes(session))
    assert summary["entry_ids"] == []
    row = next(r for r in summary["rows"] if r["project_code"] == code)
    assert row["action"] == "create"
    assert row["entry_id"] is None
    assert (row["percent_complete"], row["status"], row["period"]) == (
        40,
        "under_construction",
        _period(),
    )
    assert _count(session) == before
    session.expire_all()
    assert get_project(session, code=code).status == status

    real = _upload(client, officer, filled, dry_run=False)
    assert real.status_code == 201
    assert real.json()["rows_stored"] == summary["rows_stored"]


def _reported_earlier(client, headers, code):
    response = client.post(
        f"/api/v1/projects/{code}/progress",
        json={"as_of": "2026-01-31", "status": "under_construction", "invested_to_date_wan": 5000},
        headers=headers,
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("change", "column", "setup"),
    [
        ({"完成百分比（%）": 150}, "完成百分比（%）", None),
        ({"项目状态": "finished"}, "项目状态", None),
        ({"报告日期": "tomorrow"}, "报告日期", None),
        ({"报告日期": None}, "报告日期", None),
        ({"累计完成投资（万元）": -1}, "累计完成投资（万元）", None),
        ({"项目编号": OTHER}, "项目编号", None),
        ({"项目编号": "INF-999"}, "项目编号", None),
        ({"项目状态": "竣工", "完成百分比（%）": 50}, "完成百分比（%）", None),
        ({"累计完成投资（万元）": 4000}, "累计完成投资（万元）", _reported_earlier),
    ],
)
def test_one_bad_row_rejects_the_whole_file(client, officer, session, change, column, setup, code):
    if setup:
        setup(client, officer, code)
    content = _template(client, officer)
    codes = [r[0] for r in _rows(content)[1:]]
    bad_row = codes.index(code) + 2
    filled = _edit(content, {code: change})
    before = _count(session)
    response = _upload(client, officer, filled)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"].startswith("Nothing was stored: 1 problem in 1 row.")
    assert f"row {bad_row} {column}" in problem["detail"]
    (error,) = problem["errors"]
    assert error["loc"] == ["file", bad_row, column]
    assert error["msg"]
    assert error["type"]
    assert _count(session) == before
    assert _upload(client, officer, filled, dry_run=True).status_code == 422
    assert _count(session) == before


def test_several_problems_are_all_listed(client, officer, session, code):
    content = _template(client, officer)
    filled = _edit(
        content,
        {code: {"完成百分比（%）": 150, "项目状态": "finished"}, "INF-006": {"项目编号": OTHER}},
    )
    response = _upload(client, officer, filled)
    assert response.status_code == 422
    problem = response.json()
    codes = [r[0] for r in _rows(content)[1:]]
    own, other = codes.index(code) + 2, codes.index("INF-006") + 2
    expected = sorted([(own, 3, "项目状态"), (own, 4, "完成百分比（%）"), (other, 0, "项目编号")])
    assert [e["loc"] for e in problem["errors"]] == [["file", r, h] for r, _, h in expected]
    assert "3 problems in 2 rows" in problem["detail"]
    assert "前期" in next(e["msg"] for e in problem["errors"] if e["loc"][2] == "项目状态")


def test_a_project_twice_for_one_period_is_refused(client, officer, session, code):
    header = ",".join(HEADERS)
    today = _today().isoformat()
    text = f"{header}\r\n{code},,{today},在建,10,,,\r\n{code.lower()},,{today},在建,20,,,\r\n"
    response = _upload(client, officer, text.encode(), name="report.csv", mime="text/csv")
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["loc"] == ["file", 3, "项目编号"]
    assert "row 2" in error["msg"]


def test_csv_with_bom_and_chinese_round_trips(client, officer, session, code):
    note = "完成桩基施工，主体结构施工中，“十四五”重点。"
    filled = _edit(_template(client, officer), {code: {"形象进度": note, "项目状态": "在建"}})
    content = _as_csv(filled)
    assert content.startswith(b"\xef\xbb\xbf")
    response = _upload(client, officer, content, name="report.csv", mime="text/csv")
    assert response.status_code == 201, response.text
    assert response.json()["file_format"] == "csv"
    assert _newest(session, code).note == note
    count = _count(session)
    again = _upload(client, officer, content, name="report.csv", mime="text/csv")
    assert again.json()["rows_stored"] == 0
    assert _count(session) == count


def test_gb18030_csv_as_excel_saves_it_in_china(client, officer, session, code):
    note = "设备安装调试，计划年底投产。"
    filled = _edit(_template(client, officer), {code: {"形象进度": note, "项目状态": "在建"}})
    content = _as_csv(filled, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    response = _upload(client, officer, content, name="report.csv", mime="text/csv")
    assert response.status_code == 201, response.text
    assert _newest(session, code).note == note


def test_columns_are_found_by_header_in_any_order(client, officer, session, code):
    today = _today()
    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "备注",
            " 项目状态 ",
            "累计完成投资(万元)",
            "项目编号",
            "报告日期",
            "完成百分比(%)",
            "形象进度",
            "存在问题",
        ]
    )
    sheet.append(
        ["忽略", "under_construction", 1200, code.lower(), today, 0.25, "  施工中  ", None]
    )
    sheet.append([])
    sheet.append([None, None, None, None, None, None, None, None])
    sheet["F2"].number_format = "0%"
    buffer = io.BytesIO()
    book.save(buffer)
    response = _upload(client, officer, buffer.getvalue())
    assert response.status_code == 201, response.text
    summary = response.json()
    assert summary["rows_read"] == 1
    entry = _newest(session, code)
    assert (entry.as_of, entry.status, entry.percent_complete) == (today, "under_construction", 25)
    assert (entry.invested_to_date_wan, entry.note, entry.issues) == (1200, "施工中", "")


def test_rows_with_figures_cleared_are_skipped(client, officer, session):
    content = _template(client, officer)
    codes = [r[0] for r in _rows(content)[1:]]
    cleared = dict.fromkeys(HEADERS[2:])
    filled = _edit(content, dict.fromkeys(codes[1:], cleared))
    response = _upload(client, officer, filled)
    assert response.status_code == 201, response.text
    summary = response.json()
    assert (summary["rows_read"], summary["rows_skipped"], summary["rows_stored"]) == (
        1,
        len(codes) - 1,
        1,
    )


def test_dates_typed_as_text_are_read(client, officer, session, code):
    header = ",".join(HEADERS)
    day = date(2026, 3, 9)
    text = f"{header}\n{code},,2026/3/9,在建,5,100,施工,\n"
    response = _upload(client, officer, text.encode(), name="r.csv", mime="text/csv")
    assert response.status_code == 201, response.text
    assert _newest(session, code).as_of == day


def test_missing_column_is_named(client, officer, session):
    content = _as_csv(_template(client, officer), columns=[h for h in HEADERS if h != "项目状态"])
    before = _count(session)
    response = _upload(client, officer, content, name="report.csv", mime="text/csv")
    assert response.status_code == 422, response.text
    problem = response.json()
    assert "项目状态" in problem["detail"]
    assert problem["errors"] == [
        {"loc": ["file", 1, "项目状态"], "msg": "column missing", "type": "missing_column"}
    ]
    assert _count(session) == before


def _zip_without_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"PK\x03\x04 not really a zip", 422),
        (b"", 422),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 415),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", 415),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", 415),
        (b"\x00\x01\x02binary\xff\xfe", 415),
        (b"\xff\xff\xff\xff", 415),
    ],
)
def test_unreadable_files_are_refused(client, officer, session, content, status):
    before = _count(session)
    response = _upload(client, officer, content, name="report.xlsx")
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert _count(session) == before


def test_truncated_and_foreign_zip_files(client, officer):
    template = _template(client, officer)
    assert _upload(client, officer, template[: len(template) // 2]).status_code == 422
    assert _upload(client, officer, _zip_without_workbook()).status_code == 415
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, b"<broken" if item.filename.endswith("sheet1.xml") else data)
    assert _upload(client, officer, damaged.getvalue()).status_code == 422


def test_limits_on_size_and_rows(client, officer, session, code):
    big = b"a" * (5 * 1024 * 1024 + 1)
    assert _upload(client, officer, big, name="r.csv", mime="text/csv").status_code == 413
    header = ",".join(HEADERS)
    rows = "".join(f"{code},,2026-01-31,在建,1,,,\n" for _ in range(5001))
    response = _upload(client, officer, f"{header}\n{rows}".encode(), name="r.csv", mime="text/csv")
    assert response.status_code == 422
    assert "5000" in response.json()["detail"]


def test_upload_needs_a_reporting_token(client, auth, officer):
    content = _template(client, officer)
    assert _upload(client, auth("planner"), content).status_code == 403
    response = client.post(UPLOADS, files={"file": ("r.xlsx", content, XLSX_MEDIA_TYPE)})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/parks/gaoxin/report-template").status_code == 401


def test_admin_uploads_for_any_park(client, auth, session):
    content = _edit(_template(client, auth("admin"), park="lvshun"), {})
    response = _upload(client, auth("admin"), content)
    assert response.status_code == 201, response.text
    assert response.json()["rows_stored"] == len(_park_codes(session, "lvshun"))


def test_openapi_documents_the_file_in_and_out(client):
    paths = client.get("/openapi.json").json()["paths"]
    template = paths["/api/v1/parks/{park_id}/report-template"]["get"]
    assert XLSX_MEDIA_TYPE in template["responses"]["200"]["content"]
    upload = paths["/api/v1/progress-uploads"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"200", "201", "413", "415", "422"} <= set(upload["responses"])
