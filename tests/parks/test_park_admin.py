"""Admins create parks, change them under If-Match, archive and restore them."""

import re

import pytest
from sqlmodel import func, select

from app.models import Park, Project

NEW = {
    "id": "zhuanghe",
    "name": "大连庄河经济开发区",
    "aliases": ["庄河开发区", "庄河经开区"],
    "tier": "key",
}
PROJECT = {
    "category": "innovation",
    "name": "庄河海洋牧场科技创新中心",
    "park_id": "zhuanghe",
    "content": "建设海洋牧场研发中试基地及科技服务平台。",
    "start_year": 2026,
    "end_year": 2027,
    "total_investment_wan": 8000,
}


@pytest.fixture
def admin(auth):
    return auth("admin")


def _stored(session):
    """What a refused request must leave untouched: parks, projects, every version."""
    return (
        session.exec(select(func.count()).select_from(Park)).one(),
        session.exec(select(func.count()).select_from(Project)).one(),
        session.exec(select(func.sum(Park.version))).one(),
    )


def _problem(response, status, field=None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    if field is not None:
        assert [e["loc"][:2] for e in body["errors"]] == [["body", field]], body
    return body


def _listed(client, headers):
    return [p["id"] for p in client.get("/api/v1/parks", headers=headers).json()["items"]]


def _created(client, headers, body=NEW):
    response = client.post("/api/v1/parks", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response


# Create ------------------------------------------------------------------------------------


def test_create_round_trips_chinese_with_location_and_etag(client, admin):
    created = _created(client, admin)
    assert created.headers["location"] == "/api/v1/parks/zhuanghe"
    assert re.fullmatch(r'"park-zhuanghe-v1-[0-9a-f]{16}"', created.headers["etag"])
    body = created.json()
    assert {k: body[k] for k in NEW} == NEW
    assert body["table4_name"] == "大连庄河经济开发区"
    assert (body["tier_name"], body["project_count"], body["total_investment_wan"]) == (
        "重点园区",
        0,
        0,
    )
    assert body["archived_at"] is None

    read = client.get(created.headers["location"], headers=admin)
    assert read.json() == body
    assert read.headers["etag"] == created.headers["etag"]
    assert _listed(client, admin)[-1] == "zhuanghe"


def test_table4_name_may_differ_and_projects_count_in_the_new_park(client, admin):
    _created(client, admin, {**NEW, "table4_name": "庄河开发区", "tier": "demonstration"})
    project = client.post("/api/v1/projects", json=PROJECT, headers=admin)
    assert project.status_code == 201, project.text
    assert project.json()["printed_park_name"] == "大连庄河经济开发区"
    park = client.get("/api/v1/parks/zhuanghe", headers=admin).json()
    assert (park["table4_name"], park["tier_name"]) == ("庄河开发区", "示范园区")
    assert (park["project_count"], park["total_investment_wan"]) == (1, 8000)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": "Zhuanghe"}, "id"),
        ({"id": "z"}, "id"),
        ({"id": "9zhuanghe"}, "id"),
        ({"id": "zhuang he"}, "id"),
        ({"id": "z" * 33}, "id"),
        ({"id": "庄河"}, "id"),
        ({"name": ""}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "园" * 101}, "name"),
        ({"name": None}, "name"),
        ({"aliases": ["庄河开发区", "庄河开发区"]}, "aliases"),
        ({"aliases": ["大连庄河经济开发区"]}, "aliases"),
        ({"aliases": [""]}, "aliases"),
        ({"aliases": "庄河开发区"}, "aliases"),
        ({"table4_name": "园" * 101}, "table4_name"),
        ({"tier": "gold"}, "tier"),
        ({"position": 1}, "position"),
        ({"version": 3}, "version"),
    ],
)
def test_each_bad_field_is_422_naming_it_and_stores_nothing(client, admin, session, changes, field):
    before = _stored(session)
    _problem(client.post("/api/v1/parks", json={**NEW, **changes}, headers=admin), 422, field)
    assert _stored(session) == before


@pytest.mark.parametrize("field", ["id", "name", "tier"])
def test_a_missing_required_field_is_422(client, admin, session, field):
    before = _stored(session)
    body = {k: v for k, v in NEW.items() if k != field}
    _problem(client.post("/api/v1/parks", json=body, headers=admin), 422, field)
    assert _stored(session) == before


