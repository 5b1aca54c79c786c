"""Master data by admins: projects and parks created, changed under If-Match, archived."""

import pytest
from sqlmodel import func, select

from app.models import Park, Project
from app.projects.schemas import PROJECT_CREATE_EXAMPLE


def _count(session, model):
    return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def admin(auth):
    return auth("admin")


def test_create_assigns_the_next_code(client, admin, session):
    response = client.post("/api/v1/projects", json=PROJECT_CREATE_EXAMPLE, headers=admin)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["code"] == "INN-115"
    assert body["seq"] == 115
    assert response.headers["location"] == "/api/v1/projects/INN-115"
    assert response.headers["etag"] == '"project-INN-115-v1"'
    assert body["name"] == "大连光电子集成电路产业园项目"
    assert body["printed_park_name"] == "大连高新技术产业园区"
    assert body["status"] == "pre_construction"
    assert body["latest_progress"] is None
    second = client.post("/api/v1/projects", json=PROJECT_CREATE_EXAMPLE, headers=admin)
    assert second.json()["code"] == "INN-116"
    listed = client.get("/api/v1/projects?park=gaoxin&limit=500", headers=admin).json()
    assert listed["total"] == 23
    park = client.get("/api/v1/parks/gaoxin", headers=admin).json()
    assert park["total_investment_wan"] == 1_186_100 + 2 * 120_000


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "roads"}, "category"),
        ({"name": ""}, "name"),
        ({"name": "名" * 201}, "name"),
        ({"park_id": "atlantis"}, "park_id"),
        ({"start_year": 2030, "end_year": 2028}, "end_year"),
        ({"start_year": 1800}, "start_year"),
        ({"total_investment_wan": -1}, "total_investment_wan"),
        ({"total_investment_wan": 1.5}, "total_investment_wan"),
        ({"code": "INN-999"}, "code"),
        ({"status": "completed"}, "status"),
    ],
)
def test_bad_project_is_422_and_stores_nothing(client, admin, session, overrides, field):
    before = _count(session, Project)
    response = client.post(
        "/api/v1/projects", json={**PROJECT_CREATE_EXAMPLE, **overrides}, headers=admin
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(field in e["loc"] for e in response.json()["errors"])
    assert _count(session, Project) == before


def test_patch_needs_the_current_etag(client, admin, session):
    read = client.get("/api/v1/projects/INF-001", headers=admin)
    etag = read.headers["etag"]
    missing = client.patch("/api/v1/projects/INF-001", json={"end_year": 2023}, headers=admin)
    assert missing.status_code == 428
    assert "If-Match" in missing.json()["detail"]

    changed = client.patch(
        "/api/v1/projects/INF-001",
        json={"end_year": 2023, "content": "互通立交改造，公路I级，新增匝道两条。"},
        headers={**admin, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["end_year"] == 2023
    assert changed.json()["content"] == "互通立交改造，公路I级，新增匝道两条。"
    assert changed.headers["etag"] != etag

    stale = client.patch(
        "/api/v1/projects/INF-001", json={"end_year": 2024}, headers={**admin, "If-Match": etag}
    )
    assert stale.status_code == 412
    assert client.get("/api/v1/projects/INF-001", headers=admin).json()["end_year"] == 2023


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": None}, "name"),
        ({"start_year": 2023}, "end_year"),
        ({"park_id": "atlantis"}, "park_id"),
        ({"seq": 7}, "seq"),
        ({"total_investment_wan": -5}, "total_investment_wan"),
    ],
)
def test_bad_patch_is_422_and_changes_nothing(client, admin, changes, field):
    etag = client.get("/api/v1/projects/INF-001", headers=admin).headers["etag"]
    response = client.patch(
        "/api/v1/projects/INF-001", json=changes, headers={**admin, "If-Match": etag}
    )
    assert response.status_code == 422, response.text
    assert any(field in e["loc"] for e in response.json()["errors"])
    after = client.get("/api/v1/projects/INF-001", headers=admin)
    assert after.headers["etag"] == etag


def test_moving_a_project_to_another_park(client, admin):
    etag = client.get("/api/v1/projects/INF-001", headers=admin).headers["etag"]
    moved = client.patch(
        "/api/v1/projects/INF-001", json={"park_id": "lvshun"}, headers={**admin, "If-Match": etag}
    ).json()
    assert moved["park_id"] == "lvshun"
    assert moved["printed_park_name"] == "旅顺经济技术开发区"


def test_archive_hides_but_keeps_history(client, admin):
    etag = client.get("/api/v1/projects/INF-005", headers=admin).headers["etag"]
    archived = client.post("/api/v1/projects/INF-005/archive", headers={**admin, "If-Match": etag})
    assert archived.status_code == 200
    assert archived.json()["archived_at"] is not None
    listed = client.get("/api/v1/projects?park=gaoxin&limit=500", headers=admin).json()
    assert "INF-005" not in [p["code"] for p in listed["items"]]
    assert listed["total"] == 20
    park = client.get("/api/v1/parks/gaoxin", headers=admin).json()
    assert park["project_count"] == 20
    rollup = client.get("/api/v1/rollups?by=park&park=gaoxin", headers=admin).json()
    assert rollup["totals"]["project_count"] == 20
    assert client.get("/api/v1/projects/INF-005", headers=admin).status_code == 200
    history = client.get("/api/v1/projects/INF-005/progress", headers=admin).json()
    assert history["total"] == 1

    again = client.post(
        "/api/v1/projects/INF-005/archive",
        headers={**admin, "If-Match": archived.headers["etag"]},
    )
    assert again.status_code == 409
    restored = client.post(
        "/api/v1/projects/INF-005/restore",
        headers={**admin, "If-Match": archived.headers["etag"]},
    )
    assert restored.status_code == 200
    assert restored.json()["archived_at"] is None
    assert client.get("/api/v1/parks/gaoxin", headers=admin).json()["project_count"] == 21


def test_archived_project_refuses_changes(client, admin):
    etag = client.get("/api/v1/projects/INF-005", headers=admin).headers["etag"]
    archived = client.post("/api/v1/projects/INF-005/archive", headers={**admin, "If-Match": etag})
    response = client.patch(
        "/api/v1/projects/INF-005",
        json={"name": "x"},
        headers={**admin, "If-Match": archived.headers["etag"]},
    )
    assert response.status_code == 409


@pytest.mark.parametrize("role", ["planner", "officer"])
def test_only_admins_keep_master_data(client, auth, session, role):
    headers = auth(role)
    before = (_count(session, Project), _count(session, Park))
    etag = client.get("/api/v1/projects/INF-001", headers=headers).headers["etag"]
    park_etag = client.get("/api/v1/parks/gaoxin", headers=headers).headers["etag"]
    calls = [
        client.post("/api/v1/projects", json=PROJECT_CREATE_EXAMPLE, headers=headers),
        client.patch(
            "/api/v1/projects/INF-001", json={"name": "x"}, headers={**headers, "If-Match": etag}
        ),
        client.post("/api/v1/projects/INF-001/archive", headers={**headers, "If-Match": etag}),
        client.post(
            "/api/v1/parks", json={"id": "x1", "name": "x", "tier": "key"}, headers=headers
        ),
        client.patch(
            "/api/v1/parks/gaoxin", json={"name": "x"}, headers={**headers, "If-Match": park_etag}
        ),
    ]
    assert [c.status_code for c in calls] == [403] * len(calls)
    assert (_count(session, Project), _count(session, Park)) == before
    assert client.get("/api/v1/projects/INF-001", headers=headers).headers["etag"] == etag


# Parks -------------------------------------------------------------------------------------

NEW_PARK = {
    "id": "zhuanghe",
    "name": "大连庄河经济开发区",
    "aliases": ["庄河开发区"],
    "tier": "key",
}


def test_create_and_change_a_park(client, admin):
    created = client.post("/api/v1/parks", json=NEW_PARK, headers=admin)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/api/v1/parks/zhuanghe"
    park = created.json()
    assert (park["name"], park["table4_name"], park["tier_name"]) == (
        "大连庄河经济开发区",
        "大连庄河经济开发区",
        "重点园区",
    )
    assert park["project_count"] == 0
    assert [p["id"] for p in client.get("/api/v1/parks", headers=admin).json()["items"]][-1] == (
        "zhuanghe"
    )
    etag = created.headers["etag"]
    changed = client.patch(
        "/api/v1/parks/zhuanghe",
        json={"aliases": ["庄河开发区", "庄河经开区"]},
        headers={**admin, "If-Match": etag},
    )
    assert changed.status_code == 200
    assert changed.json()["aliases"] == ["庄河开发区", "庄河经开区"]
    stale = client.patch(
        "/api/v1/parks/zhuanghe",
        json={"tier": "demonstration"},
        headers={**admin, "If-Match": etag},
    )
    assert stale.status_code == 412
    assert (
        client.patch("/api/v1/parks/zhuanghe", json={"tier": "key"}, headers=admin).status_code
        == 428
    )


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({**NEW_PARK, "id": "gaoxin"}, 409),
        ({**NEW_PARK, "name": "大连高新技术产业园区"}, 409),
        ({**NEW_PARK, "aliases": ["大连高新区"]}, 409),
        ({**NEW_PARK, "aliases": ["庄河", "庄河"]}, 422),
        ({**NEW_PARK, "id": "Not A Slug"}, 422),
        ({**NEW_PARK, "tier": "gold"}, 422),
        ({**NEW_PARK, "name": ""}, 422),
    ],
)
def test_bad_park_is_refused_and_stores_nothing(client, admin, session, body, status):
    before = _count(session, Park)
    response = client.post("/api/v1/parks", json=body, headers=admin)
    assert response.status_code == status, response.text
    assert _count(session, Park) == before


def test_park_with_active_projects_cannot_be_archived(client, admin):
    etag = client.get("/api/v1/parks/wafangdian", headers=admin).headers["etag"]
    response = client.post("/api/v1/parks/wafangdian/archive", headers={**admin, "If-Match": etag})
    assert response.status_code == 409
    assert "5 active projects" in response.json()["detail"]


def test_empty_park_archives_and_restores(client, admin):
    created = client.post("/api/v1/parks", json=NEW_PARK, headers=admin)
    archived = client.post(
        "/api/v1/parks/zhuanghe/archive", headers={**admin, "If-Match": created.headers["etag"]}
    )
    assert archived.status_code == 200
    assert "zhuanghe" not in [
        p["id"] for p in client.get("/api/v1/parks", headers=admin).json()["items"]
    ]
    assert client.get("/api/v1/parks/zhuanghe", headers=admin).json()["archived_at"] is not None
    project = client.post(
        "/api/v1/projects", json={**PROJECT_CREATE_EXAMPLE, "park_id": "zhuanghe"}, headers=admin
    )
    assert project.status_code == 422
    restored = client.post(
        "/api/v1/parks/zhuanghe/restore", headers={**admin, "If-Match": archived.headers["etag"]}
    )
    assert restored.status_code == 200
