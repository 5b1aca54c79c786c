"""Each kind of master data records its changes: who, which fields from what to what, why."""

import io
import json
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import select
from typer.testing import CliRunner

from app.audit import log
from app.cli import cli
from app.config import get_settings
from app.db import get_engine
from app.exports.cells import put
from app.models import ApiToken, AuditRecord
from tests import factories

PARK = {
    "id": "zhuanghe",
    "name": "大连庄河经济开发区",
    "aliases": ["庄河开发区"],
    "tier": "key",
    "reason": "新设园区",
}
PLAN = {"planned_investment_wan": 12000, "target": "主体封顶", "planned_start": True}
ADJUSTED = {
    **PLAN,
    "planned_investment_wan": 9000,
    "reason": "设备采购延后",
    "document": "大园区发〔2026〕12号",
    "document_date": "2026-07-15",
}


def summary(record: AuditRecord) -> dict:
    """A record as the tests compare it: everything but its id and time."""
    return {
        "actor": (record.actor_name, record.actor_role),
        "key": record.object_key,
        "action": record.action,
        "changes": record.changes,
        "reason": record.reason,
    }


def _token_id(session, headers) -> int:
    secret = headers["Authorization"].removeprefix("Bearer ")
    token = session.exec(select(ApiToken).where(ApiToken.prefix == secret[:9])).one()
    return token.id


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# Parks -------------------------------------------------------------------------------------


