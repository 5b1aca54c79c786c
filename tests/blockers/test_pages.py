"""The 问题清单 pages: list with filters and exports, a blocker's page and its step form, the
raise form, and the project page's section; Chinese first, CSRF on every form."""

import csv
import io
from datetime import timedelta

import pytest

from app import clock
from tests import factories
from tests.web.conftest import csrf_of


@pytest.fixture
def sign_in(client, token_for):
    def signed_in(role="planner", park_id=None):
        page = client.get("/web/login")
        response = client.post(
            "/web/login",
            data={"token": token_for(role, park_id), "csrf": csrf_of(page.text), "next": "/web/"},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return client

    return signed_in


def _form(client, url, data):
    page = client.get(url)
    assert page.status_code == 200, page.text
    return client.post(url, data={"csrf": csrf_of(page.text), **data}, follow_redirects=False)


def test_raise_and_step_through_the_pages(sign_in, session, own):
    client = sign_in("officer", "gaoxin")
    project_page = client.get(f"/web/projects/{own}")
    assert 'id="blockers"' in project_page.text
    assert "尚无问题。" in project_page.text
    assert f'href="/web/projects/{own}/blockers/new"' in project_page.text

    new = client.get(f"/web/projects/{own}/blockers/new")
    raised = client.post(
        f"/web/projects/{own}/blockers",
        data={
            "csrf": csrf_of(new.text),
            "type": "utilities",
            "description": "供电线路未接入。",
            "level": "park",
            "deadline": (clock.today() - timedelta(days=2)).isoformat(),
        },
        follow_redirects=False,
    )
    assert raised.status_code == 303, raised.text
    url = raised.headers["location"].split("?")[0]
    page = client.get(raised.headers["location"])
    assert "已保存。" in page.text
    assert "水电气暖配套" in page.text
    assert 'id="blocker-overdue"' in page.text
    # An officer is offered only 办理中, and no planner fields.
    assert '<option value="in_progress">办理中</option>' in page.text
    assert 'value="resolved"' not in page.text
    assert 'name="responsible_unit"' not in page.text

    # A step without a note is refused in Chinese, and nothing is stored.
    refused = client.post(
        url, data={"csrf": csrf_of(page.text), "etag": _etag(page.text), "state": "in_progress"}
    )
    assert refused.status_code == 422
    assert "办理说明：必填。" in refused.text
    stepped = client.post(
        url,
        data={
            "csrf": csrf_of(page.text),
            "etag": _etag(page.text),
            "state": "in_progress",
            "note": "已联系供电公司。",
        },
        follow_redirects=False,
    )
    assert stepped.status_code == 303
    page = client.get(url)
    assert 'id="blocker-state">办理中' in page.text
    assert "已联系供电公司。" in page.text
    # The project page lists it, overdue highlighted.
    project_page = client.get(f"/web/projects/{own}")
    assert 'class="overdue"' in project_page.text
    assert "供电线路未接入。" in project_page.text


def _etag(html):
    start = html.index('name="etag" value="') + len('name="etag" value="')
    return html[start : html.index('"', start)].replace("&#34;", '"').replace("&quot;", '"')


def test_a_planner_resolves_and_a_stale_form_is_told(sign_in, client, auth, own, raise_blocker):
    blocker = raise_blocker(own, auth("planner"))
    client = sign_in("planner")
    url = f"/web/blockers/{blocker['id']}"
    page = client.get(url)
    stale = _etag(page.text)
    data = {
        "csrf": csrf_of(page.text),
        "etag": stale,
        "fields": "planner",
        "type": "land",
        "responsible_unit": "高新区规划建设局",
        "level": "district",
        "deadline": "",
        "note": "交办并提级。",
    }
    assert client.post(url, data=data, follow_redirects=False).status_code == 303
    page = client.get(url)
    assert 'id="blocker-unit">高新区规划建设局' in page.text
    assert 'id="blocker-level">区' in page.text
    assert "层级：园区 → 区" in page.text
    again = client.post(url, data={**data, "note": "再次提交。"})
    assert again.status_code == 412
    assert "此问题已被他人修改" in again.text
    down = client.post(
        url, data={**data, "etag": _etag(page.text), "level": "park", "note": "降级。"}
    )
    assert down.status_code == 409
    assert "层级只能提升" in down.text
    missing = client.post(
        url,
        data={
            "csrf": csrf_of(page.text),
            "etag": _etag(page.text),
            "state": "resolved",
            "note": "好了。",
        },
    )
    assert missing.status_code == 422
    assert "办理结果：必填。" in missing.text
    done = client.post(
        url,
        data={
            "csrf": csrf_of(page.text),
            "etag": _etag(page.text),
            "state": "resolved",
            "note": "好了。",
            "resolution": "已取得用地批复。",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get(url)
    assert 'id="blocker-resolution">已取得用地批复。' in page.text
    # Resolved: the planner's form offers reopening and notes only.
    assert 'name="fields"' not in page.text
    assert '<option value="reopened">重新打开</option>' in page.text


def test_the_list_page_filters_and_exports(sign_in, session, auth, raise_blocker):
    code = factories.project(session).code
    planner = auth("planner")
    late = raise_blocker(
        code,
        planner,
        type="funding",
        description="=资金缺口",
        deadline=(clock.today() - timedelta(days=1)).isoformat(),
    )
    raise_blocker(code, planner, type="land")
    client = sign_in("planner")
    page = client.get("/web/blockers", params={"project": code, "overdue": "true", "park": ""})
    assert page.status_code == 200, page.text
    assert f'<tr data-id="{late["id"]}" class="overdue">' in page.text
    assert page.text.count("<tr data-id=") == 1
    assert 'id="blocker-summary"' in page.text
    assert "资金" in page.text
    assert f'href="/web/projects/{code}"' in page.text
    assert f"/web/exports/blockers.csv?project={code}&amp;overdue=true" in page.text
    exported = client.get(f"/web/exports/blockers.csv?project={code}&overdue=true")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[1][1] == code
    assert rows[1][5] == "'=资金缺口"
    assert client.get("/web/blockers", params={"type": "weather"}).status_code == 422
    english = client.post(
        "/web/lang", data={"csrf": csrf_of(page.text), "lang": "en", "next": "/web/blockers"}
    )
    assert english.status_code == 200
    assert "Blockers" in client.get("/web/blockers").text


def test_officers_see_only_their_park(sign_in, session, auth, raise_blocker):
    other = factories.project(session, park_id="lvshun").code
    blocker = raise_blocker(other, auth("planner"))
    client = sign_in("officer", "gaoxin")
    listed = client.get("/web/blockers")
    assert f'data-id="{blocker["id"]}"' not in listed.text
    assert client.get(f"/web/blockers/{blocker['id']}").status_code == 403
    assert 'id="blockers"' not in client.get(f"/web/projects/{other}").text
    assert client.get(f"/web/projects/{other}/blockers/new").status_code == 403


def test_forms_need_their_csrf_token(sign_in, own, auth, raise_blocker):
    blocker = raise_blocker(own, auth("planner"))
    client = sign_in("planner")
    assert (
        client.post(
            f"/web/blockers/{blocker['id']}", data={"note": "x", "etag": blocker["etag"]}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/web/projects/{own}/blockers", data={"type": "land", "description": "x"}
        ).status_code
        == 403
    )
