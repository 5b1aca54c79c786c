"""A blocker's whole life, each step recorded with who took it, and the ETag guarding it."""

from sqlmodel import col, select

from app.models import AuditRecord, Blocker, BlockerEvent
from tests.blockers.conftest import blocker_url


def _next(response):
    assert response.status_code == 200, response.text
    return {**response.json(), "etag": response.headers["etag"]}


def test_raise_then_every_step_is_in_the_history(
    client, session, officer, planner, own, raise_blocker, step
):
    raised = raise_blocker(own, officer, responsible_unit="高新区规划建设局", deadline="2030-06-30")
    assert raised["state"] == "open"
    assert raised["state_name"] == "待办"
    assert raised["type_name"] == "用地"
    assert raised["level"] == "park"
    assert raised["level_name"] == "园区"
    assert raised["raised_by"] == "test-officer"
    assert raised["project_code"] == own
    assert raised["park_id"] == "gaoxin"
    assert raised["overdue"] is False
    assert raised["links"]["self"] == blocker_url(raised["id"])

    started = _next(step(raised, officer, state="in_progress", note="已与区自然资源局对接。"))
    escalated = _next(
        step(
            started,
            planner,
            level="city",
            responsible_unit="大连市自然资源局",
            deadline="2030-12-31",
            note="提级至市级协调。",
        )
    )
    resolved = _next(
        step(
            escalated,
            planner,
            state="resolved",
            note="用地批复已取得。",
            resolution="2026年11月取得用地批复。",
        )
    )
    assert resolved["state"] == "resolved"
    assert resolved["resolution"] == "2026年11月取得用地批复。"
    assert resolved["resolved_at"] is not None
    reopened = _next(step(resolved, planner, state="reopened", note="批复范围有误，重新办理。"))
    assert reopened["resolution"] == ""
    assert reopened["resolved_at"] is None
    again = _next(step(reopened, officer, state="in_progress", note="重新报批中。"))
    final = _next(
        step(
            again,
            planner,
            state="resolved",
            note="已重新取得批复。",
            resolution="2027年1月重新取得批复。",
        )
    )
    assert final["version"] == 7

    events = final["events"]
    assert [(e["from_state"], e["to_state"], e["actor_name"], e["note"]) for e in events] == [
        (None, "open", "test-officer", ""),
        ("open", "in_progress", "test-officer", "已与区自然资源局对接。"),
        ("in_progress", "in_progress", "test-planner", "提级至市级协调。"),
        ("in_progress", "resolved", "test-planner", "用地批复已取得。"),
        ("resolved", "reopened", "test-planner", "批复范围有误，重新办理。"),
        ("reopened", "in_progress", "test-officer", "重新报批中。"),
        ("in_progress", "resolved", "test-planner", "已重新取得批复。"),
    ]
    assert events[0]["changes"]["type"] == [None, "land"]
    assert events[0]["changes"]["deadline"] == [None, "2030-06-30"]
    assert events[1]["changes"] == {}
    assert events[2]["changes"] == {
        "level": ["park", "city"],
        "responsible_unit": ["高新区规划建设局", "大连市自然资源局"],
        "deadline": ["2030-06-30", "2030-12-31"],
    }
    assert events[3]["changes"] == {"resolution": ["", "2026年11月取得用地批复。"]}
    assert events[4]["changes"] == {"resolution": ["2026年11月取得用地批复。", ""]}
    assert events[6]["changes"] == {"resolution": ["", "2027年1月重新取得批复。"]}

    # GET answers the same, with the same tag.
    read = client.get(blocker_url(final["id"]), headers=officer)
    assert read.status_code == 200
    assert read.headers["etag"] == final["etag"]
    assert read.json() == {k: v for k, v in final.items() if k != "etag"}

    # The table holds the same, and the audit log has one record per step.
    stored = session.get(Blocker, final["id"])
    assert (stored.state, stored.level, stored.version) == ("resolved", "city", 7)
    rows = session.exec(
        select(BlockerEvent)
        .where(BlockerEvent.blocker_id == final["id"])
        .order_by(col(BlockerEvent.id))
    ).all()
    assert len(rows) == 7
    audit = session.exec(
        select(AuditRecord)
        .where(AuditRecord.object_type == "blocker", AuditRecord.object_key == str(final["id"]))
        .order_by(col(AuditRecord.id))
    ).all()
    assert [(a.action, a.actor_name, a.reason) for a in audit] == [
        ("create", "test-officer", ""),
        ("start", "test-officer", "已与区自然资源局对接。"),
        ("update", "test-planner", "提级至市级协调。"),
        ("resolve", "test-planner", "用地批复已取得。"),
        ("reopen", "test-planner", "批复范围有误，重新办理。"),
        ("start", "test-officer", "重新报批中。"),
        ("resolve", "test-planner", "已重新取得批复。"),
    ]
    assert audit[3].changes == {
        "state": ["in_progress", "resolved"],
        "resolution": ["", "2026年11月取得用地批复。"],
    }


