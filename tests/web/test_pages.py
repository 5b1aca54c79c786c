"""The pages' rules without a browser: sign-in, CSRF, roles, exports, formats, errors."""

import csv
import html
import io
import re
import uuid
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from app import clock
from app.auth.tokens import create_token, hash_secret, revoke_token
from app.http.rate_limits import RateLimiter
from app.models import ApiToken, ProgressEntry, Role
from app.projects.service import get_project
from app.web import i18n
from app.web.views import period_due
from tests import factories
from tests.web.conftest import csrf_of


def entries(session, code: str) -> int:
    return session.exec(
        select(func.count()).select_from(ProgressEntry).where(ProgressEntry.project.has(code=code))  # type: ignore[attr-defined]
    ).one()


@pytest.fixture
def code(session) -> str:
    """A project of park gaoxin made for the test, large enough for the amounts reported."""
    return factories.project(session, total_investment_wan=200_000).code


def report_form(client, code: str) -> dict[str, str]:
    page = client.get(f"/web/projects/{code}/report")
    assert page.status_code == 200, page.text
    key = re.search(r'name="request_key" value="([^"]+)"', page.text)
    assert key
    return {"csrf": csrf_of(page.text), "request_key": key.group(1)}


@pytest.mark.parametrize(
    "path", ["/web/", "/web/projects?park=gaoxin", "/web/projects/INF-001", "/web/my"]
)
def test_pages_need_sign_in(client, path):
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/web/login?next=%2Fweb%2F")


def test_the_root_leads_to_the_overview(client):
    assert client.get("/", follow_redirects=False).headers["location"] == "/web/"


def test_sign_in_sets_an_httponly_strict_cookie_and_returns_to_the_page(client, token_for):
    page = client.get("/web/login?next=/web/projects%3Fpark%3Dgaoxin")
    assert 'value="/web/projects?park=gaoxin"' in page.text
    response = client.post(
        "/web/login",
        data={"token": token_for("planner"), "csrf": csrf_of(page.text), "next": "/web/projects"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/web/projects"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/" in cookie


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/api/v1/parks"])
def test_sign_in_never_sends_the_browser_elsewhere(client, token_for, target):
    page = client.get("/web/login")
    response = client.post(
        "/web/login",
        data={"token": token_for("planner"), "csrf": csrf_of(page.text), "next": target},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/web/"


def test_a_wrong_token_is_refused_and_no_cookie_is_set(client):
    page = client.get("/web/login")
    response = client.post("/web/login", data={"token": "nope", "csrf": csrf_of(page.text)})
    assert response.status_code == 401
    assert "令牌无效或已撤销" in response.text
    assert "portfolio_token" not in client.cookies


def test_forms_without_the_csrf_token_are_refused(client, token_for, session):
    client.get("/web/login")
    response = client.post("/web/login", data={"token": token_for("planner"), "csrf": "forged"})
    assert response.status_code == 403
    assert "portfolio_token" not in client.cookies


def test_a_report_with_a_forged_csrf_token_stores_nothing(sign_in, session, code):
    client = sign_in("officer", "gaoxin")
    form = report_form(client, code)
    before = entries(session, code)
    response = client.post(
        f"/web/projects/{code}/report",
        data={**form, "csrf": "x" * 43, "as_of": "2026-10-31", "status": "under_construction"},
    )
    assert response.status_code == 403
    assert entries(session, code) == before


def test_a_revoked_token_signs_the_browser_out(sign_in, session):
    client = sign_in("planner")
    assert client.get("/web/", follow_redirects=False).status_code == 200
    secret = client.cookies["portfolio_token"]
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret))).one()
    assert token.id is not None
    revoke_token(session, token_id=token.id, at=datetime.now(UTC))
    assert client.get("/web/", follow_redirects=False).status_code == 303


