"""Progress reports: history, revisions, validation, idempotency and review."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import func, select

from app.clock import REPORTING_TZ
from app.main import create_app
from app.models import ProgressEntry, Project
from app.projects.service import get_project
from tests import factories
from tests.conftest import SessionClient

# A seeded project of park gaoxin, for the tests about the baseline entry seeded projects have.
GAOXIN = "INF-005"  # 大连先进光源二期项目, park gaoxin
LVSHUN = "INF-015"  # park lvshun


def _report(**overrides):
    return {
        "as_of": "2026-10-31",
        "status": "under_construction",
        "percent_complete": 60,
        "invested_to_date_wan": 150000,
        "note": "主体结构封顶，进入设备安装阶段。",
        "issues": "部分进口设备到货延迟。",
        **overrides,
    }


def _entries(session, code=None):
    query = select(func.count()).select_from(ProgressEntry)
    if code:
        project = get_project(session, code=code)
        query = query.where(ProgressEntry.project_id == project.id)
    return session.exec(query).one()


@pytest.fixture
def officer(auth):
    return auth("officer", "gaoxin")


@pytest.fixture
def code(session) -> str:
    """A project of park gaoxin made for the test, with room for `_report`'s investment."""
    return factories.project(session, total_investment_wan=220_000).code


def _post(client, headers, code, **overrides):
    return client.post(
        f"/api/v1/projects/{code}/progress", json=_report(**overrides), headers=headers
    )


def test_report_is_stored_with_who_and_when(client, officer, session):
    response = _post(client, officer, GAOXIN)
    assert response.status_code == 201, response.text
    entry = response.json()
    assert response.headers["location"] == f"/api/v1/projects/{GAOXIN}/progress/{entry['id']}"
    assert entry["period"] == "2026-10"
    assert entry["revision"] == 1
    assert entry["review_state"] == "submitted"
    assert entry["reporter_name"] == "test-officer"
    assert entry["reporter_role"] == "officer"
    assert entry["note"] == "主体结构封顶，进入设备安装阶段。"
    assert entry["issues"] == "部分进口设备到货延迟。"
    received = datetime.fromisoformat(entry["received_at"])
    assert abs(received - datetime.now(UTC)) < timedelta(minutes=1)

    project = client.get(f"/api/v1/projects/{GAOXIN}", headers=officer).json()
    assert project["latest_progress"] == entry
    assert project["status"] == "under_construction"
    history = client.get(f"/api/v1/projects/{GAOXIN}/progress", headers=officer).json()
    assert history["items"][0]["id"] == entry["id"]
    assert history["items"][-1]["is_baseline"] is True


def test_status_column_follows_the_current_report(client, officer, session, code):
    _post(
        client, officer, code, status="suspended", percent_complete=None, invested_to_date_wan=None
    )
    assert get_project(session, code=code).status == "suspended"
    listed = client.get("/api/v1/projects?status=suspended&park=gaoxin", headers=officer).json()
    assert [p["code"] for p in listed["items"]] == [code]


def test_backdated_report_enters_history_without_becoming_current(client, officer, code):
    current = _post(client, officer, code, as_of="2026-10-31").json()
    backdated = _post(
        client, officer, code, as_of="2026-08-31", percent_complete=40, invested_to_date_wan=100000
    ).json()
    project = client.get(f"/api/v1/projects/{code}", headers=officer).json()
    assert project["latest_progress"]["id"] == current["id"]
    history = client.get(f"/api/v1/projects/{code}/progress", headers=officer).json()["items"]
    assert [e["id"] for e in history[:2]] == [current["id"], backdated["id"]]


def test_second_report_in_a_period_is_a_revision_that_counts(client, officer, code):
    first = _post(client, officer, code, as_of="2026-10-31", percent_complete=60).json()
    # The revision is dated earlier in the month, yet as the newest revision it is what counts.
    revision = _post(client, officer, code, as_of="2026-10-20", percent_complete=55).json()
    assert (first["revision"], revision["revision"]) == (1, 2)
    assert revision["period"] == first["period"] == "2026-10"
    project = client.get(f"/api/v1/projects/{code}", headers=officer).json()
    assert project["latest_progress"]["id"] == revision["id"]
    history = client.get(f"/api/v1/projects/{code}/progress", headers=officer).json()
    assert {e["id"] for e in history["items"]} >= {first["id"], revision["id"]}


