"""Admins create projects, change them under If-Match, archive and restore them."""

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from app.audit.log import CLI
from app.db import build_engine
from app.models import Category, Park, ProgressEntry, Project
from app.problems import PreconditionFailed
from app.projects import service
from app.projects.schemas import ProjectCreate, ProjectUpdate
from tests import factories
from tests.conftest import PG_URL

GAOXIN_NAME = "大连高新技术产业园区"
# A project of park gaoxin as an admin would enter it, every text field in Chinese.
NEW = {
    "category": "infrastructure",
    "name": "高新区智慧路网改造工程",
    "park_id": "gaoxin",
    "content": "改造黄浦路、七贤路等道路约12公里，同步建设智能信号控制系统。",
    "start_year": 2026,
    "end_year": 2028,
    "total_investment_wan": 36000,
}


@pytest.fixture
def admin(auth):
    return auth("admin")


@pytest.fixture
def code(session):
    """A project of park gaoxin, made for the test: what the admin changes."""
    return factories.project(session).code


def _stored(session):
    """What a refused request must leave untouched: projects, progress, every version."""
    return (
        session.exec(select(func.count()).select_from(Project)).one(),
        session.exec(select(func.count()).select_from(ProgressEntry)).one(),
        session.exec(select(func.sum(Project.version))).one(),
    )


def _next_code(session, category="infrastructure"):
    top = session.exec(select(func.max(Project.seq)).where(Project.category_id == category)).one()
    return f"{session.get(Category, category).code_prefix}-{top + 1:03d}"


def _etag(client, headers, code):
    return client.get(f"/api/v1/projects/{code}", headers=headers).headers["etag"]


def _problem(response, status, field=None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    if field is not None:
        assert [e["loc"] for e in body["errors"]] == [["body", field]], body
    return body


def _codes(client, headers, **params):
    listed = client.get("/api/v1/projects", params={"limit": 500, **params}, headers=headers)
    return [p["code"] for p in listed.json()["items"]]


# Create ------------------------------------------------------------------------------------


def test_create_assigns_the_next_code_and_round_trips_chinese(client, admin, session):
    code = _next_code(session)
    created = client.post("/api/v1/projects", json=NEW, headers=admin)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/api/v1/projects/{code}"
    assert created.headers["etag"].startswith(f'"project-{code}-v1-')
    body = created.json()
    assert body["code"] == code
    assert body["seq"] == int(code.split("-")[1])
    assert {k: body[k] for k in NEW} == NEW
    assert body["printed_park_name"] == GAOXIN_NAME
    assert body["status"] == "pre_construction"
    assert body["latest_progress"] is None
    assert body["archived_at"] is None

    read = client.get(created.headers["location"], headers=admin)
    assert read.json() == body
    assert read.headers["etag"] == created.headers["etag"]
    history = client.get(f"/api/v1/projects/{code}/progress", headers=admin).json()
    assert history["total"] == 0
    assert code in _codes(client, admin, park="gaoxin", q="智慧路网")

    following = f"INF-{body['seq'] + 1:03d}"
    assert client.post("/api/v1/projects", json=NEW, headers=admin).json()["code"] == following


def test_code_prefix_follows_the_category(client, admin, session):
    code = _next_code(session, "service_platform")
    assert code.startswith("SVC-")
    created = client.post(
        "/api/v1/projects", json={**NEW, "category": "service_platform"}, headers=admin
    )
    assert created.status_code == 201, created.text
    assert created.json()["code"] == code


def test_printed_park_name_may_be_another_spelling(client, admin):
    created = client.post(
        "/api/v1/projects", json={**NEW, "printed_park_name": "大连高新区"}, headers=admin
    )
    assert created.json()["printed_park_name"] == "大连高新区"
    assert created.json()["park_id"] == "gaoxin"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": "roads"}, "category"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "路" * 201}, "name"),
        ({"name": None}, "name"),
        ({"content": "建" * 4001}, "content"),
        ({"printed_park_name": "园" * 101}, "printed_park_name"),
        ({"printed_park_name": ""}, "printed_park_name"),
        ({"park_id": "atlantis"}, "park_id"),
        ({"start_year": 1948, "end_year": 1950}, "start_year"),
        ({"end_year": 2101}, "end_year"),
        ({"start_year": 2029}, "end_year"),
        ({"start_year": "二〇二六"}, "start_year"),
        ({"total_investment_wan": -1}, "total_investment_wan"),
        ({"total_investment_wan": 1.5}, "total_investment_wan"),
        ({"total_investment_wan": "36000万元"}, "total_investment_wan"),
        ({"code": "INF-999"}, "code"),
        ({"status": "completed"}, "status"),
        ({"version": 7}, "version"),
    ],
)
def test_each_bad_field_is_422_naming_it_and_stores_nothing(client, admin, session, changes, field):
    before = _stored(session)
    response = client.post("/api/v1/projects", json={**NEW, **changes}, headers=admin)
    body = _problem(response, 422, field)
    assert body["detail"]
    assert _stored(session) == before


