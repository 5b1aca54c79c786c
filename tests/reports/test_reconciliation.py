"""Tables 4 and 5 of the plan reconciled with the library, cell by cell."""

import csv
import io
import json

import pytest

from app.reports import reconciliation
from tests import factories
from tests.conftest import SEED_DIR

PUBLISHED = json.loads((SEED_DIR / "published_tables.json").read_text(encoding="utf-8"))


def _get(client, auth):
    response = client.get("/api/v1/reports/reconciliation", headers=auth())
    assert response.status_code == 200, response.text
    return response.json()


def test_headline_shows_both_totals(client, auth):
    headline = _get(client, auth)["headline"]
    assert headline["published"] == {"count": 179, "amount_wan": 20_841_119}
    assert headline["appendix_header"] == {"count": 178, "amount_wan": 21_124_119}
    assert headline["computed"] == {"count": 178, "amount_wan": 21_124_119}
    assert headline["difference"] == {"count": -1, "amount_wan": 283_000}


def _cell(table, label, column):
    row = next(r for r in table["rows"] if r["label"] == label)
    return row["cells"][column]


def test_table4_cells_show_where_they_differ(client, auth):
    table4 = _get(client, auth)["table4"]
    # 长兴岛开发区: table 4 leaves out INN-033 (290000 万元).
    cell = _cell(table4, "长兴岛开发区", "innovation")
    assert cell["published"] == {"count": 3, "amount_wan": 9_407_662}
    assert cell["computed"] == {"count": 4, "amount_wan": 9_697_662}
    assert cell["difference"] == {"count": 1, "amount_wan": 290_000}
    assert cell["matches"] is False
    # 旅顺开发区 agrees in every cell.
    row = next(r for r in table4["rows"] if r["label"] == "旅顺开发区")
    assert all(c["matches"] for c in row["cells"].values())
    # 大连高新区: totals agree, the category split does not (INN-023 counted as infrastructure).
    assert _cell(table4, "大连高新区", "all")["matches"] is True
    assert _cell(table4, "大连高新区", "infrastructure")["difference"] == {
        "count": -1,
        "amount_wan": -4000,
    }
    # A "——" cell is published as null and computed as what the library holds.
    empty = _cell(table4, "长兴岛开发区", "infrastructure")
    assert empty["published"] == {"count": None, "amount_wan": None}
    assert empty["computed"] == {"count": 0, "amount_wan": 0}
    assert empty["matches"] is True


def test_every_cell_is_published_computed_and_differenced(client, auth):
    body = _get(client, auth)
    for name in ("table4", "table5"):
        table = body[name]
        assert [r["label"] for r in table["rows"]] == [r["label"] for r in PUBLISHED[name]["rows"]]
        differing = 0
        for row, printed in zip(table["rows"], PUBLISHED[name]["rows"], strict=True):
            for column in table["columns"]:
                cell = row["cells"][column]
                assert cell["published"] == printed["cells"][column]
                for part in ("count", "amount_wan"):
                    assert cell["difference"][part] == cell["computed"][part] - (
                        cell["published"][part] or 0
                    )
                differing += not cell["matches"]
        assert table["differing_cells"] == differing > 0


def test_table5_total_row(client, auth):
    table5 = _get(client, auth)["table5"]
    total = next(r for r in table5["rows"] if r["kind"] == "total")
    assert total["cells"]["all"]["computed"] == {"count": 178, "amount_wan": 21_124_119}
    computed = [total["cells"][c]["computed"]["count"] for c in table5["columns"][1:]]
    assert sum(computed) == 178


# The plan's edition only ------------------------------------------------------------------