def _tomorrow_in_china() -> str:
    return (datetime.now(REPORTING_TZ).date() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"as_of": "tomorrow"}, "as_of"),
        ({"as_of": "2026-02-30"}, "as_of"),
        ({"as_of": None}, "as_of"),
        ({"status": "finished"}, "status"),
        ({"status": None}, "status"),
        ({"percent_complete": 101}, "percent_complete"),
        ({"percent_complete": -1}, "percent_complete"),
        ({"percent_complete": 50.5}, "percent_complete"),
        ({"invested_to_date_wan": -1}, "invested_to_date_wan"),
        ({"invested_to_date_wan": "many"}, "invested_to_date_wan"),
        ({"note": "进" * 2001}, "note"),
        ({"issues": "堵" * 2001}, "issues"),
        ({"reporter": "someone else"}, "reporter"),
        ({"status": "completed", "percent_complete": 90}, "percent_complete"),
        ({"status": "pre_construction", "percent_complete": 10}, "percent_complete"),
    ],
)
def test_bad_field_is_422_naming_it_and_stores_nothing(
    client, officer, session, overrides, field, code
):
    before = _entries(session)
    response = _post(client, officer, code, **overrides)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert field in body["detail"]
    assert any(error["loc"][:2] == ["body", field] for error in body["errors"])
    assert _entries(session) == before


def test_future_date_in_china_is_refused(client, officer, session, code):
    before = _entries(session)
    response = _post(client, officer, code, as_of=_tomorrow_in_china())
    assert response.status_code == 422
    assert "in the future" in response.json()["detail"]
    assert _entries(session) == before


def test_missing_status_is_422(client, officer, code):
    body = _report()
    del body["status"]
    response = client.post(f"/api/v1/projects/{code}/progress", json=body, headers=officer)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "status"]


