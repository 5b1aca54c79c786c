"""Reviews that hold: returned reports out of the latest figures, approved periods closed
until reopened, the inbox across the portfolio, bulk decisions and the review log."""

import pytest
from sqlmodel import Session, select

from app.models import ProgressEntry, Project, ReviewRecord
from tests import factories

REVIEWS = "/api/v1/reviews"


@pytest.fixture
def code(session: Session) -> str:
    return factories.project(session, total_investment_wan=1_000).code


@pytest.fixture
def planner(auth) -> dict[str, str]:
    return auth("planner")


@pytest.fixture
def officer(auth) -> dict[str, str]:
    return auth("officer", "gaoxin")


def _report(client, headers, code, **fields):
    body = {**factories.REPORT, **fields}
    return client.post(f"/api/v1/projects/{code}/progress", json=body, headers=headers)


def _project(client, headers, code, figures="latest"):
    response = client.get(f"/api/v1/projects/{code}?figures={figures}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _review(client, headers, ids, decision, comment="核实。"):
    return client.post(
        REVIEWS, json={"entry_ids": ids, "decision": decision, "comment": comment}, headers=headers
    )


def _rollup_invested(client, headers, code_park="gaoxin"):
    rows = client.get(f"/api/v1/rollups?by=park&park={code_park}", headers=headers).json()["rows"]
    return rows[0]["invested_to_date_wan"]


# A returned report does not drive the latest figures --------------------------------------


def test_a_returned_report_no_longer_moves_the_latest_figures(client, officer, planner, code):
    september = _report(
        client, officer, code, as_of="2026-09-30", percent_complete=40, invested_to_date_wan=300
    )
    assert september.status_code == 201, september.text
    before = _rollup_invested(client, planner)
    october = _report(
        client, officer, code, as_of="2026-10-31", percent_complete=60, invested_to_date_wan=900
    ).json()
    assert _project(client, planner, code)["latest_progress"]["percent_complete"] == 60
    assert _rollup_invested(client, planner) == before + 600

    returned = _review(client, planner, [october["id"]], "return", "累计投资有误，请核实。")
    assert returned.status_code == 200, returned.text
    project = _project(client, planner, code)
    # The figures fall back to September's report, everywhere the latest figures are read.
    assert project["latest_progress"]["id"] == september.json()["id"]
    assert project["latest_progress"]["percent_complete"] == 40
    assert project["latest_progress"]["invested_to_date_wan"] == 300
    assert _rollup_invested(client, planner) == before
    series = client.get(
        "/api/v1/rollups/series?from=2026-09&to=2026-10&park=gaoxin", headers=planner
    ).json()
    october_row = next(r for r in series["rows"] if r["period"] == "2026-10")
    assert october_row["invested_wan"] == 0

    # The officer's revision counts again; a lower figure than the returned one is fine.
    revised = _report(
        client, officer, code, as_of="2026-10-31", percent_complete=55, invested_to_date_wan=500
    )
    assert revised.status_code == 201, revised.text
    assert revised.json()["revision"] == 2
    assert _project(client, planner, code)["latest_progress"]["percent_complete"] == 55


def test_the_rule_of_which_entry_counts_is_stated_once(client):
    schema = client.get("/openapi.json").json()
    text = str(schema)
    assert text.count("a returned report never moves them") >= 1
    parameters = schema["paths"]["/api/v1/projects/{code}"]["get"]["parameters"]
    figures = next(p for p in parameters if p["name"] == "figures")
    assert "returned report never moves them" in figures["description"]


# An approved period is closed until reopened ----------------------------------------------


def test_an_approved_period_refuses_new_reports_until_reopened(
    client, officer, planner, auth, code, session
):
    first = _report(client, officer, code, percent_complete=40).json()
    assert _review(client, planner, [first["id"]], "approve").status_code == 200

    refused = _report(client, officer, code, percent_complete=45)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "reopen" in refused.json()["detail"]
    # Another period is open.
    assert _report(client, officer, code, as_of="2026-11-01").status_code == 201

    reopen = f"/api/v1/projects/{code}/progress/periods/2026-10/reopen"
    assert client.post(reopen, json={"reason": ""}, headers=planner).status_code == 422
    assert client.post(reopen, json={"reason": "更正"}, headers=officer).status_code == 403
    reopened = client.post(reopen, json={"reason": "园区申请更正竣工日期。"}, headers=planner)
    assert reopened.status_code == 201, reopened.text
    assert reopened.json()["action"] == "reopen"
    assert reopened.json()["entry_id"] == first["id"]
    # Reopening an open period is a conflict.
    assert client.post(reopen, json={"reason": "再次"}, headers=planner).status_code == 409

    second = _report(client, officer, code, percent_complete=45)
    assert second.status_code == 201, second.text
    assert second.json()["revision"] == 2
    # The approved report keeps stating the official figures until the revision is approved.
    official = _project(client, planner, code, figures="official")
    assert official["latest_progress"]["id"] == first["id"]
    assert _review(client, planner, [second.json()["id"]], "approve").status_code == 200
    assert _report(client, officer, code, percent_complete=50).status_code == 409
    official = _project(client, planner, code, figures="official")["latest_progress"]
    assert official["percent_complete"] == 45


def test_the_printed_baseline_closes_no_period(client, officer, session):
    seeded = session.exec(select(ProgressEntry).where(ProgressEntry.is_baseline)).first()
    assert seeded is not None
    project = session.get(Project, seeded.project_id)
    assert project is not None
    response = _report(
        client,
        auth_for_park(client, session, project.park_id),
        project.code,
        as_of=seeded.as_of.isoformat(),
        status=seeded.status,
        percent_complete=seeded.percent_complete,
        invested_to_date_wan=seeded.invested_to_date_wan,
        reason="补报",
    )
    assert response.status_code == 201, response.text


def auth_for_park(client, session: Session, park_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {factories.token(session, 'officer', park_id)[1]}"}


# The inbox ---------------------------------------------------------------------------------


def test_the_inbox_lists_each_periods_newest_submitted_report(
    client, officer, planner, code, session
):
    first = _report(client, officer, code).json()
    second = _report(client, officer, code, percent_complete=45).json()
    other = factories.project(session, name="另一个项目").code
    third = _report(client, officer, other, as_of="2026-09-30").json()

    inbox = client.get(f"{REVIEWS}?project={code},{other}", headers=planner)
    assert inbox.status_code == 200, inbox.text
    body = inbox.json()
    ids = [item["id"] for item in body["items"]]
    # The superseded first revision is not up for review; oldest arrival first.
    assert ids == [second["id"], third["id"]]
    assert first["id"] not in ids
    assert body["total"] == 2
    item = body["items"][0]
    assert (item["project_code"], item["park_id"], item["park_name"]) == (
        code,
        "gaoxin",
        "大连高新技术产业园区",
    )
    by_period = client.get(f"{REVIEWS}?project={code},{other}&period=2026-09", headers=planner)
    assert [i["id"] for i in by_period.json()["items"]] == [third["id"]]
    page = client.get(f"{REVIEWS}?project={code},{other}&limit=1&offset=1", headers=planner)
    assert [i["id"] for i in page.json()["items"]] == [third["id"]]
    assert page.json()["total"] == 2

    assert _review(client, planner, [third["id"]], "return", "请补充说明。").status_code == 200
    returned = client.get(f"{REVIEWS}?state=returned&project={other}", headers=planner).json()
    assert [i["id"] for i in returned["items"]] == [third["id"]]
    assert returned["items"][0]["review_comment"] == "请补充说明。"


def test_officers_see_their_own_parks_inbox_only(client, auth, code):
    lvshun = auth("officer", "lvshun")
    _report(client, auth("officer", "gaoxin"), code)
    body = client.get(f"{REVIEWS}?project={code}", headers=lvshun).json()
    assert body["items"] == []
    assert body["total"] == 0
    assert client.get(f"{REVIEWS}?park=gaoxin", headers=lvshun).json()["total"] == 0


@pytest.mark.parametrize(
    "query",
    ["state=approved", "period=2026-13", "limit=501", "park=BAD PARK", "sort=name", "x=1"],
)
def test_bad_inbox_queries_are_422(client, planner, query):
    response = client.get(f"{REVIEWS}?{query}", headers=planner)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


# Bulk decisions ----------------------------------------------------------------------------


def test_many_reports_are_approved_at_once_each_recorded(client, officer, planner, session):
    codes = [factories.project(session, name=f"批量{i}").code for i in range(3)]
    ids = [_report(client, officer, c).json()["id"] for c in codes]
    response = _review(client, planner, ids, "approve", "数据核实无误。")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["id"] for i in body["items"]] == ids
    assert {i["review_state"] for i in body["items"]} == {"approved"}
    assert body["total"] == 3
    records = session.exec(select(ReviewRecord).where(ReviewRecord.entry_id.in_(ids))).all()  # type: ignore[attr-defined]
    assert sorted(r.entry_id for r in records) == sorted(ids)
    assert {(r.action, r.comment, r.actor_role) for r in records} == {
        ("approve", "数据核实无误。", "planner")
    }
    for code in codes:
        official = _project(client, planner, code, figures="official")["latest_progress"]
        assert official["percent_complete"] == 40


def test_a_bulk_review_is_all_or_nothing(client, officer, planner, session):
    codes = [factories.project(session, name=f"整批{i}").code for i in range(2)]
    ids = [_report(client, officer, c).json()["id"] for c in codes]
    assert _review(client, planner, [ids[1]], "approve").status_code == 200
    response = _review(client, planner, ids, "approve")
    assert response.status_code == 409
    assert f"Entry {ids[1]}" in response.json()["detail"]
    session.expire_all()
    assert session.get(ProgressEntry, ids[0]).review_state == "submitted"
    assert len(session.exec(select(ReviewRecord).where(ReviewRecord.entry_id == ids[0])).all()) == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"entry_ids": [1], "decision": "return", "comment": ""}, 422),
        ({"entry_ids": [], "decision": "approve"}, 422),
        ({"entry_ids": list(range(1, 502)), "decision": "approve"}, 422),
        ({"entry_ids": [1], "decision": "reopen"}, 422),
        ({"entry_ids": [2**31 - 1], "decision": "approve"}, 404),
    ],
)
def test_bad_bulk_reviews_are_refused(client, planner, body, status):
    response = client.post(REVIEWS, json=body, headers=planner)
    assert response.status_code == status, response.text