@pytest.mark.parametrize(
    ("changes", "taken_by"),
    [
        ({"id": "gaoxin"}, "gaoxin"),
        ({"name": "大连高新技术产业园区"}, "gaoxin"),
        ({"name": "大连高新区"}, "gaoxin"),
        ({"aliases": ["保税区"]}, "baoshui"),
        ({"aliases": ["旅顺经济技术开发区"]}, "lvshun"),
    ],
)
def test_a_spelling_or_id_of_another_park_is_409(client, admin, session, changes, taken_by):
    before = _stored(session)
    body = _problem(client.post("/api/v1/parks", json={**NEW, **changes}, headers=admin), 409)
    assert taken_by in body["detail"]
    assert _stored(session) == before


# Who may ------------------------------------------------------------------------------------


def _every_write(client, headers, etag):
    yield client.post("/api/v1/parks", json=NEW, headers=headers)
    with_etag = {**headers, "If-Match": etag}
    yield client.patch("/api/v1/parks/wafangdian", json={"tier": "key"}, headers=with_etag)
    yield client.post("/api/v1/parks/wafangdian/archive", headers=with_etag)
    yield client.post("/api/v1/parks/wafangdian/restore", headers=with_etag)


@pytest.mark.parametrize("role", ["officer", "planner"])
def test_officers_and_planners_are_403_and_store_nothing(client, auth, session, role):
    headers = auth(role, "wafangdian" if role == "officer" else None)
    etag = client.get("/api/v1/parks/wafangdian", headers=headers).headers["etag"]
    before = _stored(session)
    for response in _every_write(client, headers, etag):
        _problem(response, 403)
    assert _stored(session) == before


def test_without_a_token_every_write_is_401(client, admin, session):
    etag = client.get("/api/v1/parks/wafangdian", headers=admin).headers["etag"]
    before = _stored(session)
    for response in _every_write(client, {}, etag):
        _problem(response, 401)
    assert _stored(session) == before


# Change -------------------------------------------------------------------------------------


def test_patch_needs_if_match_and_refuses_a_stale_one(client, admin, session):
    etag = _created(client, admin).headers["etag"]
    before = _stored(session)
    missing = client.patch("/api/v1/parks/zhuanghe", json={"tier": "demonstration"}, headers=admin)
    assert "If-Match" in _problem(missing, 428)["detail"]
    assert _stored(session) == before

    changed = client.patch(
        "/api/v1/parks/zhuanghe",
        json={"aliases": ["庄河开发区"], "table4_name": "庄河开发区"},
        headers={**admin, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    assert re.fullmatch(r'"park-zhuanghe-v2-[0-9a-f]{16}"', changed.headers["etag"])
    assert (changed.json()["aliases"], changed.json()["table4_name"]) == (
        ["庄河开发区"],
        "庄河开发区",
    )
    assert changed.json()["name"] == NEW["name"]

    stale = client.patch(
        "/api/v1/parks/zhuanghe",
        json={"tier": "demonstration"},
        headers={**admin, "If-Match": etag},
    )
    assert "fetch it again" in _problem(stale, 412)["detail"]
    read = client.get("/api/v1/parks/zhuanghe", headers=admin)
    assert read.headers["etag"] == changed.headers["etag"]
    assert read.json()["tier"] == "key"


def test_a_seeded_park_changes_and_keeps_its_projects(client, admin):
    read = client.get("/api/v1/parks/gaoxin", headers=admin)
    changed = client.patch(
        "/api/v1/parks/gaoxin",
        json={"aliases": ["大连高新区", "高新园区"]},
        headers={**admin, "If-Match": read.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["aliases"] == ["大连高新区", "高新园区"]
    assert changed.json()["project_count"] == read.json()["project_count"]
    assert changed.json()["version"] == read.json()["version"] + 1


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"name": None}, 422, "name"),
        ({"tier": None}, 422, "tier"),
        ({"tier": "gold"}, 422, "tier"),
        ({"aliases": ["大连高新区", "大连高新区"]}, 422, "aliases"),
        ({"aliases": ["大连高新技术产业园区"]}, 422, "aliases"),
        ({"id": "gaoxin2"}, 422, "id"),
        ({"name": "旅顺开发区"}, 409, None),
        ({"aliases": ["保税区"]}, 409, None),
    ],
)
def test_bad_patch_is_refused_and_changes_nothing(client, admin, session, changes, status, field):
    etag = client.get("/api/v1/parks/gaoxin", headers=admin).headers["etag"]
    before = _stored(session)
    response = client.patch(
        "/api/v1/parks/gaoxin", json=changes, headers={**admin, "If-Match": etag}
    )
    _problem(response, status, field)
    assert _stored(session) == before