def _figures(body):
    """The reconciliation's figures: every published, computed and difference, and the
    headline; what a batch added later must leave as it was."""
    return json.dumps(
        {
            "headline": body["headline"],
            **{
                name: [
                    [
                        row["label"],
                        {
                            column: [cell["published"], cell["computed"], cell["difference"]]
                            for column, cell in row["cells"].items()
                        },
                    ]
                    for row in body[name]["rows"]
                ]
                for name in ("table4", "table5")
            },
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def test_a_project_added_in_a_batch_changes_nothing(client, auth, session):
    before = _get(client, auth)
    admin = auth("admin")
    batch = client.post(
        "/api/v1/editions",
        json={"id": "batch-2026-1", "name": "2026年第一批", "document": "大发改投资〔2026〕15号"},
        headers=admin,
    )
    assert batch.status_code == 201, batch.text
    # In 长兴岛, in the innovation column, started in 2019: it would fall in differing cells.
    added = client.post(
        "/api/v1/projects",
        json={
            "category": "innovation",
            "name": "长兴岛新增石化项目",
            "park_id": "changxingdao",
            "start_year": 2019,
            "end_year": 2027,
            "total_investment_wan": 123456,
            "edition_id": "batch-2026-1",
        },
        headers=admin,
    )
    assert added.status_code == 201, added.text
    # And one more with the default batch.
    factories.project(session, park_id="changxingdao", start_year=2019)
    after = _get(client, auth)
    assert _figures(after) == _figures(before)
    assert after == before
    assert after["headline"]["computed"] == {"count": 178, "amount_wan": 21_124_119}
    assert after["headline"]["difference"] == {"count": -1, "amount_wan": 283_000}
    # The library itself did grow.
    assert client.get("/api/v1/projects", headers=auth()).json()["total"] == 180


def test_an_archived_row_of_the_plan_still_counts(client, auth):
    before = _get(client, auth)
    admin = auth("admin")
    etag = client.get("/api/v1/projects/INN-033", headers=admin).headers["etag"]
    archived = client.post(
        "/api/v1/projects/INN-033/archive",
        json={"reason": "测试出库"},
        headers={**admin, "If-Match": etag},
    )
    assert archived.status_code == 200, archived.text
    after = _get(client, auth)
    assert _figures(after) == _figures(before)
    cell = _cell(after["table4"], "长兴岛开发区", "innovation")
    assert [c["code"] for c in cell["candidates"]] == ["INN-033"]
    assert cell["candidates"][0]["archived"] is True


# The worklist ---------------------------------------------------------------------------------


def test_the_changxingdao_cell_names_exactly_the_pta_project(client, auth):
    body = _get(client, auth)
    assert body["edition_id"] == "plan"
    for column in ("all", "innovation"):
        cell = _cell(body["table4"], "长兴岛开发区", column)
        assert cell["candidates"] == [
            {
                "code": "INN-033",
                "name": "恒力石化（大连）有限公司年产250万吨PTA-4项目",
                "total_investment_wan": 290_000,
                "archived": False,
            }
        ]
        assert cell["match"] == "reviewed"
        assert "INN-033" in cell["explanation"]
        assert "290,000" in cell["explanation"]
    assert "INN-033" in body["headline"]["explanation"]


def test_the_search_alone_finds_the_pta_project(client, auth, seed_dir, monkeypatch):
    # Without the reviewed notes the cell's one project of exactly the difference is found.
    monkeypatch.setattr(reconciliation, "load_notes", lambda _seed_dir: {})
    cell = _cell(_get(client, auth)["table4"], "长兴岛开发区", "innovation")
    assert [c["code"] for c in cell["candidates"]] == ["INN-033"]
    assert cell["match"] == "exact"
    assert cell["explanation"] is None
    # A shortfall is looked for in the same row's other columns: 高新区 files INN-023 (4,000
    # 万元, innovation in the appendix) under infrastructure.
    gaoxin = _cell(_get(client, auth)["table4"], "大连高新区", "infrastructure")
    assert ([c["code"] for c in gaoxin["candidates"]], gaoxin["match"]) == (["INN-023"], "exact")


def test_a_cell_without_a_difference_has_no_candidates(client, auth):
    body = _get(client, auth)
    for name in ("table4", "table5"):
        for row in body[name]["rows"]:
            for cell in row["cells"].values():
                if cell["matches"]:
                    assert cell["candidates"] == []
                    assert cell["match"] is None
                    assert cell["explanation"] is None
                else:
                    assert cell["match"] in ("reviewed", "exact", "closest")
                assert cell["projects"].startswith("/api/v1/projects?edition=plan")


def test_each_cell_links_to_the_projects_it_counts(client, auth):
    body = _get(client, auth)
    cell = _cell(body["table4"], "长兴岛开发区", "innovation")
    listed = client.get(cell["projects"] + "&limit=500", headers=auth()).json()
    assert listed["total"] == cell["computed"]["count"] == 4
    assert sum(p["total_investment_wan"] for p in listed["items"]) == 9_697_662
    total5 = next(r for r in body["table5"]["rows"] if r["kind"] == "category")
    cell = total5["cells"]["2019"]
    listed = client.get(cell["projects"] + "&limit=500", headers=auth()).json()
    assert listed["total"] == cell["computed"]["count"]


NOTES = json.loads((SEED_DIR / "reconciliation_notes.json").read_text(encoding="utf-8"))
_FIELD = {"tier": "tier", "park": "park_id", "category": "category"}
SEEDED = {p["code"]: p for p in json.loads((SEED_DIR / "projects.json").read_text("utf-8"))}


@pytest.mark.parametrize(
    "note", NOTES["notes"], ids=[f"{n['table']}-{n['row']}" for n in NOTES["notes"]]
)
def test_every_reviewed_note_explains_a_differing_cell_with_appendix_rows(client, auth, note):
    body = _get(client, auth)
    row = next(
        r
        for r in body[note["table"]]["rows"]
        if note["row"]
        == ("total" if r["kind"] == "total" else f"{r['kind']}:{r[_FIELD[r['kind']]]}")
    )
    for column in note["columns"]:
        cell = row["cells"][column]
        assert not cell["matches"]
        assert cell["explanation"] == note["explanation"]
        assert [c["code"] for c in cell["candidates"]] == note["projects"]
    assert all(code in SEEDED for code in note["projects"])


@pytest.mark.parametrize(
    ("label", "codes"),
    [("长兴岛开发区", ["INN-033"]), ("保税区", ["INN-057"]), ("大连高新区", ["INN-023"])],
)
def test_a_one_project_explanation_adds_up(client, auth, label, codes):
    # Where a note names one project for a cell, that project is the whole difference.
    row = next(r for r in _get(client, auth)["table4"]["rows"] if r["label"] == label)
    for cell in row["cells"].values():
        if not cell["matches"]:
            amount = sum(SEEDED[c]["total_investment_wan"] for c in codes)
            assert abs(cell["difference"]["amount_wan"]) == amount
            assert abs(cell["difference"]["count"]) == len(codes)


def test_the_export_carries_candidates_and_explanations(client, auth):
    response = client.get("/api/v1/reports/reconciliation?format=csv", headers=auth())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][-2:] == ["可解释差额的项目", "说明"]
    cell = next(r for r in rows if r[1] == "长兴岛开发区" and r[2] == "innovation")
    assert cell[-2] == "INN-033"
    assert "INN-033" in cell[-1]
    assert "INN-033" in rows[-1][-1]