def test_a_park_records_create_change_archive_and_restore(client, auth, session, records):
    admin = auth("admin")
    created = client.post("/api/v1/parks", json=PARK, headers=admin)
    assert created.status_code == 201, created.text
    changed = client.patch(
        "/api/v1/parks/zhuanghe",
        json={
            "aliases": ["庄河开发区", "庄河经开区"],
            "tier": "demonstration",
            "reason": "表4口径",
        },
        headers={**admin, "If-Match": created.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    archived = client.post(
        "/api/v1/parks/zhuanghe/archive",
        json={"reason": "并入新区"},
        headers={**admin, "If-Match": changed.headers["etag"]},
    )
    assert archived.status_code == 200, archived.text
    restored = client.post(
        "/api/v1/parks/zhuanghe/restore", headers={**admin, "If-Match": archived.headers["etag"]}
    )
    assert restored.status_code == 200, restored.text

    create, update, archive, restore = records("park", "zhuanghe")
    assert summary(create) == {
        "actor": ("test-admin", "admin"),
        "key": "zhuanghe",
        "action": "create",
        "changes": {
            "name": [None, "大连庄河经济开发区"],
            "aliases": [None, ["庄河开发区"]],
            "table4_name": [None, "大连庄河经济开发区"],
            "tier": [None, "key"],
        },
        "reason": "新设园区",
    }
    assert create.actor_token_id == _token_id(session, admin)
    assert (update.action, update.changes, update.reason) == (
        "update",
        {
            "aliases": [["庄河开发区"], ["庄河开发区", "庄河经开区"]],
            "tier": ["key", "demonstration"],
        },
        "表4口径",
    )
    archived_at = _moment(archived.json()["archived_at"])
    assert archive.action == "archive"
    assert archive.reason == "并入新区"
    assert archive.changes.keys() == {"archived_at"}
    assert archive.changes["archived_at"][0] is None
    assert _moment(archive.changes["archived_at"][1]) == archived_at
    assert (restore.action, restore.reason) == ("restore", "")
    assert _moment(restore.changes["archived_at"][0]) == archived_at
    assert restore.changes["archived_at"][1] is None


def test_a_park_change_that_changes_nothing_records_nothing(client, auth, records):
    admin = auth("admin")
    etag = client.get("/api/v1/parks/gaoxin", headers=admin).headers["etag"]
    name = client.get("/api/v1/parks/gaoxin", headers=admin).json()["name"]
    response = client.patch(
        "/api/v1/parks/gaoxin", json={"name": name}, headers={**admin, "If-Match": etag}
    )
    assert response.status_code == 200, response.text
    assert records("park", "gaoxin") == []


# Plans -------------------------------------------------------------------------------------


def test_a_plan_records_its_creation_and_each_adjustment_with_the_reason(
    client, auth, session, records
):
    code = factories.project(session).code
    planner = auth("planner")
    url = f"/api/v1/projects/{code}/plans/2026"
    assert client.put(url, json=PLAN, headers=planner).status_code == 201
    assert client.put(url, json=ADJUSTED, headers=planner).status_code == 200
    # The same plan again changes nothing, and records nothing.
    assert client.put(url, json=ADJUSTED, headers=planner).status_code == 200

    create, adjust = records("plan", f"{code}/2026")
    assert summary(create) == {
        "actor": ("test-planner", "planner"),
        "key": f"{code}/2026",
        "action": "create",
        "changes": {
            "planned_investment_wan": [None, 12000],
            "target": [None, "主体封顶"],
            "planned_start": [None, True],
            "planned_completion": [None, False],
        },
        "reason": "",
    }
    assert summary(adjust) == {
        "actor": ("test-planner", "planner"),
        "key": f"{code}/2026",
        "action": "adjust",
        "changes": {"planned_investment_wan": [12000, 9000]},
        "reason": "设备采购延后（大园区发〔2026〕12号，2026-07-15）",
    }


def test_a_plan_upload_records_each_row_it_stores(client, auth, session, records):
    code = factories.project(session).code
    planner = auth("planner")
    template = client.get(
        "/api/v1/parks/gaoxin/plan-template", params={"year": 2026}, headers=planner
    )
    book = load_workbook(io.BytesIO(template.content))
    sheet = book["年度计划"]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == code)
    for column, value in enumerate((5000, "开工建设", "是", "否"), start=3):
        put(sheet.cell(row, column), value)
    buffer = io.BytesIO()
    book.save(buffer)
    upload = client.post(
        "/api/v1/parks/gaoxin/plans",
        params={"year": 2026},
        files={"file": ("plans.xlsx", buffer.getvalue(), "application/octet-stream")},
        headers=planner,
    )
    assert upload.status_code == 201, upload.text
    (create,) = records("plan", f"{code}/2026")
    assert summary(create)["actor"] == ("test-planner", "planner")
    assert create.changes == {
        "planned_investment_wan": [None, 5000],
        "target": [None, "开工建设"],
        "planned_start": [None, True],
        "planned_completion": [None, False],
    }


# Milestones --------------------------------------------------------------------------------


def test_a_milestone_put_records_its_dates_from_what_to_what(client, auth, session, records):
    code = factories.project(session).code
    planner = auth("planner")
    url = f"/api/v1/projects/{code}/milestones/filing"
    first = client.put(url, json={"planned_date": "2026-03-01"}, headers=planner)
    assert first.status_code == 200, first.text
    second = client.put(
        url, json={"actual_date": "2026-03-05", "reason": "备案完成"}, headers=planner
    )
    assert second.status_code == 200, second.text
    create, update = records("milestone", f"{code}/filing")
    assert summary(create) == {
        "actor": ("test-planner", "planner"),
        "key": f"{code}/filing",
        "action": "create",
        "changes": {"planned_date": [None, "2026-03-01"]},
        "reason": "",
    }
    assert (update.action, update.changes, update.reason) == (
        "update",
        {"actual_date": [None, "2026-03-05"]},
        "备案完成",
    )


def test_a_report_with_milestone_dates_records_them_with_the_report(client, auth, session, records):
    code = factories.project(session).code
    officer = auth("officer", "gaoxin")
    body = {
        **factories.REPORT,
        "milestones": {"filing": "2026-01-15", "start": "2026-03-01"},
    }
    url = f"/api/v1/projects/{code}/progress"
    headers = {**officer, "Idempotency-Key": "report-with-dates"}
    response = client.post(url, json=body, headers=headers)
    assert response.status_code == 201, response.text
    filing = records("milestone", f"{code}/filing")
    start = records("milestone", f"{code}/start")
    assert [summary(r) for r in filing + start] == [
        {
            "actor": ("test-officer", "officer"),
            "key": f"{code}/{kind}",
            "action": "create",
            "changes": {"actual_date": [None, day]},
            "reason": "进度报告（2026-10-31）",
        }
        for kind, day in (("filing", "2026-01-15"), ("start", "2026-03-01"))
    ]
    # A retry answers the stored report and records nothing more.
    again = client.post(url, json=body, headers=headers)
    assert again.status_code == 201
    assert again.json()["id"] == response.json()["id"]
    assert len(records("milestone")) == 2


def test_a_milestone_put_that_reports_the_status_records_the_date_once(
    client, auth, session, records
):
    code = factories.project(session).code
    admin = auth("admin")
    response = client.put(
        f"/api/v1/projects/{code}/milestones/start",
        json={"planned_date": "2026-02-01", "actual_date": "2026-03-01"},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    # The actual date arrives with the report the PUT stores; the planned date with the PUT.
    report, put_ = records("milestone", f"{code}/start")
    assert (report.changes, report.reason) == (
        {"actual_date": [None, "2026-03-01"]},
        "进度报告（2026-03-01）",
    )
    assert (put_.action, put_.changes) == ("update", {"planned_date": [None, "2026-02-01"]})
    assert {report.actor_name, put_.actor_name} == {"test-admin"}


# Tokens ------------------------------------------------------------------------------------


@pytest.fixture
def command_line(database_url, monkeypatch, tmp_path):
    """The `portfolio` command on the test's database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEMO_TOKENS_FILE", str(tmp_path / "demo-tokens.json"))
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield lambda *args: CliRunner().invoke(cli, list(args))
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_the_command_line_records_tokens_created_and_revoked_never_their_secrets(
    command_line, session, records
):
    created = command_line(
        "token", "create", "--role", "officer", "--park", "lvshun", "--name", "旅顺 officer",
        "--expires-in-days", "30",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    token_id = session.exec(select(ApiToken.id).where(ApiToken.name == "旅顺 officer")).one()
    session.commit()
    assert command_line("token", "revoke", str(token_id)).exit_code == 0
    # Revoking again changes nothing and records nothing.
    assert command_line("token", "revoke", str(token_id)).exit_code == 0

    create, revoke = records("token", str(token_id))
    token = session.get_one(ApiToken, token_id)
    assert summary(create) == {
        "actor": (log.CLI.name, "cli"),
        "key": str(token.id),
        "action": "create",
        "changes": {
            "name": [None, "旅顺 officer"],
            "role": [None, "officer"],
            "park_id": [None, "lvshun"],
            "expires_at": [None, token.expires_at.isoformat()],
        },
        "reason": "",
    }
    assert create.actor_token_id is None
    assert summary(revoke) == {
        "actor": (log.CLI.name, "cli"),
        "key": str(token.id),
        "action": "revoke",
        "changes": {"revoked_at": [None, token.revoked_at.isoformat()]},
        "reason": "",
    }
    stored = json.dumps([create.changes, revoke.changes])
    assert secret not in stored
    assert token.token_hash not in stored
    assert token.prefix not in stored


def test_demo_tokens_are_recorded(command_line, records):
    shown = command_line("demo")
    assert shown.exit_code == 0, shown.output
    names = {r.changes["name"][1] for r in records("token")}
    assert {"demo-admin", "demo-planner", "demo-officer-gaoxin"} <= names
    assert {r.actor_name for r in records("token")} == {log.CLI.name}
