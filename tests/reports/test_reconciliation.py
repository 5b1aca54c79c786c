"""Tables 4 and 5 of the plan reconciled with the library, cell by cell."""

import json

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
