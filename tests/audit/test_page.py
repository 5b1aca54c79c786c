"""The audit log page: administrators only, the API's filters, Chinese first, exports."""

import csv
import io

import pytest

from tests import factories
from tests.web.conftest import csrf_of


@pytest.fixture
def sign_in(client, token_for):
    """Sign the test client in through the form, as a role (and park, for officers)."""

    def signed_in(role: str, park_id: str | None = None):
        page = client.get("/web/login")
        response = client.post(
            "/web/login",
            data={"token": token_for(role, park_id), "csrf": csrf_of(page.text), "next": "/web/"},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return client

    return signed_in


def _adjusted_plan(client, auth, session) -> str:
    code = factories.project(session).code
    planner = auth("planner")
    url = f"/api/v1/projects/{code}/plans/2026"
    client.put(url, json={"planned_investment_wan": 12000}, headers=planner)
    body = {
        "planned_investment_wan": 9000,
        "reason": "设备采购延后",
        "document": "大园区发〔2026〕12号",
    }
    assert client.put(url, json=body, headers=planner).status_code == 200
    return code


def test_admins_see_the_records_with_filters(client, auth, session, sign_in):
    code = _adjusted_plan(client, auth, session)
    page = sign_in("admin").get("/web/audit", params={"object_type": "plan", "actor": ""})
    assert page.status_code == 200, page.text
    assert 'href="/web/audit" aria-current="page"' in page.text
    assert "变更记录" in page.text
    assert f"年度计划 {code}/2026" in page.text
    assert "12000 → 9000" in page.text
    assert "设备采购延后（大园区发〔2026〕12号）" in page.text
    assert "调整" in page.text
    assert "令牌" not in page.text.split('id="audit-table"')[1]
    english = client.post(
        "/web/lang", data={"lang": "en", "csrf": csrf_of(page.text), "next": "/web/audit"}
    )
    assert english.status_code == 200
    assert "Audit log" in english.text
    assert "adjust" in english.text


def test_pages_follow_older_records(client, auth, session, sign_in):
    _adjusted_plan(client, auth, session)
    admin = sign_in("admin")
    first = admin.get("/web/audit", params={"object_type": "plan", "limit": "1"})
    assert first.status_code == 200
    assert 'id="next-page"' in first.text
    older = first.text.split('id="next-page"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = admin.get(older.replace("&amp;", "&"))
    assert second.status_code == 200
    assert "12000" in second.text
    assert "新建" in second.text
    assert 'id="next-page"' not in second.text


@pytest.mark.parametrize(("role", "park"), [("planner", None), ("officer", "gaoxin")])
def test_others_are_refused(client, sign_in, role, park):
    signed_in = sign_in(role, park)
    assert signed_in.get("/web/audit").status_code == 403
    assert signed_in.get("/web/exports/audit.csv").status_code == 403
    assert 'href="/web/audit"' not in signed_in.get("/web/").text


def test_bad_filters_are_a_422_page(client, sign_in):
    response = sign_in("admin").get("/web/audit", params={"since": "yesterday"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")


def test_the_page_exports_what_it_filters(client, auth, session, sign_in):
    code = _adjusted_plan(client, auth, session)
    response = sign_in("admin").get("/web/exports/audit.csv", params={"object_type": "plan"})
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    key = f"{code}/2026"
    assert [tuple(r[5:10]) for r in rows[1:]] == [
        (key, "调整", "planned_investment_wan", "12000", "9000"),
        (key, "新建", "planned_investment_wan", "", "12000"),
        (key, "新建", "planned_start", "", "否"),
        (key, "新建", "planned_completion", "", "否"),
    ]
