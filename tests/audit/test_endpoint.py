"""`GET /api/v1/audit`: admins only, filters, China-time ranges, cursor pages, exports."""

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from app.audit import log
from app.models import AuditRecord
from tests import factories

URL = "/api/v1/audit"
# 2026-12-01 23:59:59 and 2026-12-02 00:00:00 in China.
LATE_ON_THE_1ST = datetime(2026, 12, 1, 15, 59, 59, tzinfo=UTC)
EARLY_ON_THE_2ND = datetime(2026, 12, 1, 16, 0, 0, tzinfo=UTC)
NEWER = datetime(2026, 12, 3, 1, 0, 0, tzinfo=UTC)


class _Actor:
    def __init__(self, name: str, role: str = "admin", token_id: int | None = None) -> None:
        self.name, self.role, self.token_id = name, role, token_id


def _stored(session, *, at: datetime, actor: str = "admin-wang", **fields) -> int:
    """A record written at `at`, committed; its id."""
    values = log.values(
        actor=_Actor(actor),
        object_type=fields.pop("object_type", "park"),
        object_key=fields.pop("object_key", "gaoxin"),
        action=fields.pop("action", "update"),
        changes=fields.pop("changes", {"tier": ["key", "demonstration"]}),
        reason=fields.pop("reason", ""),
    )
    record = AuditRecord(**{**values, "at": at})
    session.add(record)
    session.commit()
    assert record.id is not None
    return record.id


@pytest.fixture
def admin(auth):
    return auth("admin")


def _ids(client, headers, **params) -> list[int]:
    response = client.get(URL, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def _problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


def test_admins_only(client, auth):
    _problem(client.get(URL), 401)
    _problem(client.get(URL, headers={"Authorization": "Bearer kp_nonsense"}), 401)
    _problem(client.get(URL, headers=auth("planner")), 403)
    _problem(client.get(URL, headers=auth("officer", "gaoxin")), 403)
    assert client.get(URL, headers=auth("admin")).status_code == 200


def test_a_record_as_the_api_answers_it(client, auth, session):
    code = factories.project(session).code
    planner = auth("planner")
    url = f"/api/v1/projects/{code}/plans/2026"
    client.put(url, json={"planned_investment_wan": 12000}, headers=planner)
    client.put(
        url,
        json={
            "planned_investment_wan": 9000,
            "reason": "设备采购延后",
            "document": "大园区发〔2026〕12号",
        },
        headers=planner,
    )
    response = client.get(
        URL, params={"object_type": "plan", "object_key": f"{code}/2026"}, headers=auth("admin")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next"] is None
    assert body["limit"] == 50
    adjusted, created = body["items"]
    assert adjusted["id"] > created["id"]
    token_id = adjusted["actor"]["token_id"]
    assert isinstance(token_id, int)
    assert {k: v for k, v in adjusted.items() if k not in ("id", "at")} == {
        "actor": {"name": "test-planner", "role": "planner", "token_id": token_id},
        "object_type": "plan",
        "object_key": f"{code}/2026",
        "action": "adjust",
        "changes": {"planned_investment_wan": {"from": 12000, "to": 9000}},
        "reason": "设备采购延后（大园区发〔2026〕12号）",
    }
    assert created["changes"]["planned_investment_wan"] == {"from": None, "to": 12000}
    assert datetime.fromisoformat(adjusted["at"].replace("Z", "+00:00")).tzinfo is not None


def test_filters_combine(client, admin, session):
    park = _stored(session, at=LATE_ON_THE_1ST)
    other_park = _stored(session, at=LATE_ON_THE_1ST, object_key="lvshun", actor="admin-li")
    plan = _stored(
        session, at=EARLY_ON_THE_2ND, object_type="plan", object_key="INF-005/2026", action="adjust"
    )
    assert _ids(client, admin, object_type="park", object_key="gaoxin") == [park]
    assert _ids(client, admin, object_type="park", object_key="lvshun") == [other_park]
    assert _ids(client, admin, object_type="plan") == [plan]
    assert _ids(client, admin, object_key="INF-005/2026") == [plan]
    assert _ids(client, admin, actor="admin-wang") == [plan, park]
    assert _ids(client, admin, actor="admin-li", object_type="park") == [other_park]
    # The actor is matched exactly: a part of a name matches nothing.
    assert _ids(client, admin, actor="admin") == []
    assert _ids(client, admin, actor="", object_type="park") == [other_park, park]
    assert _ids(client, admin, action="adjust") == [plan]
    assert _ids(client, admin, action="adjust", object_type="park") == []


def test_dates_and_times_are_china_time(client, admin, session):
    # The admin's token is recorded today: these records are parks.
    first = _stored(session, at=LATE_ON_THE_1ST)
    second = _stored(session, at=EARLY_ON_THE_2ND)
    assert _ids(client, admin, object_type="park", until="2026-12-01") == [first]
    assert _ids(client, admin, object_type="park", since="2026-12-02") == [second]
    assert _ids(client, admin, object_type="park", since="2026-12-01", until="2026-12-02") == [
        second,
        first,
    ]
    assert _ids(client, admin, object_type="park", since="2026-12-02T00:00:00+08:00") == [second]
    assert _ids(client, admin, object_type="park", since="2026-12-01T16:00:00Z") == [second]
    # Without an offset a time is China's; `until` excludes its own moment.
    assert _ids(client, admin, object_type="park", until="2026-12-02T00:00") == [first]
    assert _ids(client, admin, object_type="park", until="2026-12-02T00:00:01") == [second, first]
    assert _ids(client, admin, object_type="park", since="2026-12-03") == []
    assert _ids(client, admin, object_type="park", since="2026-12-03", until="2026-12-01") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-13-01"}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"until": "1700000000"}, "until"),
        ({"until": "20261201"}, "until"),
        ({"until": "9999-12-31"}, "until"),
        ({"since": "2026-12-01T25:00"}, "since"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"before": "0"}, "before"),
        ({"object_type": "galaxy"}, "object_type"),
        ({"actor": "x" * 101}, "actor"),
        ({"actor": "admin\x1b[31m"}, "actor"),
        ({"action": "drop table"}, "action"),
        ({"format": "pdf"}, "format"),
        ({"park": "gaoxin"}, "park"),
    ],
)
def test_bad_queries_are_refused(client, admin, params, field):
    body = _problem(client.get(URL, params=params, headers=admin), 422)
    assert [e["loc"][:2] for e in body["errors"]] == [["query", field]], body


