"""A park's plan spreadsheet: the template out, and uploads stored whole or not at all."""

import io

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select

from app.exports.cells import put
from app.models import Category, Project

PARK = "gaoxin"
TEMPLATE = f"/api/v1/parks/{PARK}/plan-template"
UPLOAD = f"/api/v1/parks/{PARK}/plans"
PLAN = {"planned_investment_wan": 12000, "target": "主体封顶", "planned_start": True}


@pytest.fixture
def planner(auth):
    return auth("planner")


def _codes(session):
    return list(
        session.exec(
            select(Project.code)
            .join(Category, col(Category.id) == col(Project.category_id))
            .where(Project.park_id == PARK, col(Project.archived_at).is_(None))
            .order_by(col(Category.position), col(Project.seq))
        ).all()
    )


def _template(client, headers, year=2026):
    response = client.get(TEMPLATE, params={"year": year}, headers=headers)
    assert response.status_code == 200, response.text
    return load_workbook(io.BytesIO(response.content))


def _upload(client, headers, book, *, dry_run=False, year=2026):
    buffer = io.BytesIO()
    book.save(buffer)
    files = {"file": ("plans.xlsx", buffer.getvalue(), "application/octet-stream")}
    return client.post(
        UPLOAD,
        params={"year": year, "dry_run": str(dry_run).lower()},
        files=files,
        headers=headers,
    )


def _fill(sheet, row, *values):
    # As Excel stores what an officer types: text as text (a leading "=" typed as '=).
    for column, value in enumerate(values, start=3):
        put(sheet.cell(row, column), value)


def test_template_lists_the_parks_projects_with_plans_in_force(client, planner, session):
    codes = _codes(session)
    plan = {**PLAN, "target": '=HYPERLINK("http://x")'}
    assert (
        client.put(
            f"/api/v1/projects/{codes[1]}/plans/2026", json=plan, headers=planner
        ).status_code
        == 201
    )
    book = _template(client, planner)
    assert book.sheetnames == ["年度计划", "说明"]
    sheet = book["年度计划"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("项目编号", "项目名称", "年度计划投资（万元）", "年度目标")
    assert [r[0] for r in rows[1:]] == codes
    assert rows[1][2:] == (None,) * 7
    assert rows[2][2:6] == (12000, '=HYPERLINK("http://x")', "是", "否")
    # Text that looks like a formula is written as text, never as a formula.
    assert sheet.cell(3, 4).data_type == "s"


def test_officers_fetch_their_own_parks_template_only(client, auth):
    assert (
        client.get(TEMPLATE, params={"year": 2026}, headers=auth("officer", PARK)).status_code
        == 200
    )
    other = client.get(TEMPLATE, params={"year": 2026}, headers=auth("officer", "lvshun"))
    assert other.status_code == 403
    assert client.get(TEMPLATE, params={"year": 1999}, headers=auth()).status_code == 422
    assert (
        client.get(
            "/api/v1/parks/nowhere/plan-template", params={"year": 2026}, headers=auth()
        ).status_code
        == 404
    )


def test_dry_run_changes_nothing(client, planner, session):
    code = _codes(session)[0]
    book = _template(client, planner)
    _fill(book["年度计划"], 2, 5000, "开工建设", "是", "否")
    response = _upload(client, planner, book, dry_run=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["rows_created"], body["rows_read"], body["dry_run"]) == (1, 1, True)
    assert body["rows"][0]["project_code"] == code
    assert client.get(f"/api/v1/projects/{code}/plans/2026", headers=planner).status_code == 404


def test_upload_creates_then_finds_the_template_unchanged(client, planner, session):
    code = _codes(session)[0]
    book = _template(client, planner)
    _fill(book["年度计划"], 2, 5000, "=1+1", "是", "否")
    response = _upload(client, planner, book)
    assert response.status_code == 201, response.text
    plan = client.get(f"/api/v1/projects/{code}/plans/2026", headers=planner).json()
    assert (plan["planned_investment_wan"], plan["target"], plan["planned_start"]) == (
        5000,
        "=1+1",
        True,
    )
    again = _upload(client, planner, _template(client, planner)).json()
    assert (again["rows_unchanged"], again["rows_created"], again["rows_adjusted"]) == (1, 0, 0)


def test_adjustment_by_upload_needs_reason_and_document(client, planner, session):
    code = _codes(session)[0]
    client.put(f"/api/v1/projects/{code}/plans/2026", json=PLAN, headers=planner)
    book = _template(client, planner)
    _fill(book["年度计划"], 2, 8000)
    refused = _upload(client, planner, book)
    assert refused.status_code == 422
    assert {tuple(e["loc"]) for e in refused.json()["errors"]} == {
        ("file", 2, "调整原因"),
        ("file", 2, "调整文号"),
    }
    _fill(
        book["年度计划"],
        2,
        8000,
        "主体封顶",
        "是",
        "否",
        "资金调整",
        "大园区发〔2026〕3号",
        "2026-07-01",
    )
    adjusted = _upload(client, planner, book)
    assert adjusted.status_code == 201, adjusted.text
    assert adjusted.json()["rows_adjusted"] == 1
    plan = client.get(f"/api/v1/projects/{code}/plans/2026", headers=planner).json()
    assert [h["planned_investment_wan"] for h in plan["history"]] == [12000, 8000]
    assert plan["history"][1]["document_date"] == "2026-07-01"


def test_one_bad_row_stores_nothing_and_names_the_row(client, planner, session):
    codes = _codes(session)
    book = _template(client, planner)
    sheet = book["年度计划"]
    _fill(sheet, 2, 5000, "开工")
    _fill(sheet, 3, -7, "开工")
    _fill(sheet, 4, 100, "开工", "也许")
    response = _upload(client, planner, book)
    assert response.status_code == 422, response.text
    body = response.json()
    assert {(e["loc"][1], e["loc"][2]) for e in body["errors"]} == {
        (3, "年度计划投资（万元）"),
        (4, "计划开工"),
    }
    assert "row 3" in body["detail"]
    for code in codes[:3]:
        assert client.get(f"/api/v1/projects/{code}/plans/2026", headers=planner).status_code == 404


def test_project_of_another_park_is_a_row_error(client, planner):
    book = _template(client, planner)
    sheet = book["年度计划"]
    sheet.cell(2, 1).value = "INF-015"
    _fill(sheet, 2, 5000)
    response = _upload(client, planner, book)
    assert response.status_code == 422
    assert "lvshun" in response.json()["errors"][0]["msg"]


def test_officers_may_not_upload_plans(client, auth, planner):
    book = _template(client, planner)
    response = _upload(client, auth("officer", PARK), book)
    assert response.status_code == 403
    assert "plans:write" in response.json()["detail"]


def test_not_a_workbook_is_refused_with_the_report_uploads_checks(client, planner):
    files = {"file": ("plans.pdf", b"%PDF-1.4 nothing", "application/pdf")}
    response = client.post(UPLOAD, params={"year": 2026}, files=files, headers=planner)
    assert response.status_code == 415
