"""The review inbox page and the report form's new rules, as planners and officers use them."""

import calendar
import re
from datetime import date, timedelta

import pytest
from sqlmodel import Session

from app.models import ProgressEntry
from app.web.views import period_due
from tests import factories
from tests.web.conftest import csrf_of


@pytest.fixture
def codes(session: Session) -> list[str]:
    return [
        factories.project(session, name=f"审核页项目{i}", total_investment_wan=1_000).code
        for i in range(2)
    ]


def _submitted(session: Session, codes: list[str]) -> list[int]:
    officer = factories.token(session, "officer", "gaoxin")[0]
    return [
        factories.report(session, code, by=officer, invested_to_date_wan=200).id  # type: ignore[misc]
        for code in codes
    ]


def test_planners_approve_ticked_reports_in_one_go(sign_in, session, codes):
    ids = _submitted(session, codes)
    client = sign_in("planner")
    page = client.get("/web/reviews?park=gaoxin&period=2026-10")
    assert page.status_code == 200
    for code in codes:
        assert f'data-code="{code}"' in page.text
    assert "批量通过" in page.text
    response = client.post(
        "/web/reviews",
        data={
            "csrf": csrf_of(page.text),
            "decision": "approve",
            "entry_id": [str(i) for i in ids],
            "comment": "核实无误。",
            "state": "submitted",
            "park": "gaoxin",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert "done=2" in response.headers["location"]
    done = client.get(response.headers["location"])
    assert "已处理 2 份报告。" in done.text
    session.expire_all()
    assert {session.get(ProgressEntry, i).review_state for i in ids} == {"approved"}  # type: ignore[union-attr]


def test_returning_without_a_comment_is_refused_in_chinese(sign_in, session, codes):
    ids = _submitted(session, codes)
    client = sign_in("planner")
    page = client.get("/web/reviews")
    response = client.post(
        "/web/reviews",
        data={"csrf": csrf_of(page.text), "decision": "return", "entry_id": [str(ids[0])]},
    )
    assert response.status_code == 422
    assert "退回时必填" in response.text
    session.expire_all()
    assert session.get(ProgressEntry, ids[0]).review_state == "submitted"  # type: ignore[union-attr]


def test_nothing_ticked_says_so(sign_in, session, codes):
    _submitted(session, codes)
    client = sign_in("planner")
    page = client.get("/web/reviews")
    response = client.post("/web/reviews", data={"csrf": csrf_of(page.text), "decision": "approve"})
    assert response.status_code == 422
    assert "请先勾选报告。" in response.text


def test_officers_see_their_parks_inbox_without_decisions(sign_in, session, codes):
    _submitted(session, codes)
    client = sign_in("officer", "gaoxin")
    page = client.get("/web/reviews?park=gaoxin")
    assert page.status_code == 200
    assert f'data-code="{codes[0]}"' in page.text
    assert 'name="entry_id"' not in page.text
    other = sign_in("officer", "lvshun").get("/web/reviews?park=gaoxin")
    assert f'data-code="{codes[0]}"' not in other.text


def _form(client, code: str) -> dict[str, str]:
    page = client.get(f"/web/projects/{code}/report")
    key = re.search(r'name="request_key" value="([^"]+)"', page.text)
    assert key
    return {"csrf": csrf_of(page.text), "request_key": key.group(1)}


REPORT = {
    "as_of": "2026-10-31",
    "status": "under_construction",
    "percent_complete": "40",
    "invested_to_date_wan": "2000",
    "note": "主体施工。",
    "issues": "",
}


def test_an_implausible_report_asks_for_a_reason_by_its_field(sign_in, codes):
    client = sign_in("officer", "gaoxin")
    refused = client.post(
        f"/web/projects/{codes[0]}/report", data={**_form(client, codes[0]), **REPORT}
    )
    assert refused.status_code == 422
    assert "高于项目总投资 1,000 万元" in refused.text
    assert "核实说明" in refused.text
    accepted = client.post(
        f"/web/projects/{codes[0]}/report",
        data={**_form(client, codes[0]), **REPORT, "reason": "概算调增，待批复。"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303, accepted.text


def test_a_closed_period_is_explained_on_the_form(sign_in, session, codes):
    [entry_id, _] = _submitted(session, codes)
    planner = factories.token(session, "planner")[1]
    client = sign_in("officer", "gaoxin")
    approved = client.post(
        "/api/v1/reviews",
        json={"entry_ids": [entry_id], "decision": "approve"},
        headers={"Authorization": f"Bearer {planner}"},
    )
    assert approved.status_code == 200
    refused = client.post(
        f"/web/projects/{codes[0]}/report",
        data={**_form(client, codes[0]), **REPORT, "invested_to_date_wan": "300"},
    )
    assert refused.status_code == 422
    assert "2026-10 的报告已审核通过，本期已锁定" in refused.text


def test_the_form_confirms_no_change(sign_in, session, codes):
    officer = factories.token(session, "officer", "gaoxin")[0]
    factories.report(session, codes[0], by=officer, as_of="2026-09-30", invested_to_date_wan=200)
    client = sign_in("officer", "gaoxin")
    same = {**REPORT, "invested_to_date_wan": "200", "note": factories.REPORT.get("note", "")}
    response = client.post(
        f"/web/projects/{codes[0]}/report",
        data={**_form(client, codes[0]), **same, "no_change_confirmed": "true"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    saved = int(response.headers["location"].rsplit("=", 1)[1])
    entry = session.get(ProgressEntry, saved)
    assert entry is not None
    assert entry.unchanged is False
    assert entry.no_change_confirmed is True


def test_planners_reopen_a_closed_period_from_the_project_page(sign_in, session, codes):
    [entry_id, _] = _submitted(session, codes)
    client = sign_in("planner")
    page = client.get(f"/web/projects/{codes[0]}")
    client.post(
        f"/web/projects/{codes[0]}/progress/{entry_id}/review",
        data={"csrf": csrf_of(page.text), "decision": "approve"},
    )
    page = client.get(f"/web/projects/{codes[0]}")
    assert 'id="reopen-2026-10"' in page.text
    empty = client.post(
        f"/web/projects/{codes[0]}/periods/2026-10/reopen",
        data={"csrf": csrf_of(page.text), "reason": " "},
        follow_redirects=True,
    )
    assert "请填写重新开放的原因" in empty.text
    done = client.post(
        f"/web/projects/{codes[0]}/periods/2026-10/reopen",
        data={"csrf": csrf_of(page.text), "reason": "园区申请更正。"},
        follow_redirects=True,
    )
    assert "已重新开放 2026-10" in done.text
    assert 'id="reopen-2026-10"' not in done.text


def test_the_park_page_shows_unchanged_reports_apart(sign_in, session, codes):
    officer = factories.token(session, "officer", "gaoxin")[0]
    due = period_due()
    year, month = map(int, due.period.split("-"))
    end = date(year, month, calendar.monthrange(year, month)[1])
    for as_of in (date(year, month, 1) - timedelta(days=1), end):
        factories.report(
            session, codes[0], by=officer, as_of=as_of.isoformat(), invested_to_date_wan=200
        )
    page = sign_in("officer", "gaoxin").get("/web/my")
    assert page.status_code == 200
    assert "未更新 1" in page.text
    row = page.text.split(f'data-code="{codes[0]}"', 1)[1].split("</tr>", 1)[0]
    assert "未更新" in row
