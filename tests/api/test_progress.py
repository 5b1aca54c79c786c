"""A project's progress history."""

from datetime import UTC, date, datetime, timedelta

from app.models import ProgressEntry, Project
from app.projects.service import get_project


def _add(session, project: Project, as_of: date, status: str, received: datetime, **fields):
    entry = ProgressEntry(
        project_id=project.id,
        as_of=as_of,
        status=status,
        reporter_name="test officer",
        reporter_role="officer",
        received_at=received,
        **fields,
    )
    session.add(entry)
    session.commit()
    return entry


def test_history_is_newest_first_with_baseline_last(client, auth, session):
    project = get_project(session, code="INF-005")
    now = datetime.now(UTC)
    _add(session, project, date(2020, 3, 31), "under_construction", now, percent_complete=30)
    _add(
        session,
        project,
        date(2020, 6, 30),
        "under_construction",
        now + timedelta(seconds=1),
        percent_complete=55,
        invested_to_date_wan=120000,
        note="主体结构施工",
        issues="钢材供应延迟",
    )
    # Received last but dated earliest after the baseline: history order is by as_of.
    _add(session, project, date(2020, 1, 31), "under_construction", now + timedelta(seconds=2))

    body = client.get("/api/v1/projects/INF-005/progress", headers=auth()).json()
    assert body["project_code"] == "INF-005"
    assert body["total"] == 4
    assert [e["as_of"] for e in body["items"]] == [
        "2020-06-30",
        "2020-03-31",
        "2020-01-31",
        "2019-09-30",
    ]
    newest = body["items"][0]
    assert newest["period"] == "2020-06"
    assert newest["percent_complete"] == 55
    assert newest["invested_to_date_wan"] == 120000
    assert newest["issues"] == "钢材供应延迟"
    assert body["items"][-1]["is_baseline"] is True
    assert body["items"][-1]["reporter_role"] == "seed"

    detail = client.get("/api/v1/projects/INF-005", headers=auth()).json()
    assert detail["latest_progress"]["id"] == newest["id"]


def test_same_date_reports_order_by_receipt(client, auth, session):
    project = get_project(session, code="SVC-001")
    now = datetime.now(UTC)
    first = _add(session, project, date(2021, 1, 31), "under_construction", now, note="第一次")
    second = _add(
        session, project, date(2021, 1, 31), "under_construction", now + timedelta(minutes=5)
    )
    items = client.get("/api/v1/projects/SVC-001/progress", headers=auth()).json()["items"]
    assert [e["id"] for e in items[:2]] == [second.id, first.id]
