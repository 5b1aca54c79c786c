"""Who is responsible for a project: owner, responsible unit, leader and national code, the
list's filters and exports, and every master-data change recorded in the audit log."""

import csv
import io

import pytest
from sqlmodel import Session, col, func, select

from app.models import AuditRecord, Project
from tests import factories

CODE = "2019-210200-44-01-012345"
NEW = {
    "category": "innovation",
    "name": "大连光电子集成电路产业园项目",
    "park_id": "gaoxin",
    "content": "建设光电子芯片研发中心及生产厂房。",
    "start_year": 2026,
    "end_year": 2028,
    "total_investment_wan": 120000,
    "owner": "大连光电子科技有限公司",
    "responsible_unit": "大连高新区经济发展局",
    "leader": "张三",
    "national_code": CODE,
}


@pytest.fixture
def admin(auth):
    return auth("admin")


def _create(client, admin, **fields):
    response = client.post("/api/v1/projects", json={**NEW, **fields}, headers=admin)
    assert response.status_code == 201, response.text
    return response


def _etag(client, headers, code):
    return client.get(f"/api/v1/projects/{code}", headers=headers).headers["etag"]


def _patch(client, admin, code, body):
    headers = {**admin, "If-Match": _etag(client, admin, code)}
    return client.patch(f"/api/v1/projects/{code}", json=body, headers=headers)


def _problem(response, status, field=None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    if field is not None:
        assert [e["loc"] for e in body["errors"]] == [["body", field]], body
    return body


def _stored(session: Session):
    """What a refused request must leave untouched: projects, their versions, the audit log."""
    session.commit()
    return (
        session.exec(select(func.count()).select_from(Project)).one(),
        session.exec(select(func.sum(Project.version))).one(),
        session.exec(select(func.count()).select_from(AuditRecord)).one(),
    )


def _records(session: Session, code: str) -> list[AuditRecord]:
    session.commit()
    query = (
        select(AuditRecord)
        .where(AuditRecord.object_type == "project", AuditRecord.object_key == code)
        .order_by(col(AuditRecord.id))
    )
    return list(session.exec(query).all())


# The fields ----------------------------------------------------------------------------------


def test_create_stores_who_is_responsible_and_reads_it_back(client, admin):
    created = _create(client, admin, national_code=f"  {CODE.lower()} ")
    body = created.json()
    assert {k: body[k] for k in ("owner", "responsible_unit", "leader")} == {
        "owner": "大连光电子科技有限公司",
        "responsible_unit": "大连高新区经济发展局",
        "leader": "张三",
    }
    # Trimmed and upper-cased; no earlier codes yet.
    assert body["national_code"] == CODE
    assert body["earlier_national_codes"] == []
    assert body["exit_reason"] == ""
    read = client.get(created.headers["location"], headers=admin).json()
    assert read == body


def test_the_seeded_appendix_records_no_one(client, auth):
    # Appendix 3 prints no owner, unit, leader or code: the seeded rows leave them empty.
    items = client.get("/api/v1/projects", params={"limit": 500}, headers=auth()).json()["items"]
    assert len(items) == 178
    assert {
        (p["owner"], p["responsible_unit"], p["leader"], p["national_code"]) for p in items
    } == {("", "", "", None)}


def test_a_project_without_them_reads_empty(client, admin):
    body = _create(
        client, admin, owner="", responsible_unit="(未指定)", leader="", national_code=None
    ).json()
    assert (body["owner"], body["responsible_unit"], body["leader"]) == ("", "", "")
    assert body["national_code"] is None


@pytest.mark.parametrize(
    "code",
    [
        "2019-210200-44-01-01234",  # 23 characters
        "2019-210200-44-01-0123456",  # 25
        "2019_210200_44_01_012345",  # underscores
        "２０１９-210200-44-01-012345",  # full-width digits
        "2019-210200-44-01-01234\x00",
        "2019-210200-44-01-0\u200b2345",
        "",
        "x" * 5000,
        12345,
        True,
    ],
)
def test_a_malformed_national_code_is_422_and_stores_nothing(client, admin, session, code):
    before = _stored(session)
    body = _problem(
        client.post("/api/v1/projects", json={**NEW, "national_code": code}, headers=admin),
        422,
        "national_code",
    )
    assert body["errors"][0]["msg"]
    assert _stored(session) == before


def test_a_national_code_error_says_what_a_code_is(client, admin):
    body = _problem(
        client.post("/api/v1/projects", json={**NEW, "national_code": "2019-21"}, headers=admin),
        422,
        "national_code",
    )
    message = body["errors"][0]["msg"]
    assert "24 characters" in message
    assert "2019-210200-44-01-012345" in message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("owner", "业" * 201),
        ("responsible_unit", "单" * 101),
        ("leader", "领" * 101),
        ("owner", "大连\x1b[31m公司"),
        ("responsible_unit", "发改\x7f委"),
        ("leader", "张\x9b三"),
        ("owner", None),
        ("leader", ["张三"]),
    ],
)
def test_hostile_names_are_422_and_store_nothing(client, admin, session, field, value):
    before = _stored(session)
    _problem(client.post("/api/v1/projects", json={**NEW, field: value}, headers=admin), 422, field)
    assert _stored(session) == before


