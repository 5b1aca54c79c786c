"""Exports: XLSX and CSV hold the same numbers as the JSON, Chinese intact, streamed."""

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from app.exports.writers import XLSX_MEDIA_TYPE, Column, Table, csv_chunks
from tests.conftest import SEED_DIR

SEED = json.loads((SEED_DIR / "projects.json").read_text(encoding="utf-8"))


def _xlsx(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX_MEDIA_TYPE
    assert "attachment" in response.headers["content-disposition"]
    return load_workbook(io.BytesIO(response.content)).active


def _csv(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_project_list_as_xlsx(client, auth):
    sheet = _xlsx(client.get("/api/v1/projects?format=xlsx", headers=auth()))
    rows = list(sheet.iter_rows(values_only=True))
    header, body, totals = rows[0], rows[1:-1], rows[-1]
    assert header[0] == "项目编号"
    assert "总投资（万元）" in header
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["D"].width >= 30
    assert len(body) == 178
    assert [r[0] for r in body] == [p["code"] for p in SEED]
    assert [r[3] for r in body] == [p["name"] for p in SEED]
    planned = header.index("总投资（万元）")
    assert sum(r[planned] for r in body) == totals[planned] == 21_124_119
    assert totals[0] == "合计（178个）"


def test_project_list_as_csv_with_filters(client, auth):
    rows = _csv(client.get("/api/v1/projects?format=csv&park=gaoxin", headers=auth()))
    header, body, totals = rows[0], rows[1:-1], rows[-1]
    expected = [p for p in SEED if p["park_name"] == "大连高新技术产业园区"]
    assert [r[3] for r in body] == [p["name"] for p in expected]
    assert [r[6] for r in body] == [p["content"] for p in expected]
    planned = header.index("总投资（万元）")
    assert int(totals[planned]) == sum(p["total_investment_wan"] for p in expected)


def test_accept_header_chooses_the_format(client, auth):
    response = client.get("/api/v1/projects", headers={**auth(), "Accept": "text/csv"})
    assert len(_csv(response)) == 180
    response = client.get("/api/v1/projects", headers={**auth(), "Accept": XLSX_MEDIA_TYPE})
    assert _xlsx(response).max_row == 180
    assert client.get("/api/v1/projects", headers=auth()).headers["content-type"] == (
        "application/json"
    )


def test_rollup_xlsx_matches_the_json(client, auth):
    json_body = client.get("/api/v1/rollups?by=park,category", headers=auth()).json()
    sheet = _xlsx(client.get("/api/v1/rollups?by=park,category&format=xlsx", headers=auth()))
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    count, planned = header.index("项目个数"), header.index("总投资（万元）")
    assert [(r[0], r[count], r[planned]) for r in rows[1:-1]] == [
        (r["park_id"], r["project_count"], r["total_investment_wan"]) for r in json_body["rows"]
    ]
    assert rows[-1][count] == json_body["totals"]["project_count"] == 178
    assert rows[-1][planned] == 21_124_119


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reports/reconciliation",
        "/api/v1/reports/compliance?period=2026-10",
        "/api/v1/reports/changes?from_date=2026-01-31&to_date=2026-10-31",
        "/api/v1/reports/blockers",
    ],
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_report_exports(client, auth, path, fmt):
    separator = "&" if "?" in path else "?"
    response = client.get(f"{path}{separator}format={fmt}", headers=auth())
    rows = _csv(response) if fmt == "csv" else list(_xlsx(response).iter_rows(values_only=True))
    assert len(rows) >= 2
    assert all(isinstance(h, str) and h for h in rows[0])


def test_reconciliation_export_carries_the_differences(client, auth):
    rows = _csv(client.get("/api/v1/reports/reconciliation?format=csv", headers=auth()))
    cell = next(r for r in rows if r[1] == "长兴岛开发区" and r[2] == "innovation")
    assert cell[3:9] == ["3", "9407662", "4", "9697662", "1", "290000"]
    assert rows[-1][3:9] == ["179", "20841119", "178", "21124119", "-1", "283000"]


def test_bad_format_is_422(client, auth):
    response = client.get("/api/v1/projects?format=pdf", headers=auth())
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "format"]


def test_csv_streams_in_chunks_as_rows_arrive():
    produced = 0

    def rows():
        nonlocal produced
        for i in range(2000):
            produced += 1
            yield [i, "项目"]

    chunks = csv_chunks(Table(title="t", columns=[Column("编号"), Column("名称")], rows=rows()))
    first = next(chunks)
    assert first.startswith(b"\xef\xbb\xbf")
    # Only the first batch has been read from the source when the first chunk goes out.
    assert produced < 2000
    assert len(list(chunks)) >= 3
    assert produced == 2000
