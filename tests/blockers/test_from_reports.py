"""A report's 存在问题 raises a blocker, once per text while it is open; a spreadsheet's
存在问题 column too, since an upload stores its rows through the same report write."""

import io

from openpyxl import load_workbook
from sqlmodel import col, select

from app.blockers.records import type_of_text
from app.exports.writers import XLSX_MEDIA_TYPE
from app.models import AuditRecord, Blocker, BlockerEvent, BlockerType, Project
from tests import factories
from tests.blockers.conftest import BLOCKERS


def _blockers(session, code):
    project = session.exec(select(Project).where(Project.code == code)).one()
    return session.exec(
        select(Blocker).where(Blocker.project_id == project.id).order_by(col(Blocker.id))
    ).all()


def _report(client, headers, code, **fields):
    response = client.post(
        f"/api/v1/projects/{code}/progress",
        json={**factories.REPORT, **fields},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_reports_issues_raise_a_blocker(client, session, officer, planner, own):
    entry = _report(client, officer, own, issues="  用地指标尚未落实，影响开工。 ")
    (blocker,) = _blockers(session, own)
    assert blocker.description == "用地指标尚未落实，影响开工。"
    assert blocker.type == "land"
    assert blocker.source_entry_id == entry["id"]
    assert blocker.raised_by == "test-officer"
    assert blocker.raised_at.isoformat().startswith(entry["received_at"][:19])
    assert (blocker.state, blocker.level, blocker.responsible_unit) == ("open", "park", "")
    (event,) = session.exec(select(BlockerEvent).where(BlockerEvent.blocker_id == blocker.id)).all()
    assert (event.from_state, event.to_state, event.actor_name) == (None, "open", "test-officer")
    assert event.note == "由 2026-10 进展报告的存在问题提出。"
    assert event.changes["source_entry_id"] == [None, entry["id"]]
    audit = session.exec(
        select(AuditRecord).where(
            AuditRecord.object_type == "blocker", AuditRecord.object_key == str(blocker.id)
        )
    ).one()
    assert (audit.action, audit.actor_name) == ("create", "test-officer")
    read = client.get(f"{BLOCKERS}/{blocker.id}", headers=planner).json()
    assert read["source_entry_id"] == entry["id"]


def test_the_same_text_next_month_is_the_same_blocker(client, session, officer, planner, own):
    _report(client, officer, own, as_of="2026-09-30", issues="供电线路未接入。")
    _report(client, officer, own, as_of="2026-10-31", issues="供电线路未接入。")
    (blocker,) = _blockers(session, own)
    assert blocker.type == "other"
    # Another text is another blocker; no text, none.
    _report(client, officer, own, as_of="2026-10-31", percent_complete=45, issues="资金不足。")
    _report(client, officer, own, as_of="2026-10-31", percent_complete=50, issues="")
    assert [b.description for b in _blockers(session, own)] == ["供电线路未接入。", "资金不足。"]
    assert _blockers(session, own)[1].type == "funding"
    # Once resolved, the text raised again is a new blocker.
    read = client.get(f"{BLOCKERS}/{blocker.id}", headers=planner)
    resolved = client.patch(
        f"{BLOCKERS}/{blocker.id}",
        json={"state": "resolved", "note": "已接入。", "resolution": "线路已接通。"},
        headers={**planner, "If-Match": read.headers["etag"]},
    )
    assert resolved.status_code == 200, resolved.text
    _report(
        client, officer, own, as_of="2026-10-31", percent_complete=55, issues="供电线路未接入。"
    )
    assert [(b.description, b.state) for b in _blockers(session, own)] == [
        ("供电线路未接入。", "resolved"),
        ("资金不足。", "open"),
        ("供电线路未接入。", "open"),
    ]


def test_a_replayed_report_raises_nothing_twice(client, session, officer, own):
    headers = {**officer, "Idempotency-Key": "blocker-replay-1"}
    for _ in range(2):
        _report(client, headers, own, issues="环评批复未取得。")
    (blocker,) = _blockers(session, own)
    assert blocker.type == "assessments"


def test_a_refused_report_raises_nothing(client, session, officer, own):
    response = client.post(
        f"/api/v1/projects/{own}/progress",
        json={
            **factories.REPORT,
            "status": "completed",
            "percent_complete": 50,
            "issues": "施工队伍不足。",
        },
        headers=officer,
    )
    assert response.status_code == 422
    assert _blockers(session, own) == []


def test_the_type_a_text_starts_with():
    assert type_of_text("征地拆迁未完成") is BlockerType.demolition
    assert type_of_text("征地补偿未到位") is BlockerType.demolition
    assert type_of_text(" 水电气暖配套不足") is BlockerType.utilities
    assert type_of_text("审批手续办理缓慢") is BlockerType.approvals
    assert type_of_text("施工单位进场晚") is BlockerType.construction
    assert type_of_text("项目资金不足") is BlockerType.other
    assert type_of_text("其他问题") is BlockerType.other


def _filled_template(client, headers, code, issues):
    """The park's template with only `code`'s row, reported under construction with `issues`."""
    template = client.get("/api/v1/parks/gaoxin/report-template", headers=headers)
    assert template.status_code == 200, template.text
    book = load_workbook(io.BytesIO(template.content))
    sheet = book["月度进展"]
    header = [c.value for c in sheet[1]]
    for row in reversed(list(sheet.iter_rows(min_row=2))):
        if row[0].value == code:
            row[header.index("项目状态")].value = "在建"
            row[header.index("存在问题")].value = issues
        else:
            sheet.delete_rows(row[0].row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_spreadsheet_row_with_issues_raises_a_blocker(client, session, officer, own):
    upload = _filled_template(client, officer, own, "规划许可证尚未办理。")
    files = {"file": ("report.xlsx", upload, XLSX_MEDIA_TYPE)}
    dry = client.post(
        "/api/v1/progress-uploads", params={"dry_run": "true"}, files=files, headers=officer
    )
    assert dry.status_code == 200, dry.text
    assert _blockers(session, own) == []
    response = client.post("/api/v1/progress-uploads", files=files, headers=officer)
    assert response.status_code == 201, response.text
    (blocker,) = _blockers(session, own)
    assert (blocker.description, blocker.type) == ("规划许可证尚未办理。", "planning")
    assert blocker.source_entry_id == response.json()["entry_ids"][0]
    assert blocker.raised_by == "test-officer"
