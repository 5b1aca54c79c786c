"""Control characters are refused in the pages' forms, search box and upload, as in the API."""

import re

import pytest

from app.models import ProgressEntry
from tests import factories
from tests.security.test_control_characters import (
    CONTROLS,
    UPLOADS,
    csv_upload,
    entry_id,
    report_body,
    stored,
    xlsx_upload,
)
from tests.web.conftest import csrf_of


@pytest.fixture
def code(session) -> str:
    """A project of park gaoxin made for the test."""
    return factories.project(session).code


def report_form(browser, code):
    page = browser.get(f"/web/projects/{code}/report")
    key = re.search(r'name="request_key" value="([^"]+)"', page.text)
    assert key
    return {"csrf": csrf_of(page.text), "request_key": key.group(1)}


@pytest.mark.parametrize("control", CONTROLS)
@pytest.mark.parametrize("field", ["note", "issues"])
def test_the_report_form_refuses_control_characters(sign_in, session, code, control, field):
    browser = sign_in("officer", "gaoxin")
    before = stored(session)
    response = browser.post(
        f"/web/projects/{code}/report",
        data={**report_form(browser, code), **report_body(), field: f"主体{control}施工"},
    )
    assert response.status_code == 422
    error = re.search(rf'id="error-{field}" role="alert">([^<]*)<', response.text)
    assert error
    assert "不能含控制字符" in error.group(1)
    assert stored(session) == before


@pytest.mark.parametrize("control", CONTROLS)
@pytest.mark.parametrize("decision", ["approve", "return"])
def test_the_review_form_refuses_control_characters(
    sign_in, session, client, auth, code, control, decision
):
    reported = entry_id(client, auth, code)
    browser = sign_in("planner")
    page = browser.get(f"/web/projects/{code}")
    response = browser.post(
        f"/web/projects/{code}/progress/{reported}/review",
        data={"csrf": csrf_of(page.text), "decision": decision, "comment": f"请{control}核实"},
    )
    assert response.status_code == 422
    assert 'id="review-error"' in response.text
    assert "不能含控制字符" in response.text
    assert session.get(ProgressEntry, reported).review_state == "submitted"


@pytest.mark.parametrize("control", CONTROLS)
def test_the_search_box_refuses_control_characters(sign_in, control):
    browser = sign_in("planner")
    response = browser.get("/web/projects", params={"q": f"大{control}连"})
    assert response.status_code == 422
    assert "不能含控制字符" in response.text
    assert (
        browser.get("/web/exports/projects.csv", params={"q": f"大{control}连"}).status_code == 422
    )


@pytest.mark.parametrize(("kind", "control"), UPLOADS)
def test_the_upload_page_names_the_row_and_column(sign_in, session, code, kind, control):
    browser = sign_in("officer", "gaoxin")
    page = browser.get("/web/spreadsheet")
    content = (csv_upload if kind == "csv" else xlsx_upload)(code, "note", control)
    before = stored(session)
    response = browser.post(
        "/web/spreadsheet",
        data={"csrf": csrf_of(page.text)},
        files={"file": (f"report.{kind}", content, "application/octet-stream")},
    )
    assert response.status_code == 422
    assert "形象进度" in response.text
    assert "不能含控制字符" in response.text
    assert stored(session) == before
