"""Editions of the library: listed with their size, batches added by admins (audit-logged),
projects entering through a batch, the `edition` filter, and the seed and synth that make them."""

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app import migrate
from app.db import build_engine
from app.models import AuditRecord, Edition, Project
from app.seeding.load import load_seed
from app.seeding.synth import LEADERS, UNITS, synthesize
from tests import factories
from tests.conftest import SEED_DIR

BATCH = {
    "id": "batch-2026-1",
    "name": "2026年第一批新增重点项目",
    "document": "大发改投资〔2026〕15号",
    "document_date": "2026-03-20",
    "note": "经市重点项目建设领导小组审定入库。",
}


@pytest.fixture
def admin(auth):
    return auth("admin")


@pytest.fixture
def batch(client, admin):
    response = client.post("/api/v1/editions", json=BATCH, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


def _stored(session: Session):
    session.commit()
    return (
        session.exec(select(func.count()).select_from(Edition)).one(),
        session.exec(select(func.count()).select_from(Project)).one(),
        session.exec(select(func.sum(Project.version))).one(),
        session.exec(select(func.count()).select_from(AuditRecord)).one(),
    )


def _problem(response, status, field=None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    if field is not None:
        assert [e["loc"][:2] for e in body["errors"]] == [["body", field]], body
    return body


# The list ------------------------------------------------------------------------------------


def test_the_seeded_library_is_the_plans_edition(client, auth):
    response = client.get("/api/v1/editions", headers=auth())
    assert response.status_code == 200, response.text
    plan, additions = response.json()["items"]
    assert (plan["id"], plan["kind"], plan["kind_name"]) == ("plan", "plan", "方案附件")
    assert (plan["project_count"], plan["total_investment_wan"]) == (178, 21_124_119)
    assert plan["archived_count"] == 0
    assert "附件3" in plan["name"]
    assert plan["links"]["projects"] == "/api/v1/projects?edition=plan"
    assert (additions["id"], additions["kind"], additions["project_count"]) == (
        "additions",
        "batch",
        0,
    )
    one = client.get("/api/v1/editions/plan", headers=auth())
    assert one.status_code == 200
    assert one.json() == plan


def test_an_unknown_edition_is_404_and_a_bad_id_422(client, auth):
    _problem(client.get("/api/v1/editions/nosuch", headers=auth()), 404)
    _problem(client.get("/api/v1/editions/NOT%20AN%20ID", headers=auth()), 422)


def test_a_batch_counts_its_projects_and_its_archived_ones(client, admin, session, batch):
    kept = factories.project(session, edition_id=batch["id"], total_investment_wan=5000)
    gone = factories.project(session, edition_id=batch["id"], total_investment_wan=700)
    etag = client.get(f"/api/v1/projects/{gone.code}", headers=admin).headers["etag"]
    archived = client.post(
        f"/api/v1/projects/{gone.code}/archive",
        json={"reason": "业主放弃建设"},
        headers={**admin, "If-Match": etag},
    )
    assert archived.status_code == 200, archived.text
    body = client.get(f"/api/v1/editions/{batch['id']}", headers=admin).json()
    assert (body["project_count"], body["archived_count"]) == (1, 1)
    assert body["total_investment_wan"] == 5000
    assert kept.edition_id == batch["id"]


# Adding a batch -----------------------------------------------------------------------------


def test_an_admin_adds_a_batch_recorded_in_the_audit_log(client, admin, session):
    response = client.post("/api/v1/editions", json=BATCH, headers=admin)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/api/v1/editions/batch-2026-1"
    body = response.json()
    assert {k: body[k] for k in BATCH} == BATCH
    assert (body["kind"], body["project_count"], body["total_investment_wan"]) == ("batch", 0, 0)
    assert body["created_by"] == "test-admin"
    listed = [e["id"] for e in client.get("/api/v1/editions", headers=admin).json()["items"]]
    assert listed == ["plan", "additions", "batch-2026-1"]
    session.commit()
    (record,) = session.exec(
        select(AuditRecord).where(
            AuditRecord.object_type == "edition", AuditRecord.object_key == "batch-2026-1"
        )
    ).all()
    assert record.action == "create"
    assert record.actor_role == "admin"
    assert record.changes["document"] == [None, BATCH["document"]]
    assert record.changes["document_date"] == [None, "2026-03-20"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": "Batch"}, "id"),
        ({"id": "1st"}, "id"),
        ({"id": "b" * 33}, "id"),
        ({"id": "a/b"}, "id"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "批" * 101}, "name"),
        ({"name": "第一\x1b批"}, "name"),
        ({"document": "文" * 101}, "document"),
        ({"document": "大发改\x00〔2026〕"}, "document"),
        ({"document_date": "2026-13-01"}, "document_date"),
        ({"document_date": "20260320"}, "document_date"),
        ({"note": "注" * 4001}, "note"),
        ({"kind": "plan"}, "kind"),
        ({"kind": "edition"}, "kind"),
        ({"created_by": "someone"}, "created_by"),
        ({"project_count": 3}, "project_count"),
    ],
)
def test_a_bad_batch_is_422_and_stores_nothing(client, admin, session, changes, field):
    before = _stored(session)
    _problem(client.post("/api/v1/editions", json={**BATCH, **changes}, headers=admin), 422, field)
    assert _stored(session) == before


