"""A project's strong ETag names what GET sends; If-Match compares tags strongly."""

import pytest

from app.main import create_app
from tests import factories

REPORT = {"as_of": "2026-10-31", "status": "suspended", "issues": "资金未到位。"}
CONDITIONAL = [
    ("PATCH", "/api/v1/projects/{code}"),
    ("POST", "/api/v1/projects/{code}/archive"),
    ("POST", "/api/v1/projects/{code}/restore"),
    ("PATCH", "/api/v1/parks/{park_id}"),
    ("POST", "/api/v1/parks/{park_id}/archive"),
    ("POST", "/api/v1/parks/{park_id}/restore"),
]


@pytest.fixture
def admin(auth):
    return auth("admin")


@pytest.fixture
def code(session) -> str:
    """A project of park gaoxin made for the test."""
    return factories.project(session).code


def _read(client, headers, code, **extra):
    return client.get(f"/api/v1/projects/{code}", headers={**headers, **extra})


def test_a_report_changes_the_project_etag(client, auth, admin, code):
    before = _read(client, admin, code)
    report = client.post(
        f"/api/v1/projects/{code}/progress", json=REPORT, headers=auth("officer", "gaoxin")
    )
    assert report.status_code == 201, report.text

    after = _read(client, admin, code, **{"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.json()["latest_progress"]["id"] == report.json()["id"]
    assert after.json()["status"] != before.json()["status"]
    assert after.headers["etag"] != before.headers["etag"]

    # The tag a GET just returned is the one a change must send; the older one is stale.
    stale = client.patch(
        f"/api/v1/projects/{code}",
        json={"end_year": 2031},
        headers={**admin, "If-Match": before.headers["etag"]},
    )
    assert stale.status_code == 412, stale.text
    current = client.patch(
        f"/api/v1/projects/{code}",
        json={"end_year": 2031},
        headers={**admin, "If-Match": after.headers["etag"]},
    )
    assert current.status_code == 200, current.text
    assert current.headers["etag"] == _read(client, admin, code).headers["etag"]


def test_a_review_changes_the_project_etag(client, auth, admin, code):
    entry = client.post(
        f"/api/v1/projects/{code}/progress", json=REPORT, headers=auth("officer", "gaoxin")
    ).json()
    submitted = _read(client, admin, code)
    client.post(f"/api/v1/projects/{code}/progress/{entry['id']}/approve", headers=admin)
    approved = _read(client, admin, code)
    assert approved.json()["latest_progress"]["review_state"] == "approved"
    assert approved.headers["etag"] != submitted.headers["etag"]


def test_the_etag_is_strong_and_names_the_body(client, admin, code):
    first, again = _read(client, admin, code), _read(client, admin, code)
    assert not first.headers["etag"].startswith("W/")
    assert first.headers["etag"] == again.headers["etag"]
    # Another representation (official figures) has another tag, the version being the same.
    official = client.get(f"/api/v1/projects/{code}?figures=official", headers=admin)
    assert official.content != first.content
    assert official.headers["etag"] != first.headers["etag"]


@pytest.mark.parametrize("form", ["W/{etag}", 'W/{etag}, "other"'], ids=["weak", "weak_in_list"])
def test_a_weak_if_match_never_matches(client, admin, code, form):
    etag = _read(client, admin, code).headers["etag"]
    response = client.patch(
        f"/api/v1/projects/{code}",
        json={"name": "改名"},
        headers={**admin, "If-Match": form.format(etag=etag)},
    )
    assert response.status_code == 412, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert _read(client, admin, code).headers["etag"] == etag


def test_a_weak_if_match_never_matches_a_park(client, admin):
    etag = client.get("/api/v1/parks/gaoxin", headers=admin).headers["etag"]
    response = client.patch(
        "/api/v1/parks/gaoxin", json={"tier": "key"}, headers={**admin, "If-Match": f"W/{etag}"}
    )
    assert response.status_code == 412, response.text


@pytest.mark.parametrize(("method", "path"), CONDITIONAL)
def test_if_match_is_required_in_the_document(method, path):
    operation = create_app().openapi()["paths"][path][method.lower()]
    (if_match,) = [p for p in operation["parameters"] if p["name"] == "If-Match"]
    assert if_match["in"] == "header"
    assert if_match["required"] is True
    assert "428" in operation["responses"]


def test_every_operation_answering_428_requires_if_match():
    for path, operations in create_app().openapi()["paths"].items():
        for method, operation in operations.items():
            required = {p["name"] for p in operation.get("parameters", []) if p.get("required")}
            assert ("428" in operation["responses"]) == ("If-Match" in required), (method, path)


@pytest.mark.parametrize(("method", "path"), CONDITIONAL)
def test_a_change_without_if_match_is_still_428(client, admin, code, method, path):
    url = path.format(code=code, park_id="gaoxin")
    body = {"name": "改名"} if "projects" in url else {"tier": "key"}
    response = client.request(method, url, json=body if method == "PATCH" else None, headers=admin)
    assert response.status_code == 428, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "If-Match" in response.json()["detail"]


def test_without_if_match_and_with_a_bad_body_every_fault_is_listed(client, admin, code):
    response = client.patch(f"/api/v1/projects/{code}", json={"end_year": "soon"}, headers=admin)
    assert response.status_code == 422, response.text
    locs = [e["loc"] for e in response.json()["errors"]]
    assert ["header", "If-Match"] in locs
    assert ["body", "end_year"] in locs


def _park(client, headers, **extra):
    return client.get("/api/v1/parks/gaoxin", headers={**headers, **extra})


def test_a_project_changes_its_parks_etag(client, admin, code):
    before = _park(client, admin)
    project = _read(client, admin, code)
    assert project.json()["park_id"] == "gaoxin"
    moved = client.patch(
        f"/api/v1/projects/{code}",
        json={"total_investment_wan": project.json()["total_investment_wan"] + 1},
        headers={**admin, "If-Match": project.headers["etag"]},
    )
    assert moved.status_code == 200, moved.text

    after = _park(client, admin, **{"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.json()["version"] == before.json()["version"]
    assert after.json()["total_investment_wan"] == before.json()["total_investment_wan"] + 1
    assert after.headers["etag"] != before.headers["etag"]

    stale = client.patch(
        "/api/v1/parks/gaoxin",
        json={"table4_name": "高新园区"},
        headers={**admin, "If-Match": before.headers["etag"]},
    )
    assert stale.status_code == 412, stale.text
    current = client.patch(
        "/api/v1/parks/gaoxin",
        json={"table4_name": "高新园区"},
        headers={**admin, "If-Match": after.headers["etag"]},
    )
    assert current.status_code == 200, current.text
    assert current.headers["etag"] == _park(client, admin).headers["etag"]


def test_a_new_project_changes_its_parks_etag(client, admin):
    before = _park(client, admin)
    created = client.post(
        "/api/v1/projects",
        json={
            "category": "innovation",
            "name": "高新区新增测试项目",
            "park_id": "gaoxin",
            "content": "新建研发楼。",
            "start_year": 2026,
            "end_year": 2027,
            "total_investment_wan": 5000,
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    after = _park(client, admin)
    assert after.json()["project_count"] == before.json()["project_count"] + 1
    assert after.headers["etag"] != before.headers["etag"]
