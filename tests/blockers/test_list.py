"""The 问题清单: filters, overdue, paging, and the exports as real CSV and XLSX files."""

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from app import clock
from app.exports.writers import XLSX_MEDIA_TYPE
from tests import factories
from tests.blockers.conftest import BLOCKERS


@pytest.fixture
def register(session, planner, raise_blocker, step):
    """Four blockers on two new projects (gaoxin, lvshun), in every state that matters."""
    today = clock.today()
    gaoxin = factories.project(session).code
    lvshun = factories.project(session, park_id="lvshun", category="infrastructure").code
    late = raise_blocker(
        gaoxin,
        planner,
        type="funding",
        description="=SUM(A1) 资金缺口",
        responsible_unit="市财政局",
        deadline=(today - timedelta(days=1)).isoformat(),
    )
    due_today = raise_blocker(
        gaoxin,
        planner,
        type="land",
        responsible_unit="市自然资源局",
        deadline=today.isoformat(),
    )
    unassigned = raise_blocker(lvshun, planner, type="utilities", description="供电线路未接入。")
    done = raise_blocker(
        lvshun,
        planner,
        type="funding",
        responsible_unit="市财政局",
        deadline=(today - timedelta(days=30)).isoformat(),
        level="district",
    )
    resolved = step(done, planner, state="resolved", note="已拨付。", resolution="资金已到位。")
    assert resolved.status_code == 200
    return {
        "codes": (gaoxin, lvshun),
        "late": late["id"],
        "due_today": due_today["id"],
        "unassigned": unassigned["id"],
        "done": done["id"],
    }


def _ids(client, headers, **params):
    response = client.get(BLOCKERS, params={"limit": 500, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_filters(client, planner, register):
    gaoxin, lvshun = register["codes"]
    mine = {"project": f"{gaoxin},{lvshun}"}
    assert _ids(client, planner, **mine) == [
        register["done"],
        register["unassigned"],
        register["due_today"],
        register["late"],
    ]
    assert _ids(client, planner, **mine, park="lvshun") == [
        register["done"],
        register["unassigned"],
    ]
    assert _ids(client, planner, **mine, category="infrastructure") == [
        register["done"],
        register["unassigned"],
    ]
    assert _ids(client, planner, **mine, type="funding") == [register["done"], register["late"]]
    assert _ids(client, planner, **mine, state="resolved") == [register["done"]]
    assert _ids(client, planner, **mine, state="open,in_progress") == [
        register["unassigned"],
        register["due_today"],
        register["late"],
    ]
    assert _ids(client, planner, **mine, level="district") == [register["done"]]
    assert _ids(client, planner, **mine, unit="市财政局") == [register["done"], register["late"]]
    assert _ids(client, planner, **mine, q="供电") == [register["unassigned"]]
    assert _ids(client, planner, project=gaoxin.lower()) == [
        register["due_today"],
        register["late"],
    ]


def test_overdue_is_open_and_past_the_deadline(client, planner, register):
    gaoxin, lvshun = register["codes"]
    mine = {"project": f"{gaoxin},{lvshun}"}
    # Not the one due today, nor the resolved one past its deadline, nor one without deadline.
    assert _ids(client, planner, **mine, overdue="true") == [register["late"]]
    assert register["late"] not in _ids(client, planner, **mine, overdue="false")
    listed = client.get(BLOCKERS, params=mine, headers=planner).json()["items"]
    assert {b["id"]: b["overdue"] for b in listed} == {
        register["done"]: False,
        register["unassigned"]: False,
        register["due_today"]: False,
        register["late"]: True,
    }


def test_paging(client, planner, register):
    gaoxin, lvshun = register["codes"]
    page = client.get(
        BLOCKERS, params={"project": f"{gaoxin},{lvshun}", "limit": 3, "offset": 2}, headers=planner
    ).json()
    assert (page["total"], page["limit"], page["offset"]) == (4, 3, 2)
    assert [b["id"] for b in page["items"]] == [register["due_today"], register["late"]]


def test_csv_export_opens_with_chinese_intact(client, planner, register):
    gaoxin, lvshun = register["codes"]
    response = client.get(
        BLOCKERS, params={"project": f"{gaoxin},{lvshun}", "format": "csv"}, headers=planner
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "blockers.csv" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:6] == ["问题编号", "项目编号", "项目名称", "园区", "问题类型", "问题描述"]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:-1]}
    late = by_id[str(register["late"])]
    assert late["问题类型"] == "资金"
    # Text a spreadsheet would run as a formula is kept as text (app/exports/cells.py).
    assert late["问题描述"] == "'=SUM(A1) 资金缺口"
    assert late["是否超期"] == "超期"
    assert late["状态"] == "待办"
    assert late["责任单位"] == "市财政局"
    done = by_id[str(register["done"])]
    assert (done["状态"], done["办理结果"], done["层级"]) == ("已办结", "资金已到位。", "区")
    assert rows[-1][0] == "合计（4个）"


def test_xlsx_export_by_accept(client, planner, register):
    gaoxin, lvshun = register["codes"]
    response = client.get(
        BLOCKERS,
        params={"project": f"{gaoxin},{lvshun}", "overdue": "true"},
        headers={**planner, "Accept": XLSX_MEDIA_TYPE},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX_MEDIA_TYPE
    sheet = load_workbook(io.BytesIO(response.content))["问题清单"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "问题编号"
    assert len(rows) == 3
    assert rows[1][0] == register["late"]
    assert rows[1][5] == "=SUM(A1) 资金缺口"
    assert sheet.cell(row=2, column=6).data_type == "s"
    assert rows[2][0] == "合计（1个）"


def test_bad_filters_are_422(client, planner):
    for params in (
        {"type": "weather"},
        {"state": "done"},
        {"level": "province"},
        {"park": "nowhere"},
        {"overdue": "maybe"},
        {"limit": 501},
        {"q": "a\x07b"},
        {"unit": "x" * 101},
        {"project": "INF 1"},
        {"format": "pdf"},
        {"colour": "red"},
    ):
        response = client.get(BLOCKERS, params=params, headers=planner)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