@pytest.mark.parametrize(
    "changes",
    [
        {},  # id and name taken
        {"id": "batch-other"},  # the name taken
        {"name": "另一批次"},  # the id taken
        {"id": "plan", "name": "新"},  # the plan's id
    ],
)
def test_a_taken_id_or_name_is_409(client, admin, session, batch, changes):
    before = _stored(session)
    _problem(client.post("/api/v1/editions", json={**BATCH, **changes}, headers=admin), 409)
    assert _stored(session) == before


# Projects enter through a batch ---------------------------------------------------------------

NEW = {
    "category": "innovation",
    "name": "新增项目",
    "park_id": "changxingdao",
    "start_year": 2026,
    "end_year": 2027,
    "total_investment_wan": 50000,
}


def test_a_project_enters_through_the_batch_it_names(client, admin, batch):
    response = client.post(
        "/api/v1/projects", json={**NEW, "edition_id": batch["id"]}, headers=admin
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["edition_id"], body["edition_name"]) == (batch["id"], batch["name"])
    default = client.post("/api/v1/projects", json=NEW, headers=admin).json()
    assert (default["edition_id"], default["edition_name"]) == (
        "additions",
        "后续入库（未注明批次）",
    )


@pytest.mark.parametrize(("edition", "status"), [("nosuch", 422), ("plan", 422), ("PLAN", 422)])
def test_a_project_cannot_enter_an_unknown_edition_or_the_plans(
    client, admin, session, edition, status
):
    before = _stored(session)
    response = client.post("/api/v1/projects", json={**NEW, "edition_id": edition}, headers=admin)
    _problem(response, status, "edition_id")
    assert _stored(session) == before


def _patch(client, admin, code, body):
    etag = client.get(f"/api/v1/projects/{code}", headers=admin).headers["etag"]
    return client.patch(f"/api/v1/projects/{code}", json=body, headers={**admin, "If-Match": etag})


