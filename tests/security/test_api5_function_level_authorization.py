"""API5:2023 Broken function level authorization: every operation the app serves, against
every role and no token. The rule table must name each operation, so an endpoint added
without a rule fails here."""

import pytest
from sqlmodel import func, select

from app.main import create_app
from app.models import Park, ProgressEntry, Project
from tests import factories
from tests.security.conftest import is_page, served_operations

ALL = frozenset({"admin", "planner", "officer"})
ADMIN = frozenset({"admin"})
REVIEWERS = frozenset({"admin", "planner"})
REPORTERS = frozenset({"admin", "officer"})
PLANNERS = frozenset({"admin", "planner"})
PUBLIC = None  # no token needed

# (method, path) -> the roles that may call it (officers: on their own park, see API1).
RULES = {
    ("GET", "/api/v1/projects"): ALL,
    ("POST", "/api/v1/projects"): ADMIN,
    ("GET", "/api/v1/projects/{code}"): ALL,
    ("PATCH", "/api/v1/projects/{code}"): ADMIN,
    ("POST", "/api/v1/projects/{code}/archive"): ADMIN,
    ("POST", "/api/v1/projects/{code}/restore"): ADMIN,
    ("GET", "/api/v1/projects/{code}/progress"): ALL,
    ("POST", "/api/v1/projects/{code}/progress"): REPORTERS,
    ("GET", "/api/v1/projects/{code}/progress/{entry_id}"): ALL,
    ("POST", "/api/v1/projects/{code}/progress/{entry_id}/approve"): REVIEWERS,
    ("POST", "/api/v1/projects/{code}/progress/{entry_id}/return"): REVIEWERS,
    ("GET", "/api/v1/projects/{code}/plans"): ALL,
    ("GET", "/api/v1/projects/{code}/plans/{year}"): ALL,
    ("PUT", "/api/v1/projects/{code}/plans/{year}"): PLANNERS,
    ("GET", "/api/v1/projects/{code}/milestones"): ALL,
    ("PUT", "/api/v1/projects/{code}/milestones/{kind}"): ALL,
    ("GET", "/api/v1/parks"): ALL,
    ("POST", "/api/v1/parks"): ADMIN,
    ("GET", "/api/v1/parks/{park_id}"): ALL,
    ("PATCH", "/api/v1/parks/{park_id}"): ADMIN,
    ("POST", "/api/v1/parks/{park_id}/archive"): ADMIN,
    ("POST", "/api/v1/parks/{park_id}/restore"): ADMIN,
    ("GET", "/api/v1/parks/{park_id}/report-template"): ALL,
    ("GET", "/api/v1/parks/{park_id}/plan-template"): ALL,
    ("POST", "/api/v1/parks/{park_id}/plans"): PLANNERS,
    ("GET", "/api/v1/categories"): ALL,
    ("GET", "/api/v1/editions"): ALL,
    ("POST", "/api/v1/editions"): ADMIN,
    ("GET", "/api/v1/editions/{edition_id}"): ALL,
    ("GET", "/api/v1/rollups"): ALL,
    ("GET", "/api/v1/rollups/series"): ALL,
    ("GET", "/api/v1/reports/reconciliation"): ALL,
    ("GET", "/api/v1/reports/compliance"): ALL,
    ("GET", "/api/v1/reports/changes"): ALL,
    ("GET", "/api/v1/reports/blockers"): ALL,
    # Blockers: officers on their own park's only (tests/blockers/test_access.py), every role
    # may raise and take a step; which step is the role's is decided by the step.
    ("GET", "/api/v1/blockers"): ALL,
    ("GET", "/api/v1/blockers/summary"): ALL,
    ("GET", "/api/v1/blockers/{blocker_id}"): ALL,
    ("PATCH", "/api/v1/blockers/{blocker_id}"): ALL,
    ("POST", "/api/v1/projects/{code}/blockers"): ALL,
    ("POST", "/api/v1/progress-uploads"): REPORTERS,
    # Reviews: every role reads the inbox and the log (officers their own park's, API1);
    # deciding and reopening is the reviewers'.
    ("GET", "/api/v1/reviews"): ALL,
    ("POST", "/api/v1/reviews"): REVIEWERS,
    ("GET", "/api/v1/reviews/log"): ALL,
    ("POST", "/api/v1/projects/{code}/progress/periods/{period}/reopen"): REVIEWERS,
    ("GET", "/api/v1/audit"): ADMIN,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    # Operations metrics: network-restricted, or behind METRICS_TOKEN where that is set.
    ("GET", "/metrics"): PUBLIC,
    # The documentation is public: it describes the API, it holds no data.
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
}

# Pages sign in with a cookie, not a bearer token; their rule table is tests/web/test_page_rules.py.
OPERATIONS = sorted(op for op in served_operations(create_app()) if not is_page(op))


def _upload(code):
    return f"项目编号,报告日期,项目状态\r\n{code},2026-10-31,在建\r\n".encode()


def test_every_served_operation_has_a_rule():
    assert set(OPERATIONS) == set(RULES)


@pytest.fixture
def entry(session):
    """A report on a project of the officer's own park (gaoxin), so only the role decides."""
    project = factories.project(session)
    return factories.report(session, project.code).id, project.code


def _call(client, entry, method, path, headers):
    entry_id, code = entry
    url = path.format(
        code=code,
        park_id="gaoxin",
        entry_id=entry_id,
        year=2026,
        kind="filing",
        edition_id="plan",
        # No such blocker (404): every role may call its operations; which blocker and which
        # step a role may take is tests/blockers/test_access.py's table.
        blocker_id=999_999,
        period="2026-10",
    )
    if path.endswith("/progress-uploads"):
        files = {"file": ("report.csv", _upload(code), "text/csv")}
        return client.request(method, url, files=files, params={"dry_run": "true"}, headers=headers)
    body = {} if method in ("POST", "PATCH") else None
    return client.request(method, url, json=body, headers=headers)


def _state(session):
    counts = [
        session.exec(select(func.count()).select_from(model)).one()
        for model in (ProgressEntry, Project, Park)
    ]
    return (
        *counts,
        session.exec(select(func.sum(Project.version))).one(),
        session.exec(select(func.sum(Park.version))).one(),
        session.exec(select(func.count()).where(ProgressEntry.reviewed_at != None)).one(),  # noqa: E711
    )


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_role_against_every_operation(client, session, auth, entry, role, method, path):
    allowed = RULES[(method, path)]
    headers = auth(role, "gaoxin" if role == "officer" else None)
    before = _state(session)
    response = _call(client, entry, method, path, headers)
    if allowed is PUBLIC or role in allowed:
        assert response.status_code not in (401, 403), response.text
    else:
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert f"This {role} token may not" in response.json()["detail"]
        assert _state(session) == before


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_token_against_every_operation(client, session, entry, method, path):
    before = _state(session)
    response = _call(client, entry, method, path, {})
    if RULES[(method, path)] is PUBLIC:
        assert response.status_code < 400
    else:
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert _state(session) == before