def test_open_and_reopened_resolve_directly(planner, own, raise_blocker, step):
    raised = raise_blocker(own, planner)
    resolved = _next(
        step(raised, planner, state="resolved", note="当场解决。", resolution="已协调。")
    )
    reopened = _next(step(resolved, planner, state="reopened", note="问题复现。"))
    again = _next(
        step(reopened, planner, state="resolved", note="再次解决。", resolution="已处理。")
    )
    assert [e["to_state"] for e in again["events"]] == ["open", "resolved", "reopened", "resolved"]


def test_a_note_alone_is_a_step(officer, own, raise_blocker, step):
    raised = raise_blocker(own, officer)
    noted = _next(step(raised, officer, note="已提交补充材料。"))
    assert noted["state"] == "open"
    assert noted["version"] == 2
    assert noted["events"][-1] == {
        **noted["events"][-1],
        "from_state": "open",
        "to_state": "open",
        "changes": {},
        "note": "已提交补充材料。",
    }


def test_moves_outside_the_life_are_409_and_change_nothing(
    client, session, planner, own, raise_blocker, step
):
    raised = raise_blocker(own, planner)
    started = _next(step(raised, planner, state="in_progress", note="办理中。"))
    back = step(started, planner, state="open", note="退回待办。")
    assert back.status_code == 409
    assert back.headers["content-type"] == "application/problem+json"
    assert "cannot move to open" in back.json()["detail"]
    reopen = step(started, planner, state="reopened", note="重开。")
    assert reopen.status_code == 409
    resolved = _next(step(started, planner, state="resolved", note="好了。", resolution="已解决。"))
    to_progress = step(resolved, planner, state="in_progress", note="继续。")
    assert to_progress.status_code == 409
    assign = step(resolved, planner, responsible_unit="别的单位", note="改派。")
    assert assign.status_code == 409
    assert "reopen it" in assign.json()["detail"]
    # A note on a resolved blocker is still a step.
    assert step(resolved, planner, note="回访：运行正常。").status_code == 200
    assert session.get(Blocker, raised["id"]).version == 4


def test_level_only_moves_up(planner, own, raise_blocker, step):
    raised = raise_blocker(own, planner, level="district")
    down = step(raised, planner, level="park", note="降级。")
    assert down.status_code == 409
    assert "only moves up" in down.json()["detail"]
    assert step(raised, planner, level="city", note="提级。").status_code == 200


def test_resolving_needs_a_resolution_and_only_then(planner, own, raise_blocker, step):
    raised = raise_blocker(own, planner)
    missing = step(raised, planner, state="resolved", note="解决了。")
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["body", "resolution"]
    early = step(raised, planner, note="备注。", resolution="提前写结果。")
    assert early.status_code == 422
    blank = step(raised, planner, state="resolved", note="解决了。", resolution="   ")
    assert blank.status_code == 422


def test_if_match_is_required_and_must_be_current(
    client, session, planner, own, raise_blocker, step
):
    raised = raise_blocker(own, planner)
    url = blocker_url(raised["id"])
    body = {"state": "in_progress", "note": "办理中。"}
    without = client.patch(url, json=body, headers=planner)
    assert without.status_code == 428
    assert without.headers["content-type"] == "application/problem+json"
    blank = client.patch(url, json=body, headers={**planner, "If-Match": " "})
    assert blank.status_code == 428
    weak = client.patch(url, json=body, headers={**planner, "If-Match": "W/" + raised["etag"]})
    assert weak.status_code == 412
    first = step(raised, planner, **body)
    assert first.status_code == 200
    assert first.headers["etag"] != raised["etag"]
    stale = step(raised, planner, note="用旧版本。")
    assert stale.status_code == 412
    assert "changed since you read it" in stale.json()["detail"]
    stored = session.get(Blocker, raised["id"])
    assert (stored.state, stored.version) == ("in_progress", 2)
    assert len(client.get(url, headers=planner).json()["events"]) == 2


def test_deadline_cleared_with_null(planner, own, raise_blocker, step):
    raised = raise_blocker(own, planner, deadline="2030-01-31")
    cleared = _next(step(raised, planner, deadline=None, note="时限待定。"))
    assert cleared["deadline"] is None
    assert cleared["events"][-1]["changes"] == {"deadline": ["2030-01-31", None]}


def test_reclassify_a_blocker(planner, own, raise_blocker, step):
    raised = raise_blocker(own, planner, type="other")
    changed = _next(step(raised, planner, type="funding", note="实为资金问题。"))
    assert (changed["type"], changed["type_name"]) == ("funding", "资金")
    assert changed["events"][-1]["changes"] == {"type": ["other", "funding"]}


def test_archived_project_takes_no_blockers(client, auth, own):
    admin = auth("admin")
    etag = client.get(f"/api/v1/projects/{own}", headers=admin).headers["etag"]
    assert (
        client.post(
            f"/api/v1/projects/{own}/archive", headers={**admin, "If-Match": etag}
        ).status_code
        == 200
    )
    refused = client.post(
        f"/api/v1/projects/{own}/blockers",
        json={"type": "land", "description": "x"},
        headers=admin,
    )
    assert refused.status_code == 409
