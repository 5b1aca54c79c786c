"""Every page against every role: the table names each page, so a page added without a rule
fails here. Pages follow the API's rules (API5 in docs/security.md)."""

import pytest

from app.main import create_app
from tests import factories
from tests.security.conftest import is_page, served_operations
from tests.web.conftest import csrf_of

ALL = frozenset({"admin", "planner", "officer"})
REPORTERS = frozenset({"admin", "officer"})
REVIEWERS = frozenset({"admin", "planner"})
ADMIN = frozenset({"admin"})
PUBLIC = None  # before sign-in

# (method, path) -> the roles that may use it (officers: their own park, gaoxin here).
PAGE_RULES = {
    ("GET", "/"): PUBLIC,
    ("GET", "/web/login"): PUBLIC,
    ("POST", "/web/login"): PUBLIC,
    ("POST", "/web/logout"): PUBLIC,
    ("POST", "/web/lang"): PUBLIC,
    ("GET", "/web/"): ALL,
    ("GET", "/web/projects"): ALL,
    ("GET", "/web/exports/projects.{export_format}"): ALL,
    ("GET", "/web/projects/{code}"): ALL,
    ("GET", "/web/projects/{code}/report"): REPORTERS,
    ("POST", "/web/projects/{code}/report"): REPORTERS,
    ("POST", "/web/projects/{code}/progress/{entry_id}/review"): REVIEWERS,
    ("GET", "/web/my"): ALL,
    ("GET", "/web/spreadsheet"): ALL,
    ("GET", "/web/spreadsheet/template"): ALL,
    ("POST", "/web/spreadsheet"): REPORTERS,
    ("GET", "/web/reconciliation"): ALL,
    ("GET", "/web/blockers"): ALL,
    ("GET", "/web/exports/blockers.{export_format}"): ALL,
    ("GET", "/web/blockers/{blocker_id}"): ALL,
    ("POST", "/web/blockers/{blocker_id}"): ALL,
    ("GET", "/web/projects/{code}/blockers/new"): ALL,
    ("POST", "/web/projects/{code}/blockers"): ALL,
    ("GET", "/web/editions"): ALL,
    ("GET", "/web/reviews"): ALL,
    ("POST", "/web/reviews"): REVIEWERS,
    ("POST", "/web/projects/{code}/periods/{period}/reopen"): REVIEWERS,
    ("GET", "/web/audit"): ADMIN,
    ("GET", "/web/exports/audit.{export_format}"): ADMIN,
}
SIGNED_IN = sorted(op for op, roles in PAGE_RULES.items() if roles is not PUBLIC)


def test_every_page_has_a_rule():
    assert {op for op in served_operations(create_app()) if is_page(op)} == set(PAGE_RULES)


@pytest.fixture
def code(session) -> str:
    """A project of park gaoxin made for the test."""
    return factories.project(session).code


def _call(client, method, path, code):
    url = path.format(
        code=code, export_format="csv", entry_id=1, blocker_id=999_999, period="2026-10"
    )
    if url.endswith("/template"):
        url += "?park=gaoxin"
    if method == "GET":
        return client.get(url, follow_redirects=False)
    csrf = csrf_of(client.get("/web/login").text)
    files = (
        {"file": ("x.csv", b"\xe9\xa1\xb9", "text/csv")} if url.endswith("spreadsheet") else None
    )
    data = {"csrf": csrf, "decision": "approve", "as_of": "bad"}
    return client.post(url, data=data, files=files, follow_redirects=False)


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize(("method", "path"), SIGNED_IN)
def test_role_against_every_page(sign_in, code, role, method, path):
    client = sign_in(role, "gaoxin" if role == "officer" else None)
    response = _call(client, method, path, code)
    if role in PAGE_RULES[(method, path)]:
        assert response.status_code != 403, response.text
    else:
        assert response.status_code == 403, response.text


@pytest.mark.parametrize(("method", "path"), SIGNED_IN)
def test_no_sign_in_against_every_page(client, code, method, path):
    client.get("/web/login")
    response = _call(client, method, path, code)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/web/login?next=")
