"""The project list, one project, and their filters, sorting and paging."""

import json
from collections import Counter

import pytest
from sqlmodel import select

from app.models import Project, utcnow
from app.projects import pages_postgresql
from app.projects.schemas import PROJECT_EXAMPLE, ProjectListQuery
from app.projects.service import filter_conditions
from app.seeding.load import baseline_status
from tests.conftest import SEED_DIR

SEED = json.loads((SEED_DIR / "projects.json").read_text(encoding="utf-8"))
PARK_OF = {
    spelling: park["id"]
    for park in json.loads((SEED_DIR / "parks.json").read_text(encoding="utf-8"))
    for spelling in [park["name"], *park["aliases"]]
}


def _all(client, headers, **params):
    response = client.get("/api/v1/projects", params={"limit": 500, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_list_defaults_to_appendix_order(client, auth):
    body = client.get("/api/v1/projects", headers=auth()).json()
    assert body["total"] == 178
    assert body["limit"] == 50
    assert body["offset"] == 0
    assert [p["code"] for p in body["items"]] == [row["code"] for row in SEED[:50]]


# Offsets and limits around the categories' boundaries (53 infrastructure, then 11 service
# platforms, then 114 innovation projects) and the library's end.
APPENDIX_PAGES = [(0, 1), (0, 17), (50, 5), (52, 13), (60, 10), (63, 2), (0, 178), (170, 50)]


@pytest.mark.parametrize(("offset", "limit"), APPENDIX_PAGES)
def test_appendix_pages_walked_by_category_follow_the_appendix(session, engine_name, offset, limit):
    if engine_name != "postgresql":
        pytest.skip("the walk is PostgreSQL's (LATERAL)")
    archived = session.exec(select(Project).where(Project.code == "SVC-002")).one()
    archived.archived_at = utcnow()
    session.add(archived)
    session.flush()
    page = pages_postgresql.appendix_page(
        filter_conditions(session, ProjectListQuery()), limit=limit, offset=offset
    )
    code_of = dict(session.exec(select(Project.id, Project.code)).all())
    walked = [code_of[i] for i in session.execute(page).scalars()]
    active = [row["code"] for row in SEED if row["code"] != "SVC-002"]
    assert walked == active[offset : offset + limit]


@pytest.mark.parametrize(
    ("query", "walked"),
    [
        ("limit=5", True),
        ("limit=7&offset=10", True),
        ("limit=5&offset=170", False),  # past a tenth of the library: sorted whole
        ("limit=5&park=gaoxin", False),  # filtered: the matches are found, then sorted
        ("limit=5&sort=code", False),
    ],
)
def test_only_short_pages_of_the_whole_library_are_walked(
    client, auth, engine_name, statements_sent, query, walked
):
    response = client.get(f"/api/v1/projects?{query}", headers=auth())
    assert response.status_code == 200, response.text
    lateral = any("LATERAL" in s for s in statements_sent)
    assert lateral is (walked and engine_name == "postgresql"), statements_sent


def test_a_page_s_rows_are_read_by_the_same_sql_whatever_the_page(
    client, auth, engine_name, statements_sent
):
    if engine_name != "postgresql":
        pytest.skip("SQLite takes the ids as an IN list")
    headers = auth()
    reads = []
    for query in ("limit=50", "limit=3&offset=7", "limit=20&park=gaoxin"):
        statements_sent.clear()
        assert client.get(f"/api/v1/projects?{query}", headers=headers).status_code == 200
        reads += [s for s in statements_sent if "current_entry" in s]
    # One text, so psycopg converts it once and prepares it; an IN list of 50 parameters
    # would be neither (docs/performance.md).
    assert len(reads) == 3
    assert len(set(reads)) == 1, reads


def test_every_short_page_matches_the_appendix(client, auth):
    headers = auth()
    for offset in range(0, 13):
        body = client.get(f"/api/v1/projects?limit=5&offset={offset}", headers=headers).json()
        assert [p["code"] for p in body["items"]] == [r["code"] for r in SEED[offset : offset + 5]]


def test_whole_library_in_one_page(client, auth):
    body = _all(client, auth())
    assert len(body["items"]) == 178
    assert sum(p["total_investment_wan"] for p in body["items"]) == 21_124_119
    assert Counter(p["category"] for p in body["items"]) == {
        "infrastructure": 53,
        "service_platform": 11,
        "innovation": 114,
    }


def test_every_project_has_its_baseline_as_latest_progress(client, auth):
    for item, row in zip(_all(client, auth())["items"], SEED, strict=True):
        latest = item["latest_progress"]
        assert latest["is_baseline"] is True
        assert latest["note"] == row["progress_note"]
        assert item["status"] == latest["status"] == baseline_status(row["progress_note"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"park": "gaoxin"}, lambda r: PARK_OF[r["park_name"]] == "gaoxin"),
        (
            {"park": "lvshun,baoshui"},
            lambda r: PARK_OF[r["park_name"]] in {"lvshun", "baoshui"},
        ),
        ({"category": "service_platform"}, lambda r: r["category"] == "service_platform"),
        ({"start_year": "2019"}, lambda r: r["start_year"] == 2019),
        ({"start_year": ["2017", "2018"]}, lambda r: r["start_year"] in {2017, 2018}),
        (
            {"park": "xunhuan", "category": "innovation", "start_year": "2020"},
            lambda r: (
                PARK_OF[r["park_name"]] == "xunhuan"
                and r["category"] == "innovation"
                and r["start_year"] == 2020
            ),
        ),
        ({"q": "大连理工大学"}, lambda r: "大连理工大学" in r["name"] + r["content"]),
        ({"q": "轴承"}, lambda r: "轴承" in r["name"] + r["content"] + r["park_name"]),
        ({"q": "inf-01"}, lambda r: r["code"].startswith("INF-01")),
    ],
)
def test_filters_match_the_seed_file(client, auth, params, expected):
    body = _all(client, auth(), **params)
    wanted = [row["code"] for row in SEED if expected(row)]
    assert wanted, "the case must select something"
    assert body["total"] == len(wanted)
    assert [p["code"] for p in body["items"]] == wanted