def test_a_code_another_project_has_is_409(client, admin, session):
    first = _create(client, admin).json()
    other = factories.project(session)
    before = _stored(session)
    body = _problem(client.post("/api/v1/projects", json=NEW, headers=admin), 409)
    assert first["code"] in body["detail"]
    assert _stored(session) == before
    response = _patch(client, admin, other.code, {"national_code": CODE.lower()})
    _problem(response, 409)
    assert _stored(session) == before


def test_a_new_code_keeps_the_old_one_which_no_other_project_may_take(client, admin, session):
    code = _create(client, admin).json()["code"]
    renewed = "2026-210200-44-01-000001"
    changed = _patch(client, admin, code, {"national_code": renewed, "reason": "项目重新备案"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["national_code"] == renewed
    assert changed.json()["earlier_national_codes"] == [CODE]
    read = client.get(f"/api/v1/projects/{code}", headers=admin).json()
    assert (read["national_code"], read["earlier_national_codes"]) == (renewed, [CODE])
    # The old code stays the project's: another project may not take it, now or later.
    other = factories.project(session)
    before = _stored(session)
    _problem(_patch(client, admin, other.code, {"national_code": CODE}), 409)
    _problem(client.post("/api/v1/projects", json=NEW, headers=admin), 409)
    assert _stored(session) == before
    # The project itself may take it back; the code it leaves is kept in its place.
    back = _patch(client, admin, code, {"national_code": CODE})
    assert back.status_code == 200, back.text
    assert back.json()["national_code"] == CODE
    assert back.json()["earlier_national_codes"] == [renewed]


def test_a_code_cannot_be_removed(client, admin):
    code = _create(client, admin).json()["code"]
    _problem(_patch(client, admin, code, {"national_code": None}), 422, "national_code")
    _problem(_patch(client, admin, code, {"national_code": ""}), 422, "national_code")


def test_names_change_and_clear(client, admin):
    code = _create(client, admin).json()["code"]
    changed = _patch(
        client,
        admin,
        code,
        {"responsible_unit": " 大连市发展和改革委员会 ", "leader": "", "owner": "新业主"},
    ).json()
    assert (changed["responsible_unit"], changed["leader"], changed["owner"]) == (
        "大连市发展和改革委员会",
        "",
        "新业主",
    )


# The list: filters and exports -------------------------------------------------------------


def _codes(client, headers, params):
    response = client.get("/api/v1/projects", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return sorted(p["code"] for p in response.json()["items"])


def test_the_list_filters_by_unit_and_leader(client, admin, session):
    a = factories.project(session, responsible_unit="甲单位，一处", leader="王五").code
    b = factories.project(session, responsible_unit="乙单位", leader="王五").code
    c = factories.project(session, responsible_unit="甲单位，一处", leader="赵六").code
    assert _codes(client, admin, {"unit": "甲单位，一处"}) == sorted([a, c])
    # A name may hold commas: several units are repeated parameters, never split.
    assert _codes(client, admin, [("unit", "甲单位，一处"), ("unit", "乙单位")]) == sorted(
        [a, b, c]
    )
    assert _codes(client, admin, [("unit", "甲单位,一处")]) == []
    assert _codes(client, admin, {"leader": "王五"}) == sorted([a, b])
    assert _codes(client, admin, {"leader": "王五", "unit": "乙单位"}) == [b]
    # `(未指定)` lists the projects without one: here the appendix's 178 and none of these.
    unspecified = _codes(client, admin, {"unit": "(未指定)", "limit": 500})
    assert len(unspecified) == 178
    assert not {a, b, c} & set(unspecified)


@pytest.mark.parametrize(
    "params",
    [{"unit": ""}, {"leader": "领" * 101}, {"unit": "发\x1b改"}, {"leader": ""}],
)
def test_bad_name_filters_are_422(client, auth, params):
    response = client.get("/api/v1/projects", params=params, headers=auth())
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_the_export_carries_who_is_responsible(client, admin, session):
    project = factories.project(
        session,
        responsible_unit="大连高新区经济发展局",
        leader="张三",
        owner="大连光电子科技有限公司",
        national_code=CODE,
    )
    response = client.get(
        "/api/v1/projects", params={"format": "csv", "unit": "大连高新区经济发展局"}, headers=admin
    )
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body, totals = rows[0], rows[1:-1], rows[-1]
    assert header[-5:] == ["项目代码", "业主单位", "责任单位", "包保领导", "入库批次"]
    assert [r[0] for r in body] == [project.code]
    assert body[0][-5:] == [
        CODE,
        "大连光电子科技有限公司",
        "大连高新区经济发展局",
        "张三",
        "后续入库（未注明批次）",
    ]
    assert len(totals) == len(header)


# The audit log -------------------------------------------------------------------------------


def test_create_update_archive_and_restore_are_recorded_with_their_reasons(client, admin, session):
    created = _create(client, admin, reason="经领导小组审定入库")
    code = created.json()["code"]
    changed = _patch(
        client, admin, code, {"leader": "李四", "total_investment_wan": 130000, "reason": "调整"}
    )
    assert changed.status_code == 200, changed.text
    archived = client.post(
        f"/api/v1/projects/{code}/archive",
        json={"reason": "业主放弃建设"},
        headers={**admin, "If-Match": changed.headers["etag"]},
    )
    assert archived.status_code == 200, archived.text
    assert archived.json()["exit_reason"] == "业主放弃建设"
    assert archived.json()["archived_at"] is not None
    restored = client.post(
        f"/api/v1/projects/{code}/restore",
        json={"reason": "业主恢复建设"},
        headers={**admin, "If-Match": archived.headers["etag"]},
    )
    assert restored.status_code == 200, restored.text
    assert restored.json()["exit_reason"] == ""

    create, update, archive, restore = _records(session, code)
    assert [r.action for r in (create, update, archive, restore)] == [
        "create",
        "update",
        "archive",
        "restore",
    ]
    assert {r.actor_role for r in (create, update, archive, restore)} == {"admin"}
    assert create.reason == "经领导小组审定入库"
    assert create.changes["national_code"] == [None, CODE]
    assert create.changes["leader"] == [None, "张三"]
    assert create.changes["edition_id"] == [None, "additions"]
    assert update.changes == {"leader": ["张三", "李四"], "total_investment_wan": [120000, 130000]}
    assert update.reason == "调整"
    assert archive.reason == "业主放弃建设"
    assert archive.changes["exit_reason"] == ["", "业主放弃建设"]
    assert archive.changes["archived_at"][0] is None
    assert restore.changes["exit_reason"] == ["业主放弃建设", ""]
    assert restore.changes["archived_at"][1] is None
    assert restore.reason == "业主恢复建设"


def test_a_code_change_is_recorded(client, admin, session):
    code = _create(client, admin).json()["code"]
    renewed = "2026-210200-44-01-000002"
    assert _patch(client, admin, code, {"national_code": renewed}).status_code == 200
    update = _records(session, code)[-1]
    assert update.changes == {"national_code": [CODE, renewed]}


def test_archiving_without_a_body_still_works_and_is_recorded(client, admin, session):
    code = factories.project(session).code
    response = client.post(
        f"/api/v1/projects/{code}/archive",
        headers={**admin, "If-Match": _etag(client, admin, code)},
    )
    assert response.status_code == 200, response.text
    assert response.json()["exit_reason"] == ""
    assert _records(session, code)[-1].action == "archive"


@pytest.mark.parametrize(
    "body", [{"reason": "原因" * 1001}, {"reason": "放\x1b弃"}, {"why": "x"}, {"reason": None}]
)
def test_a_bad_archive_reason_is_422_and_archives_nothing(client, admin, session, body):
    code = factories.project(session).code
    before = _stored(session)
    response = client.post(
        f"/api/v1/projects/{code}/archive",
        json=body,
        headers={**admin, "If-Match": _etag(client, admin, code)},
    )
    _problem(response, 422)
    assert _stored(session) == before


def test_a_refused_update_records_nothing(client, admin, session):
    code = _create(client, admin).json()["code"]
    before = _stored(session)
    _problem(_patch(client, admin, code, {"end_year": 2020, "reason": "x"}), 422)
    _problem(_patch(client, admin, code, {"leader": "领" * 101}), 422, "leader")
    assert _stored(session) == before


def test_an_update_that_changes_nothing_records_nothing(client, admin, session):
    code = _create(client, admin).json()["code"]
    count = len(_records(session, code))
    assert _patch(client, admin, code, {"leader": "张三"}).status_code == 200
    assert len(_records(session, code)) == count