def test_malformed_json_is_422(client, officer, session, code):
    before = _entries(session)
    response = client.post(
        f"/api/v1/projects/{code}/progress",
        content=b'{"as_of": "2026-10-31", ',
        headers={**officer, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert _entries(session) == before


def test_investment_to_date_is_cumulative(client, officer, session, code):
    assert (
        _post(client, officer, code, as_of="2026-09-30", invested_to_date_wan=120000).status_code
        == 201
    )
    assert (
        _post(client, officer, code, as_of="2026-11-15", invested_to_date_wan=160000).status_code
        == 201
    )
    before = _entries(session)
    lower = _post(client, officer, code, as_of="2026-10-31", invested_to_date_wan=110000)
    assert lower.status_code == 422
    assert "below the 120000 万元 reported for 2026-09" in lower.json()["detail"]
    higher = _post(client, officer, code, as_of="2026-10-31", invested_to_date_wan=170000)
    assert higher.status_code == 422
    assert "above the 160000 万元" in higher.json()["detail"]
    assert _entries(session) == before
    # A revision of the same period may correct the figure downwards.
    assert (
        _post(client, officer, code, as_of="2026-11-15", invested_to_date_wan=125000).status_code
        == 201
    )


def test_oversized_body_is_413_before_parsing(client, officer, session, code):
    before = _entries(session)
    huge = b'{"note": "' + b"x" * 200_000 + b'"}'
    response = client.post(
        f"/api/v1/projects/{code}/progress",
        content=huge,
        headers={**officer, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "exceeds the limit" in response.json()["detail"]
    assert _entries(session) == before


def test_oversized_chunked_body_is_413(client, officer, session, code):
    before = _entries(session)

    def chunks():
        for _ in range(100):
            yield b"x" * 1000

    response = client.post(
        f"/api/v1/projects/{code}/progress",
        content=chunks(),
        headers={**officer, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert _entries(session) == before


def test_unknown_project_is_404(client, officer):
    assert _post(client, officer, code="INF-999").status_code == 404


def test_officer_of_another_park_is_403_and_nothing_is_stored(client, officer, session):
    before = _entries(session)
    response = _post(client, officer, code=LVSHUN)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "lvshun" in response.json()["detail"]
    assert _entries(session) == before


def test_planner_never_writes(client, auth, session, code):
    before = _entries(session)
    assert _post(client, auth("planner"), code).status_code == 403
    assert _entries(session) == before


def test_admin_reports_on_any_park(client, auth):
    response = _post(client, auth("admin"), code=LVSHUN, invested_to_date_wan=50000)
    assert response.status_code == 201, response.text
    assert response.json()["reporter_role"] == "admin"


def test_archived_project_takes_no_reports(client, officer, session, code):
    project = get_project(session, code=code)
    project.archived_at = datetime.now(UTC)
    session.add(project)
    session.commit()
    before = _entries(session)
    response = _post(client, officer, code)
    assert response.status_code == 409
    assert _entries(session) == before


# Idempotency-Key ---------------------------------------------------------------------------


def test_retry_with_same_key_returns_the_original_and_stores_once(client, officer, session, code):
    headers = {**officer, "Idempotency-Key": "a1b2c3d4-report-2026-10"}
    first = _post(client, headers, code)
    before = _entries(session)
    retry = _post(client, headers, code)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _entries(session) == before


def test_quoted_key_is_the_same_key(client, officer, session, code):
    first = _post(client, {**officer, "Idempotency-Key": '"k-42"'}, code)
    retry = _post(client, {**officer, "Idempotency-Key": "k-42"}, code)
    assert retry.json()["id"] == first.json()["id"]


def test_same_key_with_another_body_is_422(client, officer, session, code):
    headers = {**officer, "Idempotency-Key": "reused-key"}
    assert _post(client, headers, code).status_code == 201
    before = _entries(session)
    response = _post(client, headers, code, percent_complete=61)
    assert response.status_code == 422
    assert "already used for a different request" in response.json()["detail"]
    assert response.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert _entries(session) == before


def test_keys_belong_to_their_token(client, auth, code):
    one, other = auth("officer", "gaoxin"), auth("officer", "gaoxin")
    first = _post(client, {**one, "Idempotency-Key": "shared"}, code)
    second = _post(client, {**other, "Idempotency-Key": "shared"}, code)
    assert first.json()["id"] != second.json()["id"]


@pytest.mark.parametrize("key", ["", "x" * 256, "schlüssel".encode("latin-1")])
def test_bad_key_is_422(client, officer, session, key, code):
    before = _entries(session)
    response = _post(client, {**officer, "Idempotency-Key": key}, code)
    assert response.status_code == 422
    assert _entries(session) == before


def test_keys_survive_a_restart(client, officer, session, code):
    headers = {**officer, "Idempotency-Key": "before-restart"}
    first = _post(client, headers, code).json()
    with SessionClient(create_app(), session) as fresh:
        retry = _post(fresh, headers, code)
    assert retry.json() == first


# Review ------------------------------------------------------------------------------------


def test_official_figures_count_approved_reports_only(client, officer, auth):
    planner = auth("planner")
    entry = _post(client, officer, GAOXIN).json()
    official = client.get(f"/api/v1/projects/{GAOXIN}?figures=official", headers=planner).json()
    assert official["figures"] == "official"
    assert official["latest_progress"]["is_baseline"] is True
    latest = client.get(f"/api/v1/projects/{GAOXIN}", headers=planner).json()
    assert latest["figures"] == "latest"
    assert latest["latest_progress"]["id"] == entry["id"]

    approved = client.post(
        f"/api/v1/projects/{GAOXIN}/progress/{entry['id']}/approve", headers=planner
    )
    assert approved.status_code == 200
    assert approved.json()["review_state"] == "approved"
    assert approved.json()["reviewer_name"] == "test-planner"
    official = client.get(f"/api/v1/projects/{GAOXIN}?figures=official", headers=planner).json()
    assert official["latest_progress"]["id"] == entry["id"]


def test_returned_report_is_revised_by_the_officer(client, officer, auth, code):
    planner = auth("planner")
    entry = _post(client, officer, code, percent_complete=90).json()
    returned = client.post(
        f"/api/v1/projects/{code}/progress/{entry['id']}/return",
        json={"comment": "完成比例偏高，请核实。"},
        headers=planner,
    )
    assert returned.status_code == 200
    assert returned.json()["review_state"] == "returned"
    assert returned.json()["review_comment"] == "完成比例偏高，请核实。"
    revision = _post(client, officer, code, percent_complete=62).json()
    assert revision["revision"] == 2
    assert revision["review_state"] == "submitted"
    history = client.get(f"/api/v1/projects/{code}/progress", headers=planner).json()["items"]
    states = {e["id"]: e["review_state"] for e in history}
    assert states[entry["id"]] == "returned"
    assert states[revision["id"]] == "submitted"


def test_official_history_lists_approved_entries(client, officer, auth):
    _post(client, officer, GAOXIN)
    history = client.get(
        f"/api/v1/projects/{GAOXIN}/progress?figures=official", headers=auth("planner")
    ).json()
    assert history["figures"] == "official"
    assert [e["is_baseline"] for e in history["items"]] == [True]


def test_official_status_filter(client, officer, auth, code):
    planner = auth("planner")
    entry = _post(client, officer, code, status="suspended", percent_complete=None).json()
    official = client.get(
        "/api/v1/projects?status=suspended&park=gaoxin&figures=official", headers=planner
    ).json()
    assert official["figures"] == "official"
    assert code not in [p["code"] for p in official["items"]]
    client.post(f"/api/v1/projects/{code}/progress/{entry['id']}/approve", headers=planner)
    official = client.get(
        "/api/v1/projects?status=suspended&park=gaoxin&figures=official", headers=planner
    ).json()
    assert [p["code"] for p in official["items"]] == [code]
    assert official["items"][0]["status"] == "suspended"


@pytest.mark.parametrize(
    ("setup", "status", "message"),
    [
        ("twice", 409, "already approved"),
        ("superseded", 409, "supersedes it"),
        ("baseline", 409, "baseline"),
        ("unknown", 404, "has no progress entry"),
        ("other project", 404, "has no progress entry"),
    ],
)
def test_review_conflicts(client, officer, auth, session, code, setup, status, message):
    planner = auth("planner")
    if setup == "baseline":
        code = GAOXIN  # a seeded project: only those have a baseline entry
    entry = _post(client, officer, code).json()
    entry_id = entry["id"]
    if setup == "twice":
        client.post(f"/api/v1/projects/{code}/progress/{entry_id}/approve", headers=planner)
    elif setup == "superseded":
        _post(client, officer, code, percent_complete=61)
    elif setup == "baseline":
        history = client.get(f"/api/v1/projects/{code}/progress", headers=planner).json()
        entry_id = history["items"][-1]["id"]
    elif setup == "unknown":
        entry_id = 10**9
    else:
        code = LVSHUN
    response = client.post(f"/api/v1/projects/{code}/progress/{entry_id}/approve", headers=planner)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]


def test_return_needs_a_comment(client, officer, auth, code):
    entry = _post(client, officer, code).json()
    response = client.post(
        f"/api/v1/projects/{code}/progress/{entry['id']}/return",
        json={"comment": ""},
        headers=auth("planner"),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "comment"]


def test_history_orders_by_date_then_receipt(client, auth, session):
    project = get_project(session, code="SVC-001")
    now = datetime.now(UTC)
    for as_of, received in [(date(2021, 1, 31), now), (date(2021, 1, 31), now + timedelta(5))]:
        session.add(
            ProgressEntry(
                project_id=project.id,
                as_of=as_of,
                period="2021-01",
                revision=1 + int(received > now),
                status="under_construction",
                reporter_name="x",
                reporter_role="officer",
                received_at=received,
            )
        )
    session.commit()
    items = client.get("/api/v1/projects/SVC-001/progress", headers=auth()).json()["items"]
    assert [e["revision"] for e in items[:2]] == [2, 1]
    assert isinstance(session.get(Project, project.id), Project)


def test_location_of_a_report_answers(client, officer, auth, code):
    created = _post(client, officer, code)
    entry = client.get(created.headers["location"], headers=auth("planner"))
    assert entry.status_code == 200
    assert entry.json() == created.json()
    other = client.get(
        f"/api/v1/projects/{LVSHUN}/progress/{created.json()['id']}", headers=officer
    )
    assert other.status_code == 404