def test_status_filter_agrees_with_status_field(client, auth):
    everything = _all(client, auth())["items"]
    for status in {p["status"] for p in everything}:
        body = _all(client, auth(), status=status)
        assert body["total"] == sum(p["status"] == status for p in everything)
        assert {p["status"] for p in body["items"]} == {status}


def test_search_escapes_like_wildcards(client, auth):
    assert _all(client, auth(), q="%")["total"] == 0
    assert _all(client, auth(), q="_")["total"] == 0


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [
        ("-total_investment_wan", "total_investment_wan", True),
        ("total_investment_wan", "total_investment_wan", False),
        ("start_year", "start_year", False),
        ("-end_year", "end_year", True),
        ("code", "code", False),
    ],
)
def test_sorting(client, auth, sort, key, reverse):
    items = _all(client, auth(), sort=sort)["items"]
    values = [p[key] for p in items]
    assert values == sorted(values, reverse=reverse)


def test_largest_project_first(client, auth):
    first = _all(client, auth(), sort="-total_investment_wan", limit=1)["items"][0]
    assert first["total_investment_wan"] == max(r["total_investment_wan"] for r in SEED)


def test_paging_covers_everything_once(client, auth):
    codes: list[str] = []
    for offset in range(0, 178, 40):
        body = _all(client, auth(), limit=40, offset=offset, sort="-total_investment_wan")
        assert body["total"] == 178
        codes += [p["code"] for p in body["items"]]
    assert sorted(codes) == sorted(r["code"] for r in SEED)
    assert _all(client, auth(), offset=1000)["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"category": "roads"}, "category"),
        ({"status": "finished"}, "status"),
        ({"start_year": "twenty"}, "start_year"),
        ({"start_year": "1800"}, "start_year"),
        ({"sort": "name; DROP TABLE project"}, "sort"),
        ({"q": "x" * 101}, "q"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_query_is_422_naming_the_field(client, auth, params, field):
    response = client.get("/api/v1/projects", params=params, headers=auth())
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert field in body["detail"]
    assert any(field in error["loc"] for error in body["errors"])


def test_unknown_park_is_422(client, auth):
    response = client.get("/api/v1/projects", params={"park": "gaoxin,atlantis"}, headers=auth())
    assert response.status_code == 422
    assert "atlantis" in response.json()["detail"]


def test_one_project_matches_the_documented_example(client, auth):
    response = client.get("/api/v1/projects/INF-001", headers=auth())
    assert response.status_code == 200
    body = response.json()
    # The baseline entry's id and receipt time depend on the database it was loaded into.
    volatile = ("id", "received_at")
    body["latest_progress"] = {
        k: v for k, v in body["latest_progress"].items() if k not in volatile
    }
    example = {
        **PROJECT_EXAMPLE,
        "latest_progress": {
            k: v for k, v in PROJECT_EXAMPLE["latest_progress"].items() if k not in volatile
        },
    }
    assert body == example


def test_code_is_case_insensitive(client, auth):
    assert client.get("/api/v1/projects/inn-114", headers=auth()).json()["code"] == "INN-114"


def test_unknown_project_is_404_problem(client, auth):
    for path in ("/api/v1/projects/INF-999", "/api/v1/projects/INF-999/progress"):
        response = client.get(path, headers=auth())
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "No project has the code 'INF-999'."


def test_chinese_text_round_trips(client, auth):
    for row in SEED[::17]:
        body = client.get(f"/api/v1/projects/{row['code']}", headers=auth()).json()
        assert body["name"] == row["name"]
        assert body["content"] == row["content"]
        assert body["printed_park_name"] == row["park_name"]
        assert body["latest_progress"]["note"] == row["progress_note"]