@pytest.mark.parametrize("field", ["category", "name", "park_id", "start_year", "end_year"])
def test_a_missing_required_field_is_422(client, admin, session, field):
    before = _stored(session)
    body = {k: v for k, v in NEW.items() if k != field}
    _problem(client.post("/api/v1/projects", json=body, headers=admin), 422, field)
    assert _stored(session) == before


def test_archived_park_takes_no_new_projects(client, admin, session):
    park = client.post(
        "/api/v1/parks",
        json={"id": "zhuanghe", "name": "大连庄河经济开发区", "tier": "key"},
        headers=admin,
    )
    archived = client.post(
        "/api/v1/parks/zhuanghe/archive", headers={**admin, "If-Match": park.headers["etag"]}
    )
    assert archived.status_code == 200, archived.text
    before = _stored(session)
    response = client.post("/api/v1/projects", json={**NEW, "park_id": "zhuanghe"}, headers=admin)
    _problem(response, 422, "park_id")
    assert _stored(session) == before


# Who may ------------------------------------------------------------------------------------


def _every_write(client, headers, etag, code):
    yield client.post("/api/v1/projects", json=NEW, headers=headers)
    with_etag = {**headers, "If-Match": etag}
    yield client.patch(f"/api/v1/projects/{code}", json={"name": "改名"}, headers=with_etag)
    yield client.post(f"/api/v1/projects/{code}/archive", headers=with_etag)
    yield client.post(f"/api/v1/projects/{code}/restore", headers=with_etag)


@pytest.mark.parametrize("role", ["officer", "planner"])
def test_officers_and_planners_are_403_and_store_nothing(client, auth, session, role, code):
    headers = auth(role, "gaoxin" if role == "officer" else None)
    etag = _etag(client, headers, code)
    before = _stored(session)
    for response in _every_write(client, headers, etag, code):
        _problem(response, 403)
    assert _stored(session) == before
    assert _etag(client, headers, code) == etag


def test_without_a_token_every_write_is_401(client, admin, session, code):
    etag = _etag(client, admin, code)
    before = _stored(session)
    for response in _every_write(client, {}, etag, code):
        _problem(response, 401)
    assert _stored(session) == before


# Change -------------------------------------------------------------------------------------


def test_patch_without_if_match_is_428(client, admin, session, code):
    before = _stored(session)
    response = client.patch(f"/api/v1/projects/{code}", json={"end_year": 2030}, headers=admin)
    assert "If-Match" in _problem(response, 428)["detail"]
    assert _stored(session) == before


def test_stale_if_match_is_412_and_the_first_change_stays(client, admin, code):
    etag = _etag(client, admin, code)
    first = client.patch(
        f"/api/v1/projects/{code}",
        json={"content": "一期工程已完成，二期新增孵化面积2万平方米。", "end_year": 2030},
        headers={**admin, "If-Match": etag},
    )
    assert first.status_code == 200, first.text
    assert first.headers["etag"] != etag
    assert first.json()["content"] == "一期工程已完成，二期新增孵化面积2万平方米。"

    stale = client.patch(
        f"/api/v1/projects/{code}", json={"end_year": 2031}, headers={**admin, "If-Match": etag}
    )
    assert "fetch it again" in _problem(stale, 412)["detail"]
    read = client.get(f"/api/v1/projects/{code}", headers=admin)
    assert read.headers["etag"] == first.headers["etag"]
    assert read.json()["end_year"] == 2030
    assert read.json()["content"] == "一期工程已完成，二期新增孵化面积2万平方米。"


