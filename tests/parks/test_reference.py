"""Parks and categories, with their totals computed by the database."""

import json
from collections import defaultdict

from app.categories.schemas import CategoryPublic
from app.parks.schemas import PARK_EXAMPLE
from tests.conftest import SEED_DIR

PARKS = json.loads((SEED_DIR / "parks.json").read_text(encoding="utf-8"))
SEED = json.loads((SEED_DIR / "projects.json").read_text(encoding="utf-8"))


def _expected_by(key):
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in SEED:
        totals[key(row)][0] += 1
        totals[key(row)][1] += row["total_investment_wan"]
    return totals


def test_parks_in_table4_order_with_totals(client, auth):
    body = client.get("/api/v1/parks", headers=auth()).json()
    parks = body["items"]
    assert [p["id"] for p in parks] == [p["id"] for p in PARKS]
    assert len(parks) == 9
    park_of = {s: p["id"] for p in PARKS for s in [p["name"], *p["aliases"]]}
    expected = _expected_by(lambda row: park_of[row["park_name"]])
    for park in parks:
        assert [park["project_count"], park["total_investment_wan"]] == expected[park["id"]]
    assert sum(p["project_count"] for p in parks) == 178
    assert sum(p["total_investment_wan"] for p in parks) == 21_124_119
    assert {p["tier"] for p in parks} == {"demonstration", "key"}
    assert {p["tier_name"] for p in parks} == {"示范园区", "重点园区"}


def test_every_printed_spelling_is_a_name_or_alias(client, auth):
    parks = client.get("/api/v1/parks", headers=auth()).json()["items"]
    spellings = {s for p in parks for s in [p["name"], *p["aliases"]]}
    assert {row["park_name"] for row in SEED} <= spellings


def test_one_park_matches_the_documented_example(client, auth):
    response = client.get("/api/v1/parks/gaoxin", headers=auth())
    assert response.status_code == 200
    assert response.json() == PARK_EXAMPLE


def test_unknown_park_is_404(client, auth):
    response = client.get("/api/v1/parks/atlantis", headers=auth())
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_categories_with_totals(client, auth):
    items = client.get("/api/v1/categories", headers=auth()).json()["items"]
    expected = _expected_by(lambda row: row["category"])
    assert [c["id"] for c in items] == ["infrastructure", "service_platform", "innovation"]
    assert [c["name"] for c in items] == ["公共基础设施", "公共服务平台", "创业创新能力"]
    assert [c["project_count"] for c in items] == [53, 11, 114]
    for category in items:
        total = [category["project_count"], category["total_investment_wan"]]
        assert total == expected[category["id"]]
    example = CategoryPublic.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    assert items[0] == example
