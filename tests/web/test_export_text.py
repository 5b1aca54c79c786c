"""The pages' exports and template hold stored text as text, never as a formula."""

import pytest

from app.exports.writers import XLSX_MEDIA_TYPE
from tests.exports.test_stored_text import (
    SHOWN,
    as_xml_reads,
    assert_safe_csv,
    assert_safe_xlsx,
    csv_fields,
    store,
    texts_of,
    xlsx_cells,
)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("formula", ["=1+2", "@SUM(1+2)", "\r=1+2"])
def test_the_pages_exports_hold_text_not_formulas(sign_in, client, auth, session, fmt, formula):
    texts = texts_of(formula)
    store(session, client, auth, texts)
    browser = sign_in("planner")
    response = browser.get(f"/web/exports/projects.{fmt}?park=gaoxin")
    assert response.status_code == 200, response.text
    expected = {texts[key] for key in SHOWN["projects"]}
    if fmt == "csv":
        fields = csv_fields(response.content)
        assert_safe_csv(fields)
        assert {"'" + text for text in expected} <= set(fields)
    else:
        assert response.headers["content-type"] == XLSX_MEDIA_TYPE
        cells = xlsx_cells(response.content)
        assert_safe_xlsx(cells)
        assert {as_xml_reads(text) for text in expected} <= {value for value, _ in cells}


def test_the_pages_template_holds_text_not_formulas(sign_in, client, session, auth):
    texts = texts_of("=1+2")
    store(session, client, auth, texts)
    officer = sign_in("officer", "gaoxin")
    response = officer.get("/web/spreadsheet/template?park=gaoxin")
    assert response.status_code == 200, response.text
    cells = xlsx_cells(response.content)
    assert_safe_xlsx(cells)
    assert {texts[key] for key in ("park", "name", "note", "issues")} <= {v for v, _ in cells}