@pytest.mark.parametrize(
    "if_match",
    ["{etag}", '"project-{code}-v0", {etag}', "*"],
    ids=["exact", "list", "star"],
)
def test_if_match_forms_that_match(client, admin, if_match, code):
    etag = _etag(client, admin, code)
    response = client.patch(
        f"/api/v1/projects/{code}",
        json={"total_investment_wan": 12345},
        headers={**admin, "If-Match": if_match.format(code=code, etag=etag)},
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"].startswith(f'"project-{code}-v2-')


@pytest.mark.parametrize(
    "if_match", ['"project-{code}-v9"', '"project-INF-006-v1"', "garbage", '"a", "b"']
)
def test_if_match_forms_that_do_not_match(client, admin, session, if_match, code):
    before = _stored(session)
    response = client.patch(
        f"/api/v1/projects/{code}",
        json={"name": "x"},
        headers={**admin, "If-Match": if_match.format(code=code)},
    )
    _problem(response, 412)
    assert _stored(session) == before


def test_patch_changes_only_what_it_names(client, admin, session, code):
    stored = service.get_project(session, code=code)
    updated_at, version = stored.updated_at, stored.version
    read = client.get(f"/api/v1/projects/{code}", headers=admin)
    changed = client.patch(
        f"/api/v1/projects/{code}",
        json={"name": "  大连高新区创新创业孵化基地（二期）  "},
        headers={**admin, "If-Match": read.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    before, after = read.json(), changed.json()
    assert after["name"] == "大连高新区创新创业孵化基地（二期）"
    assert {k: v for k, v in after.items() if k != "name"} == {
        k: v for k, v in before.items() if k != "name"
    }
    session.refresh(stored)
    assert stored.version == version + 1
    assert stored.updated_at > updated_at


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": None}, "name"),
        ({"start_year": None}, "start_year"),
        ({"total_investment_wan": None}, "total_investment_wan"),
        ({"name": " "}, "name"),
        ({"content": "建" * 4001}, "content"),
        ({"end_year": 1990}, "end_year"),
        ({"start_year": 2099}, "end_year"),
        ({"park_id": "atlantis"}, "park_id"),
        ({"code": "INF-999"}, "code"),
        ({"status": "completed"}, "status"),
    ],
)
def test_bad_patch_is_422_naming_the_field_and_changes_nothing(
    client, admin, session, changes, field, code
):
    etag = _etag(client, admin, code)
    before = _stored(session)
    response = client.patch(
        f"/api/v1/projects/{code}", json=changes, headers={**admin, "If-Match": etag}
    )
    _problem(response, 422, field)
    assert _stored(session) == before
    assert _etag(client, admin, code) == etag


def test_moving_to_another_park_takes_its_name_unless_one_is_given(client, admin, code):
    etag = _etag(client, admin, code)
    moved = client.patch(
        f"/api/v1/projects/{code}", json={"park_id": "lvshun"}, headers={**admin, "If-Match": etag}
    )
    assert moved.json()["printed_park_name"] == "旅顺经济技术开发区"
    back = client.patch(
        f"/api/v1/projects/{code}",
        json={"park_id": "gaoxin", "printed_park_name": "大连高新区"},
        headers={**admin, "If-Match": moved.headers["etag"]},
    )
    assert (back.json()["park_id"], back.json()["printed_park_name"]) == ("gaoxin", "大连高新区")
    # Sending the park it is already in keeps the spelling as printed.
    same = client.patch(
        f"/api/v1/projects/{code}",
        json={"park_id": "gaoxin", "end_year": 2030},
        headers={**admin, "If-Match": back.headers["etag"]},
    )
    assert same.json()["printed_park_name"] == "大连高新区"


def test_unknown_project_is_404(client, admin):
    response = client.patch(
        "/api/v1/projects/INF-999", json={"name": "x"}, headers={**admin, "If-Match": "*"}
    )
    _problem(response, 404)


# Archive ------------------------------------------------------------------------------------


def _park(client, headers, park_id="gaoxin"):
    return client.get(f"/api/v1/parks/{park_id}", headers=headers).json()


def _category(client, headers, category_id="innovation"):
    items = client.get("/api/v1/categories", headers=headers).json()["items"]
    return next(c for c in items if c["id"] == category_id)


def test_archive_hides_from_lists_and_counts_but_keeps_the_record(client, admin, code):
    read = client.get(f"/api/v1/projects/{code}", headers=admin).json()
    park, category = _park(client, admin), _category(client, admin, read["category"])
    history = client.get(f"/api/v1/projects/{code}/progress", headers=admin).json()

    archived = client.post(
        f"/api/v1/projects/{code}/archive",
        headers={**admin, "If-Match": _etag(client, admin, code)},
    )
    assert archived.status_code == 200, archived.text
    assert archived.json()["archived_at"] is not None

    assert code not in _codes(client, admin)
    assert code not in _codes(client, admin, park="gaoxin")
    after = _park(client, admin)
    assert after["project_count"] == park["project_count"] - 1
    assert after["total_investment_wan"] == (
        park["total_investment_wan"] - read["total_investment_wan"]
    )
    assert _category(client, admin, read["category"])["project_count"] == (
        category["project_count"] - 1
    )

    detail = client.get(f"/api/v1/projects/{code}", headers=admin)
    assert detail.status_code == 200
    assert detail.json()["archived_at"] == archived.json()["archived_at"]
    assert detail.headers["etag"] == archived.headers["etag"]
    assert client.get(f"/api/v1/projects/{code}/progress", headers=admin).json() == history


def test_archive_twice_is_409_and_archived_projects_refuse_changes(client, admin, session, code):
    archived = client.post(
        f"/api/v1/projects/{code}/archive",
        headers={**admin, "If-Match": _etag(client, admin, code)},
    )
    etag = archived.headers["etag"]
    before = _stored(session)
    again = client.post(f"/api/v1/projects/{code}/archive", headers={**admin, "If-Match": etag})
    assert "already archived" in _problem(again, 409)["detail"]
    patched = client.patch(
        f"/api/v1/projects/{code}", json={"name": "改名"}, headers={**admin, "If-Match": etag}
    )
    _problem(patched, 409)
    assert _stored(session) == before


def test_archive_needs_the_current_etag(client, admin, session, code):
    before = _stored(session)
    _problem(client.post(f"/api/v1/projects/{code}/archive", headers=admin), 428)
    stale = client.post(
        f"/api/v1/projects/{code}/archive",
        headers={**admin, "If-Match": f'"project-{code}-v0"'},
    )
    _problem(stale, 412)
    assert _stored(session) == before


def test_restore_brings_it_back(client, admin, session, code):
    park = _park(client, admin)
    archived = client.post(
        f"/api/v1/projects/{code}/archive",
        headers={**admin, "If-Match": _etag(client, admin, code)},
    )
    restored = client.post(
        f"/api/v1/projects/{code}/restore",
        headers={**admin, "If-Match": archived.headers["etag"]},
    )
    assert restored.status_code == 200, restored.text
    assert restored.json()["archived_at"] is None
    assert restored.headers["etag"] != archived.headers["etag"]
    assert code in _codes(client, admin, park="gaoxin")
    assert _park(client, admin) == park
    again = client.post(
        f"/api/v1/projects/{code}/restore",
        headers={**admin, "If-Match": restored.headers["etag"]},
    )
    _problem(again, 409)


def test_an_archived_project_keeps_its_code(client, admin, session):
    created = client.post("/api/v1/projects", json=NEW, headers=admin)
    code = created.json()["code"]
    client.post(
        f"/api/v1/projects/{code}/archive",
        headers={**admin, "If-Match": created.headers["etag"]},
    )
    # Codes are stable: the archived project's seq is not handed out again.
    assert client.post("/api/v1/projects", json=NEW, headers=admin).json()["code"] != code


# Concurrent writers (PostgreSQL: SQLite lets one writer in at a time) -----------------------


@pytest.fixture(scope="module")
def committed_engine(seeded_copy) -> Iterator[Engine]:
    """A database of its own where writers really commit, for races between sessions."""
    with seeded_copy() as url:
        engine = build_engine(url)
        yield engine
        engine.dispose()


needs_pg = pytest.mark.skipif(not PG_URL, reason="concurrent writers need PostgreSQL")


@needs_pg
def test_a_writer_that_lost_the_race_gets_412(committed_engine):
    with Session(committed_engine) as first, Session(committed_engine) as second:
        # Both read version 1; the second to write must not overwrite the first.
        mine = service.get_project(second, code="INF-010")
        etag = service.project_etag(second, project=mine)
        theirs = service.get_project(first, code="INF-010")
        service.update_project(
            first, project=theirs, changes=ProjectUpdate(name="先到"), if_match=etag, actor=CLI
        )
        with pytest.raises(PreconditionFailed):
            service.update_project(
                second, project=mine, changes=ProjectUpdate(name="后到"), if_match=etag, actor=CLI
            )
    with Session(committed_engine) as check:
        stored = service.get_project(check, code="INF-010")
        assert (stored.name, stored.version) == ("先到", 2)


@needs_pg
def test_a_create_that_collides_on_the_code_takes_the_next(committed_engine):
    data = ProjectCreate.model_validate({**NEW, "category": "innovation"})
    results: list[str] = []
    with Session(committed_engine) as holder:
        top = holder.exec(
            select(func.max(Project.seq)).where(Project.category_id == "innovation")
        ).one()
        park = holder.get(Park, "gaoxin")
        assert park is not None
        assert top is not None
        # An uncommitted row holds the next code, so the other creator collides with it.
        holder.add(
            Project(
                code=f"INN-{top + 1:03d}",
                category_id="innovation",
                seq=top + 1,
                name="占位",
                park_id="gaoxin",
                printed_park_name=park.name,
                content="",
                start_year=2026,
                end_year=2026,
                total_investment_wan=0,
                status="pre_construction",
            )
        )
        holder.flush()

        def create() -> None:
            with Session(committed_engine) as other:
                results.append(service.create_project(other, data=data, actor=CLI).code)

        racer = threading.Thread(target=create)
        racer.start()
        time.sleep(0.5)
        holder.commit()
        racer.join(timeout=30)
    assert results == [f"INN-{top + 2:03d}"]