def test_sign_out_forgets_the_token(sign_in):
    client = sign_in("planner")
    page = client.get("/web/")
    response = client.post("/web/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert response.status_code == 303
    assert "portfolio_token" not in client.cookies
    assert client.get("/web/", follow_redirects=False).status_code == 303


def test_pages_are_not_cached_and_load_nothing_from_elsewhere(sign_in):
    client = sign_in("planner")
    response = client.get("/web/")
    assert response.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["content-language"] == "zh-CN"
    assert not re.search(r'(src|href)="(https?:)?//', response.text)
    script = client.get("/static/vendor/echarts-6.1.0/echarts.min.js")
    assert script.status_code == 200
    assert len(script.content) > 500_000


def test_a_report_through_the_form_is_stored_once(sign_in, session, code):
    client = sign_in("officer", "gaoxin")
    form = report_form(client, code)
    before = entries(session, code)
    data = {
        **form,
        "as_of": "2026-10-31",
        "status": "under_construction",
        "percent_complete": "65",
        "invested_to_date_wan": "143000",
        "note": "主体结构封顶",
        "issues": "",
    }
    first = client.post(f"/web/projects/{code}/report", data=data, follow_redirects=False)
    assert first.status_code == 303
    # The same form sent again (a double click, a reload): the same entry, nothing new.
    again = client.post(f"/web/projects/{code}/report", data=data, follow_redirects=False)
    assert again.headers["location"] == first.headers["location"]
    assert entries(session, code) == before + 1
    page = client.get(first.headers["location"])
    assert "主体结构封顶" in page.text
    assert 'id="saved"' in page.text


@pytest.mark.parametrize(
    ("field", "value", "message", "english"),
    [
        ("percent_complete", "101", "不能大于 100。", "less than or equal to 100"),
        ("invested_to_date_wan", "-5", "不能小于 0。", "greater than or equal to 0"),
        ("invested_to_date_wan", "1.5", "请填写整数。", "valid integer"),
        ("as_of", "2999-01-01", "2999-01-01 晚于今天（北京时间 ", "in the future"),
        ("as_of", "30/11/2026", "日期写作 YYYY-MM-DD", "a date is written YYYY-MM-DD"),
        ("status", "finished", "请从列表中选择。", "Input should be"),
        ("note", "x" * 2001, "不超过 2000 个字。", "at most 2000 characters"),
        ("note", "主体\x1b施工", "不能含控制字符（第 3 个字符是 U+001B）。", "control characters"),
    ],
)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bad_values_come_back_beside_their_fields(
    sign_in, session, code, field, value, message, english, lang
):
    client = sign_in("officer", "gaoxin")
    if lang == "en":
        client.cookies.set("portfolio_lang", "en")
        message = english
    form = report_form(client, code)
    before = entries(session, code)
    data = {**form, "as_of": "2026-10-31", "status": "under_construction", field: value}
    response = client.post(f"/web/projects/{code}/report", data=data)
    assert response.status_code == 422
    error = re.search(rf'id="error-{field}" role="alert">([^<]*)<', response.text)
    assert error
    assert message in html.unescape(error.group(1))
    shown = html.escape(value)
    assert f'value="{shown}"' in response.text or f">{shown}<" in response.text or field == "status"
    assert entries(session, code) == before


def as_of_of(html: str) -> str:
    match = re.search(r'id="as_of" name="as_of" type="date" value="([^"]*)"', html)
    assert match, "the page has no as_of field"
    return match.group(1)


@pytest.mark.parametrize(
    ("day", "as_of", "period", "due", "overdue"),
    [
        (date(2026, 12, 5), "2026-11-30", "2026-11", "2026-12-05", False),
        (date(2026, 12, 6), "2026-11-30", "2026-11", "2026-12-05", True),
        (date(2026, 12, 31), "2026-11-30", "2026-11", "2026-12-05", True),
        (date(2027, 1, 1), "2026-12-31", "2026-12", "2027-01-05", False),
    ],
)
def test_every_page_offers_the_period_due(
    sign_in, code, monkeypatch, day, as_of, period, due, overdue
):
    monkeypatch.setattr(clock, "today", lambda: day)
    officer = sign_in("officer", "gaoxin")
    # Dated today, a report filed in the first days of a month would miss the period due.
    assert as_of_of(officer.get(f"/web/projects/{code}/report").text) == as_of
    mine = officer.get("/web/my").text
    assert f"本期应报：{period}（{due} 前）" in mine
    assert ('id="period-overdue"' in mine) is overdue
    assert f'name="period" value="{period}"' in officer.get("/web/spreadsheet").text
    overview = officer.get("/web/").text
    assert f"期间 {period}，{due} 前应报" in overview


def test_a_report_filed_early_in_the_month_counts_for_the_period_due(sign_in, code, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: date(2026, 12, 5))
    officer = sign_in("officer", "gaoxin")
    assert re.search(rf'data-code="{code}" class="due"', officer.get("/web/my").text)
    page = officer.get(f"/web/projects/{code}/report")
    form = report_form(officer, code)
    data = {**form, "as_of": as_of_of(page.text), "status": "under_construction"}
    saved = officer.post(f"/web/projects/{code}/report", data=data)
    assert saved.status_code == 200
    assert "已保存：2026-11 第 1 版。" in saved.text
    assert re.search(rf'data-code="{code}" class=""', officer.get("/web/my").text)


def test_revising_a_returned_report_keeps_its_date(sign_in, session, code, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: date(2026, 12, 6))
    session.add(
        ProgressEntry(
            project_id=get_project(session, code=code).id,
            as_of=date(2026, 11, 20),
            period="2026-11",
            status="under_construction",
            percent_complete=40,
            note="主体施工中",
            reporter_name="officer",
            reporter_role="officer",
            received_at=datetime(2026, 12, 1, tzinfo=UTC),
            review_state="returned",
            review_comment="请核实完成百分比",
        )
    )
    session.commit()
    officer = sign_in("officer", "gaoxin")
    page = officer.get(f"/web/projects/{code}/report").text
    assert as_of_of(page) == "2026-11-20"
    assert 'name="percent_complete" inputmode="numeric" value="40"' in page
    assert ">主体施工中</textarea>" in page


def test_the_form_is_only_for_reporters_of_the_park(sign_in, code):
    officer = sign_in("officer", "gaoxin")
    assert officer.get("/web/projects/INF-015/report").status_code == 403
    assert 'id="report-link"' not in officer.get("/web/projects/INF-015").text
    assert 'id="report-link"' in officer.get(f"/web/projects/{code}").text


def test_planners_read_but_do_not_report(sign_in, session, code):
    planner = sign_in("planner")
    assert planner.get(f"/web/projects/{code}/report").status_code == 403
    page = planner.get("/web/spreadsheet")
    response = planner.post(
        "/web/spreadsheet",
        data={"csrf": csrf_of(page.text)},
        files={"file": ("x.csv", "项目编号\n".encode(), "text/csv")},
    )
    assert response.status_code == 403


def test_officers_get_only_their_own_template(sign_in):
    officer = sign_in("officer", "gaoxin")
    own = officer.get("/web/spreadsheet/template?park=gaoxin&period=2026-10")
    assert own.status_code == 200
    assert load_workbook(io.BytesIO(own.content))["月度进展"]["A2"].value.startswith("INF-")
    assert officer.get("/web/spreadsheet/template?park=lvshun").status_code == 403


def test_the_officer_page_lists_the_park_and_what_is_due(sign_in, client):
    officer = sign_in("officer", "gaoxin")
    page = officer.get("/web/my")
    period = period_due().period
    assert period in page.text
    codes = re.findall(r'<tr data-code="([A-Z]+-\d+)"', page.text)
    listed = client.get(
        "/api/v1/projects?park=gaoxin&limit=500",
        headers={"Authorization": f"Bearer {officer.cookies['portfolio_token']}"},
    ).json()
    assert codes == [p["code"] for p in listed["items"]]


def test_exports_carry_exactly_the_listed_filters(sign_in, client):
    browser = sign_in("planner")
    query = "park=gaoxin&category=infrastructure&sort=-total_investment_wan"
    page = browser.get(f"/web/projects?{query}")
    assert f'href="/web/exports/projects.csv?{query.replace("&", "&amp;")}"' in page.text
    shown = re.findall(r'<tr data-code="([A-Z]+-\d+)"', page.text)

    exported = browser.get(f"/web/exports/projects.csv?{query}")
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    codes = [row[0] for row in rows[1:] if re.fullmatch(r"[A-Z]{3}-\d+", row[0])]
    assert codes == shown
    assert any("大连高新技术产业园区" in cell for row in rows for cell in row)

    xlsx = browser.get(f"/web/exports/projects.xlsx?{query}")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    xlsx_codes = [
        row[0]
        for row in sheet.iter_rows(values_only=True)
        if isinstance(row[0], str) and re.fullmatch(r"[A-Z]{3}-\d+", row[0])
    ]
    assert xlsx_codes == shown


def test_the_list_pages_through_every_match(sign_in):
    browser = sign_in("planner")
    first = browser.get("/web/projects?limit=50")
    assert "第 1–50 条，共 178 条" in first.text
    next_link = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert next_link
    last = browser.get(next_link.group(1).replace("&amp;", "&").replace("offset=50", "offset=150"))
    assert "第 151–178 条，共 178 条" in last.text
    assert 'rel="next"' not in last.text


def test_search_finds_chinese_text(sign_in):
    page = sign_in("planner").get("/web/projects", params={"q": "轴承"})
    assert "共 7 条" in page.text
    assert "中国轴承服务平台项目" in page.text


def test_the_overview_counts_the_filtered_portfolio(sign_in, client):
    browser = sign_in("planner")
    page = browser.get("/web/?park=gaoxin&as_of=2026-10-31")
    api = client.get(
        "/api/v1/rollups?by=park&park=gaoxin&as_of=2026-10-31",
        headers={"Authorization": f"Bearer {browser.cookies['portfolio_token']}"},
    ).json()
    count = re.search(r'data-figure="project_count">([^<]+)<', page.text)
    assert count
    assert count.group(1) == f"{api['totals']['project_count']:,}"
    planned = re.search(r'data-figure="total_investment_wan"[^>]*>([^<]+)<', page.text)
    assert planned
    assert planned.group(1) == i18n.wan(api["totals"]["total_investment_wan"])
    assert 'value="2026-10-31"' in page.text


def test_a_bad_filter_is_a_page_not_a_crash(sign_in):
    browser = sign_in("planner")
    response = browser.get("/web/projects?start_year=abc")
    assert response.status_code == 422
    assert "start_year" in response.text
    assert "text/html" in response.headers["content-type"]
    assert browser.get("/web/projects/ZZZ-999").status_code == 404


def test_english_is_one_click_away(sign_in):
    browser = sign_in("planner")
    page = browser.get("/web/projects")
    response = browser.post(
        "/web/lang",
        data={"csrf": csrf_of(page.text), "lang": "en", "next": "/web/projects"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/web/projects"
    english = browser.get("/web/projects")
    assert english.headers["content-language"] == "en"
    assert "Export CSV" in english.text
    assert '<html lang="en">' in english.text


def test_the_reconciliation_page_highlights_every_difference(sign_in, client):
    browser = sign_in("planner")
    page = browser.get("/web/reconciliation")
    api = client.get(
        "/api/v1/reports/reconciliation",
        headers={"Authorization": f"Bearer {browser.cookies['portfolio_token']}"},
    ).json()
    differing = api["table4"]["differing_cells"] + api["table5"]["differing_cells"]
    # Each differing cell shows published, computed and difference, all highlighted.
    assert page.text.count('<td class="differs">') == 3 * differing
    assert "长兴岛" in page.text


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (6300, "6,300 万元"),
        (9999, "9,999 万元"),
        (10_000, "1.00 亿元"),
        (21_124_119, "2,112.41 亿元"),
        (None, "—"),
    ],
)
def test_amounts_read_in_wan_or_yi(amount, text):
    assert i18n.wan(amount) == text


def test_an_admin_may_open_any_park(sign_in, session):
    admin = sign_in("admin")
    page = admin.get("/web/my?park=lvshun")
    assert "INF-015" in page.text
    _, secret = create_token(session, name="other", role=Role.officer, park_id="lvshun")
    assert secret


def test_a_filled_template_uploads_and_a_dry_run_stores_nothing(sign_in, session):
    officer = sign_in("officer", "gaoxin")
    template = officer.get("/web/spreadsheet/template?park=gaoxin&period=2026-10")
    book = load_workbook(io.BytesIO(template.content))
    sheet = book["月度进展"]
    header = [cell.value for cell in sheet[1]]
    row = next(sheet.iter_rows(min_row=2, max_row=2))
    code = row[header.index("项目编号")].value
    row[header.index("报告日期")].value = "2026-10-31"
    row[header.index("项目状态")].value = "在建"
    row[header.index("完成百分比（%）")].value = 40
    row[header.index("形象进度")].value = "完成桩基施工"
    filled = io.BytesIO()
    book.save(filled)
    before = entries(session, code)

    def upload(dry_run: bool) -> str:
        page = officer.get("/web/spreadsheet")
        data = {"csrf": csrf_of(page.text), **({"dry_run": "true"} if dry_run else {})}
        response = officer.post(
            "/web/spreadsheet",
            data=data,
            files={"file": ("filled.xlsx", filled.getvalue(), "application/octet-stream")},
        )
        assert response.status_code == 200, response.text
        result = re.search(r'id="upload-result">([^<]+)<', response.text)
        assert result
        return result.group(1)

    assert upload(dry_run=True).startswith("检查通过：将保存")
    assert entries(session, code) == before
    assert upload(dry_run=False).startswith("已保存")
    assert entries(session, code) == before + 1


def test_a_file_that_is_no_spreadsheet_is_explained(sign_in):
    officer = sign_in("officer", "gaoxin")
    page = officer.get("/web/spreadsheet")
    response = officer.post(
        "/web/spreadsheet",
        data={"csrf": csrf_of(page.text)},
        files={"file": ("notes.txt", b"\x00\x01binary", "application/octet-stream")},
    )
    assert 400 <= response.status_code < 500
    assert 'id="upload-failure"' in response.text


@pytest.mark.parametrize("path", ["/web/?as_of=yesterday", "/web/projects/not-a-code"])
def test_malformed_addresses_are_explained(sign_in, path):
    response = sign_in("planner").get(path)
    assert response.status_code == 422
    assert 'id="problem"' in response.text


def filed_report(client_for, code: str) -> int:
    officer = client_for("officer", "gaoxin")
    form = report_form(officer, code)
    response = officer.post(
        f"/web/projects/{code}/report",
        data={**form, "as_of": "2026-10-31", "status": "under_construction", "note": "桩基"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return int(response.headers["location"].rsplit("=", 1)[1])


def test_planners_approve_and_return_from_the_project_page(sign_in, session, code):
    entry_id = filed_report(sign_in, code)
    planner = sign_in("planner")
    page = planner.get(f"/web/projects/{code}")
    action = f"/web/projects/{code}/progress/{entry_id}/review"
    assert f'action="{action}"' in page.text

    # Returning needs a comment; the page says so and nothing changes.
    refused = planner.post(action, data={"csrf": csrf_of(page.text), "decision": "return"})
    assert refused.status_code == 422
    assert 'id="review-error"' in refused.text
    assert session.get(ProgressEntry, entry_id).review_state == "submitted"

    done = planner.post(
        action,
        data={"csrf": csrf_of(page.text), "decision": "approve", "comment": "核实无误"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    session.expire_all()
    assert session.get(ProgressEntry, entry_id).review_state == "approved"
    shown = planner.get(done.headers["location"])
    assert "已通过" in shown.text
    assert f'action="{action}"' not in shown.text

    again = planner.post(
        action, data={"csrf": csrf_of(page.text), "decision": "return", "comment": "x"}
    )
    assert again.status_code == 409
    assert "already" in again.text


def test_officers_cannot_review(sign_in, code):
    entry_id = filed_report(sign_in, code)
    officer = sign_in("officer", "gaoxin")
    page = officer.get(f"/web/projects/{code}")
    assert f"/progress/{entry_id}/review" not in page.text
    response = officer.post(
        f"/web/projects/{code}/progress/{entry_id}/review",
        data={"csrf": csrf_of(page.text), "decision": "approve"},
    )
    assert response.status_code == 403


def test_the_api_allowances_hold_on_the_pages(sign_in, session, code):
    browser = sign_in("officer", "gaoxin")
    browser.app.state.rate_limiter = RateLimiter(  # type: ignore[attr-defined]
        storage_url="memory://",
        writes="1/minute",
        exports="1/minute",
        namespace=f"test-{uuid.uuid4().hex}",
    )
    assert browser.get("/web/exports/projects.csv?park=gaoxin").status_code == 200
    refused = browser.get("/web/exports/projects.csv?park=gaoxin")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60

    form = report_form(browser, code)
    data = {**form, "as_of": "2026-10-31", "status": "under_construction"}
    first = browser.post(f"/web/projects/{code}/report", data=data, follow_redirects=False)
    assert first.status_code == 303
    before = entries(session, code)
    data["request_key"] = uuid.uuid4().hex
    assert browser.post(f"/web/projects/{code}/report", data=data).status_code == 429
    assert entries(session, code) == before


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_docs_load_only_vendored_assets(client, path):
    page = client.get(path)
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets
    for asset in assets:
        assert asset.startswith("/static/vendor/"), asset
        assert client.get(asset).status_code == 200


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # No 形象进度 column.
        (
            "项目编号,报告日期,项目状态,完成百分比（%）,累计完成投资（万元）,存在问题\n"
            "{code},2026-10-31,在建,40,,\n",
            ["表中缺少此列。"],
        ),
        # A code no project has; a project of another park; a row repeated.
        (
            "项目编号,报告日期,项目状态,完成百分比（%）,累计完成投资（万元）,形象进度,存在问题\n"
            "INF-999,2026-10-31,在建,40,,,\n"
            "INF-001,2026-10-31,在建,40,,,\n"
            "{code},2026-10-31,在建,40,,,\n"
            "{code},2026-10-31,在建,41,,,\n",
            [
                "没有编号为 INF-999 的项目。",
                "不在本账号的填报范围内。",
                "{code} 的 2026-10 已在第 4 行填报。",
            ],
        ),
    ],
    ids=["column", "rows"],
)
def test_a_refused_upload_names_each_problem_in_chinese(sign_in, code, rows, expected):
    officer = sign_in("officer", "gaoxin")
    page = officer.get("/web/spreadsheet")
    rows = rows.replace("{code}", code)
    response = officer.post(
        "/web/spreadsheet",
        data={"csrf": csrf_of(page.text)},
        files={"file": ("filled.csv", rows.encode(), "text/csv")},
    )
    assert response.status_code == 422
    text = html.unescape(response.text)
    for message in expected:
        assert message.replace("{code}", code) in text
    assert not re.search(r"<td>[a-z ,']+</td>", text), "an English message on a Chinese page"


def test_a_report_form_carries_the_actual_start(sign_in, session):
    client = sign_in("officer", "gaoxin")
    code = factories.project(session).code
    form = report_form(client, code)
    page = client.get(f"/web/projects/{code}/report")
    assert "本期达到的里程碑" in page.text
    assert 'name="milestone_start"' in page.text
    base = {**form, "as_of": "2026-10-31", "note": "", "issues": ""}
    # An actual completion while reporting under construction: refused beside its field,
    # and nothing is stored.
    refused = client.post(
        f"/web/projects/{code}/report",
        data={
            **base,
            "status": "under_construction",
            "milestone_start": "2026-03-01",
            "milestone_completion": "2026-10-20",
        },
    )
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert 'id="error-milestone_completion"' in text
    assert "与填报状态不符" in text
    assert entries(session, code) == 0
    stored = client.post(
        f"/web/projects/{code}/report",
        data={**base, "status": "under_construction", "milestone_start": "2026-03-01"},
        follow_redirects=False,
    )
    assert stored.status_code == 303, stored.text
    session.expire_all()
    assert str(get_project(session, code=code).started_on) == "2026-03-01"
    again = client.get(f"/web/projects/{code}/report")
    assert "已记录 2026-03-01" in again.text