def test_unknown_park_is_404(client, admin):
    _problem(client.get("/api/v1/parks/atlantis", headers=admin), 404)
    response = client.patch(
        "/api/v1/parks/atlantis", json={"tier": "key"}, headers={**admin, "If-Match": "*"}
    )
    _problem(response, 404)


# Archive ------------------------------------------------------------------------------------


def test_a_park_with_active_projects_cannot_be_archived(client, admin, session):
    etag = client.get("/api/v1/parks/gaoxin", headers=admin).headers["etag"]
    before = _stored(session)
    response = client.post("/api/v1/parks/gaoxin/archive", headers={**admin, "If-Match": etag})
    assert "active project(s)" in _problem(response, 409)["detail"]
    assert _stored(session) == before
    assert "gaoxin" in _listed(client, admin)


def test_archive_hides_from_the_list_and_restore_brings_it_back(client, admin, session):
    created = _created(client, admin)
    before = _stored(session)
    _problem(client.post("/api/v1/parks/zhuanghe/archive", headers=admin), 428)
    assert _stored(session) == before

    archived = client.post(
        "/api/v1/parks/zhuanghe/archive", headers={**admin, "If-Match": created.headers["etag"]}
    )
    assert archived.status_code == 200, archived.text
    assert archived.json()["archived_at"] is not None
    assert archived.headers["etag"] != created.headers["etag"]
    assert "zhuanghe" not in _listed(client, admin)
    detail = client.get("/api/v1/parks/zhuanghe", headers=admin)
    assert detail.status_code == 200
    assert detail.json()["archived_at"] == archived.json()["archived_at"]

    etag = archived.headers["etag"]
    again = client.post("/api/v1/parks/zhuanghe/archive", headers={**admin, "If-Match": etag})
    assert "already archived" in _problem(again, 409)["detail"]
    patched = client.patch(
        "/api/v1/parks/zhuanghe",
        json={"tier": "demonstration"},
        headers={**admin, "If-Match": etag},
    )
    _problem(patched, 409)

    restored = client.post("/api/v1/parks/zhuanghe/restore", headers={**admin, "If-Match": etag})
    assert restored.status_code == 200, restored.text
    assert restored.json()["archived_at"] is None
    assert "zhuanghe" in _listed(client, admin)
    twice = client.post(
        "/api/v1/parks/zhuanghe/restore",
        headers={**admin, "If-Match": restored.headers["etag"]},
    )
    _problem(twice, 409)


def test_a_park_archives_once_its_projects_are_archived(client, admin):
    _created(client, admin)
    project = client.post("/api/v1/projects", json=PROJECT, headers=admin)
    code = project.json()["code"]
    park_etag = client.get("/api/v1/parks/zhuanghe", headers=admin).headers["etag"]
    refused = client.post(
        "/api/v1/parks/zhuanghe/archive", headers={**admin, "If-Match": park_etag}
    )
    assert "1 active project(s)" in _problem(refused, 409)["detail"]

    client.post(
        f"/api/v1/projects/{code}/archive",
        headers={**admin, "If-Match": project.headers["etag"]},
    )
    emptied = client.get("/api/v1/parks/zhuanghe", headers=admin)
    assert emptied.json()["project_count"] == 0
    # The park's answer changed with its project count, and so did its strong tag.
    stale = client.post("/api/v1/parks/zhuanghe/archive", headers={**admin, "If-Match": park_etag})
    _problem(stale, 412)
    archived = client.post(
        "/api/v1/parks/zhuanghe/archive", headers={**admin, "If-Match": emptied.headers["etag"]}
    )
    assert archived.status_code == 200, archived.text
    # The archived project still answers, in its archived park.
    detail = client.get(f"/api/v1/projects/{code}", headers=admin).json()
    assert (detail["park_id"], detail["archived_at"] is not None) == ("zhuanghe", True)
