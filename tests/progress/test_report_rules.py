"""Reports that say something: unchanged reports counted apart, and the plausibility rules."""

import io

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from app.models import ProgressEntry, Project
from app.projects.schemas import ProjectFilters
from app.reports.service import compliance
from tests import factories

SEPTEMBER = {
    "as_of": "2026-09-30",
    "status": "under_construction",
    "percent_complete": 40,
    "invested_to_date_wan": 300,
    "note": "主体施工。",
}


@pytest.fixture
def code(session: Session) -> str:
    return factories.project(session, total_investment_wan=1_000).code


@pytest.fixture
def officer(auth) -> dict[str, str]:
    return auth("officer", "gaoxin")


def _post(client, headers, code, **fields):
    return client.post(f"/api/v1/projects/{code}/progress", json=fields, headers=headers)


# Unchanged reports ---------------------------------------------------------------------------


def test_a_report_repeating_the_last_one_is_stored_as_unchanged(client, officer, code):
    assert _post(client, officer, code, **SEPTEMBER).status_code == 201
    same = _post(client, officer, code, **{**SEPTEMBER, "as_of": "2026-10-31"})
    assert same.status_code == 201, same.text
    assert same.json()["unchanged"] is True
    assert same.json()["no_change_confirmed"] is False
    # Any difference (here the note) is a report that says something.
    moved = _post(client, officer, code, **{**SEPTEMBER, "as_of": "2026-11-01", "note": "封顶。"})
    assert moved.json()["unchanged"] is False


def test_a_confirmed_unchanged_report_counts_as_reported(client, officer, code):
    _post(client, officer, code, **SEPTEMBER)
    confirmed = _post(
        client, officer, code, **{**SEPTEMBER, "as_of": "2026-10-31", "no_change_confirmed": True}
    )
    assert confirmed.status_code == 201
    assert (confirmed.json()["unchanged"], confirmed.json()["no_change_confirmed"]) == (False, True)


def test_compliance_counts_unchanged_reports_apart(client, officer, session, code):
    other = factories.project(session, name="确认项目", total_investment_wan=1_000).code
    for each in (code, other):
        _post(client, officer, each, **SEPTEMBER)
    _post(client, officer, code, **{**SEPTEMBER, "as_of": "2026-10-31"})
    _post(client, officer, other, **{**SEPTEMBER, "as_of": "2026-10-31", "percent_complete": 50})
    found = compliance(
        session, filters=ProjectFilters(park=["gaoxin"]), period="2026-10", due_day=5
    )
    [gaoxin] = found.parks
    assert code in gaoxin.unchanged_projects
    assert code not in gaoxin.reported_projects
    assert other in gaoxin.reported_projects
    assert gaoxin.unchanged == 1
    assert gaoxin.reported + gaoxin.unchanged + gaoxin.missing == gaoxin.project_count


def test_an_untouched_template_is_counted_unchanged_not_reported(client, officer, session):
    # The template carries each project's current figures; sent back as it came, every row
    # repeats them.
    period_due = client.get("/api/v1/reports/compliance?park=gaoxin", headers=officer).json()
    period = period_due["period"]
    template = client.get("/api/v1/parks/gaoxin/report-template", headers=officer)
    assert template.status_code == 200
    book = load_workbook(io.BytesIO(template.content))
    rows = book["月度进展"].max_row - 1
    upload = client.post(
        "/api/v1/progress-uploads",
        files={"file": ("report.xlsx", template.content)},
        headers=officer,
    )
    assert upload.status_code == 201, upload.text
    after = client.get(
        f"/api/v1/reports/compliance?park=gaoxin&period={period}", headers=officer
    ).json()
    [gaoxin] = after["parks"]
    assert gaoxin["unchanged"] == rows
    assert gaoxin["reported"] == 0
    assert gaoxin["missing"] == gaoxin["project_count"] - rows
    stored = session.exec(
        select(ProgressEntry).where(ProgressEntry.period == period, ~ProgressEntry.is_baseline)  # type: ignore[operator]
    ).all()
    assert len(stored) == rows
    assert all(e.unchanged for e in stored)


def test_the_template_confirms_no_change_in_its_column(client, officer, session, code):
    factories.report(session, code, **{**SEPTEMBER, "as_of": "2026-09-30"})
    template = client.get("/api/v1/parks/gaoxin/report-template", headers=officer)
    book = load_workbook(io.BytesIO(template.content))
    sheet = book["月度进展"]
    headers = [c.value for c in sheet[1]]
    column = headers.index("本期无变化") + 1
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == code)
    sheet.cell(row, column).value = "是"
    buffer = io.BytesIO()
    book.save(buffer)
    upload = client.post(
        "/api/v1/progress-uploads",
        files={"file": ("report.xlsx", buffer.getvalue())},
        headers=officer,
    )
    assert upload.status_code == 201, upload.text
    entry = session.exec(
        select(ProgressEntry)
        .join(Project)
        .where(Project.code == code)
        .order_by(ProgressEntry.id.desc())  # type: ignore[union-attr]
    ).first()
    assert entry is not None
    assert (entry.unchanged, entry.no_change_confirmed) == (False, True)


# Plausibility --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "rule", "field"),
    [
        ({"invested_to_date_wan": 1_001}, "investment_above_total", "invested_to_date_wan"),
        ({"percent_complete": 30}, "percent_backwards", "percent_complete"),
        ({"status": "pre_construction", "percent_complete": None}, "status_backwards", "status"),
        ({"status": "completed", "percent_complete": 100}, "completed_without_date", "milestones"),
        (
            {
                "status": "completed",
                "percent_complete": None,
                "milestones": {"completion": "2026-10-20"},
            },
            "completed_without_percent",
            "percent_complete",
        ),
    ],
)
def test_implausible_reports_need_a_reason(client, officer, session, code, fields, rule, field):
    assert _post(client, officer, code, **SEPTEMBER).status_code == 201
    before = len(session.exec(select(ProgressEntry)).all())
    report = {**SEPTEMBER, "as_of": "2026-10-31", **fields}
    refused = _post(client, officer, code, **report)
    assert refused.status_code == 422, refused.text
    errors = refused.json()["errors"]
    assert [(e["type"], e["loc"][-1]) for e in errors] == [(rule, field)]
    assert "reason" in refused.json()["detail"]
    assert len(session.exec(select(ProgressEntry)).all()) == before

    reason = "经核实属实：概算调增，待批复。"
    accepted = _post(client, officer, code, **report, reason=reason)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["plausibility_reason"] == reason


def test_a_completion_with_its_date_and_100_percent_needs_no_reason(client, officer, code):
    _post(client, officer, code, **SEPTEMBER)
    done = _post(
        client,
        officer,
        code,
        **{**SEPTEMBER, "as_of": "2026-10-31", "status": "completed", "percent_complete": 100},
        milestones={"start": "2026-01-10", "completion": "2026-10-20"},
    )
    assert done.status_code == 201, done.text
    # A completed project reporting again is not completing it again.
    again = _post(
        client,
        officer,
        code,
        **{**SEPTEMBER, "as_of": "2026-11-01", "status": "completed", "percent_complete": 100},
    )
    assert again.status_code == 201, again.text


def test_the_plausibility_rules_are_stated_in_the_api_description(client):
    schema = client.get("/openapi.json").json()
    reason = schema["components"]["schemas"]["ProgressCreate"]["properties"]["reason"]
    for rule in (
        "investment_above_total",
        "percent_backwards",
        "status_backwards",
        "completed_without_date",
        "completed_without_percent",
    ):
        assert rule in reason["description"]