def test_a_project_moves_between_batches_but_not_in_or_out_of_the_plans(
    client, admin, session, batch
):
    code = factories.project(session).code
    moved = _patch(client, admin, code, {"edition_id": batch["id"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["edition_id"] == batch["id"]
    before = _stored(session)
    _problem(_patch(client, admin, code, {"edition_id": "plan"}), 422, "edition_id")
    _problem(_patch(client, admin, code, {"edition_id": "nosuch"}), 422, "edition_id")
    _problem(_patch(client, admin, "INN-033", {"edition_id": batch["id"]}), 409)
    assert _stored(session) == before
    # Staying where it is, is no move.
    assert _patch(client, admin, "INN-033", {"edition_id": "plan"}).status_code == 200


# The `edition` filter ---------------------------------------------------------------------------


def test_lists_rollups_series_and_exports_filter_by_edition(client, admin, session, batch):
    added = factories.project(
        session, edition_id=batch["id"], park_id="changxingdao", total_investment_wan=50000
    )

    def listed(**params):
        response = client.get("/api/v1/projects", params={"limit": 500, **params}, headers=admin)
        assert response.status_code == 200, response.text
        return response.json()

    assert listed(edition="plan")["total"] == 178
    assert [p["code"] for p in listed(edition=batch["id"])["items"]] == [added.code]
    assert listed(edition=f"plan,{batch['id']}")["total"] == 179
    assert listed()["total"] == 179
    assert {p["edition_id"] for p in listed(edition="plan")["items"]} == {"plan"}

    rollup = client.get(
        "/api/v1/rollups", params={"by": "park", "edition": batch["id"]}, headers=admin
    ).json()
    assert [(r["park_id"], r["project_count"]) for r in rollup["rows"]] == [("changxingdao", 1)]
    assert f"edition={batch['id']}" in rollup["rows"][0]["projects"]
    plan = client.get(
        "/api/v1/rollups", params={"by": "tier", "edition": "plan"}, headers=admin
    ).json()
    assert plan["totals"]["project_count"] == 178
    assert plan["totals"]["total_investment_wan"] == 21_124_119
    series = client.get(
        "/api/v1/rollups/series", params={"edition": batch["id"], "by": "unit"}, headers=admin
    )
    assert series.status_code == 200, series.text

    exported = client.get(
        "/api/v1/projects", params={"edition": batch["id"], "format": "csv"}, headers=admin
    )
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:-1]] == [added.code]
    assert rows[1][-1] == batch["name"]


@pytest.mark.parametrize("path", ["/api/v1/projects", "/api/v1/rollups", "/api/v1/rollups/series"])
@pytest.mark.parametrize("edition", ["nosuch", "Plan", "plan,", "p" * 40])
def test_an_unknown_edition_filter_is_422(client, auth, path, edition):
    params = {"edition": edition, **({"by": "park"} if path.endswith("rollups") else {})}
    _problem(client.get(path, params=params, headers=auth()), 422)


# Seeding and synthesis ----------------------------------------------------------------------


def test_seeding_again_changes_nothing(session):
    def state():
        session.commit()
        return (
            session.exec(select(Edition.id).order_by(col(Edition.id))).all(),
            session.exec(
                select(Project.edition_id, func.count(), func.sum(Project.version)).group_by(
                    Project.edition_id
                )
            ).all(),
        )

    before = state()
    result = load_seed(session, seed_dir=SEED_DIR)
    assert (result.projects, result.editions, result.assigned) == (0, 0, 0)
    assert state() == before


def test_seeding_gives_projects_stored_before_editions_their_own(session):
    added = factories.project(session).code
    # A database from before editions: no edition rows, no project in one.
    session.execute(sa.update(Project).values(edition_id=None))
    session.execute(sa.delete(Edition))
    session.commit()
    result = load_seed(session, seed_dir=SEED_DIR)
    assert (result.projects, result.editions, result.assigned) == (0, 2, 179)
    session.commit()
    by_edition = dict(
        session.exec(select(Project.edition_id, func.count()).group_by(Project.edition_id)).all()
    )
    assert by_edition == {"plan": 178, "additions": 1}
    assert session.exec(select(Project.edition_id).where(Project.code == added)).one() == (
        "additions"
    )
    again = load_seed(session, seed_dir=SEED_DIR)
    assert (again.projects, again.editions, again.assigned) == (0, 0, 0)


def test_synthetic_projects_come_in_a_batch_with_units_leaders_and_codes(make_database):
    url = make_database()
    migrate.upgrade(url)
    engine = build_engine(url)
    with Session(engine) as session:
        load_seed(session, seed_dir=SEED_DIR)
        synthesize(
            session, projects=200, months=3, seed=7, seed_dir=SEED_DIR, today=date(2026, 11, 22)
        )
        rows = session.exec(
            select(
                Project.edition_id, Project.responsible_unit, Project.leader, Project.national_code
            ).where(col(Project.edition_id) != "plan")
        ).all()
        assert session.get(Edition, "synth-7") is not None
    engine.dispose()
    assert len(rows) == 200
    assert {r[0] for r in rows} == {"synth-7"}
    assert {r[1] for r in rows} <= {*UNITS, ""}
    assert {r[2] for r in rows} <= {*LEADERS, ""}
    assert len({r[1] for r in rows if r[1]}) > 20
    assert 0 < sum(1 for r in rows if not r[1]) < 40
    codes = [r[3] for r in rows]
    assert len(set(codes)) == 200
    assert all(len(code) == 24 for code in codes)
    assert len(UNITS) == 30
    assert len(LEADERS) == 60