def test_pages_follow_the_cursor_newest_first(client, admin, session):
    # Written out of time order, as concurrent transactions may, some at the same moment:
    # newest first is by time, then by id.
    times = [EARLY_ON_THE_2ND, LATE_ON_THE_1ST, EARLY_ON_THE_2ND, LATE_ON_THE_1ST, NEWER]
    stored = [_stored(session, at=at, object_key=f"p{i}") for i, at in enumerate(times)]
    other = _stored(session, at=EARLY_ON_THE_2ND, object_type="token", object_key="1")
    newest_first = [stored[4], stored[2], stored[0], stored[3], stored[1]]
    seen: list[int] = []
    url = f"{URL}?object_type=park&limit=2"
    while url:
        response = client.get(url, headers=admin)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= 2
        seen += [item["id"] for item in body["items"]]
        url = body["next"]
        if url:
            assert url.startswith(f"{URL}?")
            assert "object_type=park" in url
            assert "limit=2" in url
    assert seen == newest_first
    assert other not in seen
    assert _ids(client, admin, object_type="park", before=str(stored[0])) == newest_first[3:]
    # A cursor naming no record reads the records with smaller ids.
    assert _ids(client, admin, object_type="park", before="1000000") == newest_first


def test_export_has_a_row_per_changed_field(client, admin, session):
    _stored(
        session,
        at=LATE_ON_THE_1ST,
        changes={
            "aliases": [["大连高新区"], ["大连高新区", "高新园区"]],
            "tier": ["key", "demonstration"],
        },
        reason="表4口径",
    )
    response = client.get(URL, params={"format": "csv", "object_type": "park"}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["记录编号", "时间（北京时间）", "操作人"]
    assert rows[1][1:] == [
        "2026-12-01 23:59:59",
        "admin-wang",
        "admin",
        "园区",
        "gaoxin",
        "修改",
        "aliases",
        "大连高新区",
        "大连高新区、高新园区",
        "表4口径",
    ]
    assert rows[2][7:10] == ["tier", "key", "demonstration"]

    workbook = client.get(
        URL,
        params={"object_type": "park"},
        headers={
            **admin,
            "Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
    )
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.content))["变更记录"]
    assert [c.value for c in sheet[2]][7:9] == ["aliases", "大连高新区"]


def test_a_cursor_past_any_id_is_refused_not_a_500(client, auth):
    response = client.get("/api/v1/audit?before=9223372036854775806", headers=auth("admin"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