def test_officers_may_not_review(client, officer, code):
    entry = _report(client, officer, code).json()
    assert _review(client, officer, [entry["id"]], "approve").status_code == 403


# The review log ----------------------------------------------------------------------------


def test_every_review_action_is_logged_with_who_when_and_comment(client, officer, planner, code):
    first = _report(client, officer, code).json()
    _review(client, planner, [first["id"]], "return", "请核实投资。")
    second = _report(client, officer, code, percent_complete=41).json()
    _review(client, planner, [second["id"]], "approve", "已核实。")
    reopen = f"/api/v1/projects/{code}/progress/periods/2026-10/reopen"
    client.post(reopen, json={"reason": "更正形象进度。"}, headers=planner)

    log = client.get(f"{REVIEWS}/log?project={code}", headers=officer)
    assert log.status_code == 200, log.text
    items = log.json()["items"]
    assert [(i["action"], i["comment"], i["entry_id"]) for i in items] == [
        ("reopen", "更正形象进度。", second["id"]),
        ("approve", "已核实。", second["id"]),
        ("return", "请核实投资。", first["id"]),
    ]
    assert {i["actor_role"] for i in items} == {"planner"}
    assert all(i["at"] for i in items)
    only = client.get(f"{REVIEWS}/log?project={code}&action=return", headers=planner).json()
    assert [i["action"] for i in only["items"]] == ["return"]


def test_a_backlog_past_the_cap_is_counted_as_a_floor(client, officer, planner, code, monkeypatch):
    from app.reviews import service

    monkeypatch.setattr(service, "INBOX_COUNT_CAP", 1)
    _report(client, officer, code, as_of="2026-09-30")
    _report(client, officer, code)
    body = client.get(f"{REVIEWS}?project={code}", headers=planner).json()
    assert (body["total"], body["total_exact"]) == (1, False)
    assert len(body["items"]) == 2
    monkeypatch.setattr(service, "INBOX_COUNT_CAP", 2)
    body = client.get(f"{REVIEWS}?project={code}", headers=planner).json()
    assert (body["total"], body["total_exact"]) == (2, True)
