"""The pages in a real browser (Debian's Chromium driven by Playwright) on a live server."""

import io
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from app import clock
from app.auth.tokens import create_token
from app.db import build_engine
from app.main import create_app
from app.models import (
    Milestone,
    MilestoneKind,
    PlanRevision,
    ProgressEntry,
    Project,
    ProjectYear,
    Role,
    utcnow,
)
from tests import factories
from tests.conftest import serving

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}

playwright_api = pytest.importorskip("playwright.sync_api")
if shutil.which(CHROMIUM) is None:
    if os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(f"no Chromium at {CHROMIUM}; CI runs the browser tests", pytrace=False)
    pytest.skip(f"no Chromium at {CHROMIUM} (make test installs it)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Live:
    """A running service on its own seeded database."""

    def __init__(self, base: str, engine: Engine) -> None:
        self.base = base
        self.engine = engine

    def token(self, role: str, park_id: str | None = None) -> str:
        with Session(self.engine) as session:
            return create_token(session, name=f"web-{role}", role=Role(role), park_id=park_id)[1]

    def entries(self, code: str) -> int:
        with Session(self.engine) as session:
            return session.exec(
                select(func.count())
                .select_from(ProgressEntry)
                .where(ProgressEntry.project.has(code=code))  # type: ignore[attr-defined]
            ).one()

    def api(self, path: str, token: str) -> Any:
        response = httpx.get(
            self.base + path, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def live(seeded_copy: Callable[[], AbstractContextManager[str]]) -> Iterator[Live]:
    with seeded_copy() as url, serving(url):
        engine = build_engine(url)
        app = create_app()
        port = _free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        yield Live(f"http://127.0.0.1:{port}", engine)
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--lang=zh-CN",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"script errors on the page: {errors}"


def sign_in(page: Any, live: Live, token: str, next_path: str = "/web/") -> None:
    page.goto(f"{live.base}{next_path}")
    assert "/web/login" in page.url
    page.fill("#token", token)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def chart_series(page: Any, key: str) -> dict[str, Any]:
    page.wait_for_selector("html[data-charts-ready=true]")
    return page.evaluate(
        """key => {
            const option = window.portfolioCharts[key].getOption();
            return {labels: option.xAxis[0].data, counts: option.series[0].data,
                    planned: option.series[1].data};
        }""",
        key,
    )


def test_sign_in_and_out(page, live):
    page.goto(f"{live.base}/web/projects")
    assert "/web/login" in page.url
    page.fill("#token", "not-a-token")
    page.click("button[type=submit].primary")
    assert page.locator(".alert").inner_text() == "令牌无效或已撤销。"

    sign_in(page, live, live.token("planner"), "/web/projects")
    cookie = next(c for c in page.context.cookies() if c["name"] == "portfolio_token")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    assert page.locator("#project-table tbody tr").count() == 50

    page.click("#sign-out")
    page.wait_for_url(re.compile(r"/web/login$"))
    assert not [c for c in page.context.cookies() if c["name"] == "portfolio_token"]
    page.goto(f"{live.base}/web/")
    assert "/web/login" in page.url


def test_overview_charts_show_the_filtered_rollups(page, live):
    token = live.token("planner")
    sign_in(page, live, token)
    page.wait_for_selector("html[data-charts-ready=true]")
    screenshot(page, "overview")
    page.select_option("select[name=category]", "innovation")
    page.click("#overview-filters button[type=submit]")
    page.wait_for_url(re.compile(r"category=innovation"))

    expected = live.api("/api/v1/rollups?by=park&category=innovation", token)
    by_park = chart_series(page, "park")
    assert by_park["labels"] == [row["park_name"] for row in expected["rows"]]
    assert by_park["counts"] == [row["project_count"] for row in expected["rows"]]
    assert by_park["planned"] == [
        round(row["total_investment_wan"] / 10_000, 2) for row in expected["rows"]
    ]
    by_year = live.api("/api/v1/rollups?by=start_year&category=innovation", token)
    assert chart_series(page, "start_year")["counts"] == [
        r["project_count"] for r in by_year["rows"]
    ]
    headline = page.locator("[data-figure=project_count]").inner_text()
    assert headline == f"{expected['totals']['project_count']:,}"
    screenshot(page, "overview-filtered")


def test_clicking_a_bar_lists_its_projects(page, live):
    token = live.token("planner")
    sign_in(page, live, token, "/web/?category=innovation")
    series = chart_series(page, "park")
    index = series["counts"].index(max(series["counts"]))
    park = live.api("/api/v1/rollups?by=park&category=innovation", token)["rows"][index]
    # Click the middle of that bar, where ECharts laid it out.
    bar = page.evaluate(
        """index => window.portfolioCharts.park.getModel().getSeriesByIndex(0)
                     .getData().getItemLayout(index)""",
        index,
    )
    # The year's round sits above the charts: bring the chart into the viewport to click it.
    page.locator("#chart-park").scroll_into_view_if_needed()
    box = page.locator("#chart-park").bounding_box()
    page.mouse.click(
        box["x"] + bar["x"] + bar["width"] / 2, box["y"] + bar["y"] + bar["height"] / 2
    )
    page.wait_for_url(re.compile(r"/web/projects\?"))
    assert f"park={park['park_id']}" in page.url
    assert "category=innovation" in page.url
    rows = page.locator("#project-table tbody tr")
    assert rows.count() == min(park["project_count"], 50)
    listed = live.api(f"/api/v1/projects?park={park['park_id']}&category=innovation", token)
    assert page.locator("#showing").inner_text().endswith(f"{listed['total']} 条")
    assert rows.first.get_attribute("data-code") == listed["items"][0]["code"]


def test_officer_reports_through_the_form(page, live):
    with Session(live.engine) as session:
        code = factories.project(session, total_investment_wan=200_000).code
    token = live.token("officer", "gaoxin")
    # An earlier point on its investment chart, for the new report to come after. Through
    # the live API: the browser's event loop runs in this thread, so `factories.report` can't.
    earlier = httpx.post(
        f"{live.base}/api/v1/projects/{code}/progress",
        json={**factories.REPORT, "as_of": "2026-03-31", "invested_to_date_wan": 50_000},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert earlier.status_code == 201, earlier.text
    sign_in(page, live, token, "/web/my")
    assert page.locator(f"#due-table tr[data-code={code}]").count() == 1
    page.click(f"#due-table tr[data-code={code}] a[href$='/report']")
    page.wait_for_url(re.compile(rf"/web/projects/{code}/report$"))
    screenshot(page, "officer-form")
    before = live.entries(code)

    page.fill("#as_of", "2026-10-31")
    page.select_option("#status", "under_construction")
    page.fill("#percent_complete", "65")
    page.fill("#invested_to_date_wan", "143000")
    page.fill("#note", "主体结构封顶，进入设备安装阶段。")
    page.fill("#issues", "部分进口设备到货延迟。")
    page.click("#submit-report")
    page.wait_for_url(re.compile(rf"/web/projects/{code}\?saved=\d+$"))

    assert live.entries(code) == before + 1
    assert "2026-10" in page.locator("#saved").inner_text()
    newest = page.locator("#timeline li").first
    assert "主体结构封顶，进入设备安装阶段。" in newest.inner_text()
    assert "部分进口设备到货延迟。" in newest.inner_text()
    assert "待审核" in newest.inner_text()
    page.wait_for_selector("html[data-charts-ready=true]")
    option = page.evaluate("window.portfolioCharts.investment.getOption()")
    assert "2026-03-31" in option["xAxis"][0]["data"][:-1]
    assert option["xAxis"][0]["data"][-1] == "2026-10-31"
    assert option["series"][0]["data"][-1] == 143000
    screenshot(page, "project")

    # Another park's project: no form, and the form's address is refused.
    page.goto(f"{live.base}/web/projects/INF-015")
    assert page.locator("#report-link").count() == 0
    response = page.goto(f"{live.base}/web/projects/INF-015/report")
    assert response.status == 403
    assert "lvshun" in page.locator("#problem").inner_text()


def test_a_bad_value_shows_the_rule_and_stores_nothing(page, live):
    sign_in(page, live, live.token("officer", "gaoxin"), "/web/projects/INF-006/report")
    before = live.entries("INF-006")
    page.fill("#as_of", "2026-10-31")
    page.select_option("#status", "completed")
    page.fill("#percent_complete", "90")
    page.click("#submit-report")
    page.wait_for_selector("#form-errors")
    assert (
        "已竣工的项目完成百分比应为 100%，而不是 90%"
        in page.locator("#error-percent_complete").inner_text()
    )
    assert page.input_value("#percent_complete") == "90"
    page.fill("#percent_complete", "abc")
    page.click("#submit-report")
    page.wait_for_selector("#error-percent_complete")
    assert "请填写整数" in page.locator("#error-percent_complete").inner_text()
    assert live.entries("INF-006") == before


def test_a_spreadsheet_with_one_bad_row_shows_that_row(page, live, tmp_path):
    token = live.token("officer", "gaoxin")
    sign_in(page, live, token, "/web/spreadsheet")
    with page.expect_download() as download:
        page.click("#download-template")
    path = tmp_path / "template.xlsx"
    download.value.save_as(path)

    workbook = load_workbook(path)
    sheet = workbook["月度进展"]
    header = [cell.value for cell in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2))
    # One bad row: completed, yet only half done.
    rows[0][header.index("项目状态")].value = "竣工"
    rows[0][header.index("完成百分比（%）")].value = 50
    buffer = io.BytesIO()
    workbook.save(buffer)
    (tmp_path / "filled.xlsx").write_bytes(buffer.getvalue())
    before = {code: live.entries(code) for code in ("INF-001", "INF-002", "INF-003")}

    page.set_input_files("#file", str(tmp_path / "filled.xlsx"))
    page.click("#upload-button")
    page.wait_for_selector("#upload-errors")
    errors = page.locator("#upload-errors tbody tr")
    assert errors.count() >= 1
    assert errors.first.locator("td").first.inner_text() == "2"
    assert "100" in errors.first.inner_text()
    assert {code: live.entries(code) for code in before} == before


def test_phone_sized_screen_and_english(browser, live):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live, live.token("planner"))
    for path in ("/web/", "/web/projects", "/web/projects/INF-005", "/web/reconciliation"):
        page.goto(live.base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways on a phone"
    page.goto(live.base + "/web/")
    page.click("#switch-language")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("header nav a").first.inner_text() == "Overview"
    context.close()


def test_the_api_docs_render_without_the_internet(page, live):
    outside: list[str] = []
    inside: list[str] = []

    def note(request: Any) -> None:
        if not request.url.startswith((live.base, "data:", "blob:")):
            outside.append(request.url)
        inside.append(request.url)

    page.on("request", note)
    page.goto(f"{live.base}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    assert page.locator(".opblock").count() >= 27
    page.goto(f"{live.base}/redoc")
    # A locator, not wait_for_function: polling a string predicate compiles it in the page,
    # which the docs' Content-Security-Policy (no 'unsafe-eval') refuses whenever ReDoc has
    # not rendered by the first check.
    page.get_by_text("List projects").locator("visible=true").first.wait_for(timeout=30_000)
    # ReDoc's "API docs by Redocly" mark, from its CDN in the published bundle, is served here.
    page.locator("img[alt='redocly logo']").wait_for(timeout=10_000)
    assert f"{live.base}/static/vendor/redoc-2.5.4/logo-mini.svg" in inside
    assert outside == []


ROUND_SHOTS = Path(tempfile.gettempdir()) / "portfolio-round-screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE_ROUND = {"width": 375, "height": 812}


def plan_the_year(live: Live, code: str) -> None:
    """A 2026 plan (adjusted once) and the five milestones for `code`, two of them done."""
    year = clock.today().year
    with Session(live.engine) as session:
        project = session.exec(select(Project).where(Project.code == code)).one()
        assert project.id is not None
        if session.exec(select(PlanRevision).where(PlanRevision.project_id == project.id)).first():
            return
        for revision, planned, reason in ((1, 50_000, ""), (2, 80_000, "设备采购提前")):
            session.add(
                PlanRevision(
                    project_id=project.id,
                    year=year,
                    revision=revision,
                    planned_investment_wan=planned,
                    target="主体封顶",
                    planned_start=True,
                    reason=reason,
                    document="大发改投资〔2026〕12号" if reason else "",
                    changed_by="test",
                )
            )
        row = session.exec(
            select(ProjectYear).where(
                ProjectYear.project_id == project.id, ProjectYear.year == year
            )
        ).first() or ProjectYear(project_id=project.id, year=year)
        row.plan_revision, row.planned_investment_wan = 2, 80_000
        row.target, row.planned_start = "主体封顶", True
        session.add(row)
        for kind, planned_on, actual_on in (
            (MilestoneKind.filing, date(year - 1, 6, 30), date(year - 1, 6, 20)),
            (MilestoneKind.permits, date(year - 1, 12, 31), date(year, 2, 10)),
            (MilestoneKind.start, date(year, 3, 1), date(year, 3, 15)),
            (MilestoneKind.completion, date(year, 6, 30), None),
            (MilestoneKind.operation, date(year + 1, 6, 30), None),
        ):
            session.add(
                Milestone(
                    project_id=project.id,
                    kind=kind,
                    planned_date=planned_on,
                    actual_date=actual_on,
                    actual_recorded_at=utcnow() if actual_on else None,
                    updated_by="test",
                )
            )
        project.started_on = date(year, 3, 15)
        session.add(project)
        session.commit()


def no_sideways_scroll(page: Any, width: int, path: str) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{path} scrolls sideways at {width} px ({scroll} px wide)"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE_ROUND], ids=["desktop", "phone"])
def test_the_round_on_the_overview_and_a_project_page(browser, live, viewport):
    with Session(live.engine) as session:
        code = factories.project(session).code
    plan_the_year(live, code)
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live, live.token("planner"))
    name = "desktop" if viewport is DESKTOP else "phone"
    ROUND_SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live.base}/web/")
    page.wait_for_selector("html[data-charts-ready=true]")
    assert page.locator("#chart-series canvas, #chart-series svg").count() >= 1
    option = page.evaluate("window.portfolioCharts.series.getOption()")
    assert [s["type"] for s in option["series"]] == ["bar", "bar", "bar", "bar", "line"]
    assert option["xAxis"][0]["data"][0] == "1月"
    assert "年度 调度" in page.locator("#year-round h2").first.inner_text()
    assert page.locator("#table-year-park tbody tr").count() >= 1
    no_sideways_scroll(page, viewport["width"], "/web/")
    page.screenshot(path=str(ROUND_SHOTS / f"overview-{name}.png"), full_page=True)
    page.locator("#year-round").screenshot(path=str(ROUND_SHOTS / f"round-{name}.png"))

    page.goto(f"{live.base}/web/projects/{code}")
    page.wait_for_selector("#plans")
    assert "主体封顶" in page.locator("#plans").inner_text()
    assert "已调整" in page.locator("#plans").inner_text()
    steps = page.locator("#milestones li")
    assert steps.count() == 5
    assert "逾期" in steps.nth(3).inner_text()
    no_sideways_scroll(page, viewport["width"], f"/web/projects/{code}")
    page.screenshot(path=str(ROUND_SHOTS / f"project-{name}.png"), full_page=True)
    page.locator("#plans").screenshot(path=str(ROUND_SHOTS / f"plans-{name}.png"))
    context.close()
    assert errors == [], f"script errors on the page: {errors}"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE_ROUND], ids=["desktop", "phone"])
def test_an_officer_reports_the_start_with_its_date(browser, live, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live, live.token("officer", "gaoxin"), "/web/projects/INF-007/report")
    name = "desktop" if viewport is DESKTOP else "phone"
    ROUND_SHOTS.mkdir(parents=True, exist_ok=True)
    assert "本期达到的里程碑" in page.locator("fieldset.milestones-reached").inner_text()
    no_sideways_scroll(page, viewport["width"], "/web/projects/INF-007/report")

    # A completion date while reporting under construction comes back beside its field.
    page.fill("#as_of", "2026-10-31")
    page.select_option("#status", "under_construction")
    page.fill("#milestone_start", "2026-09-01")
    page.fill("#milestone_completion", "2026-10-20")
    page.click("#submit-report")
    page.wait_for_selector("#error-milestone_completion")
    assert "与填报状态不符" in page.locator("#error-milestone_completion").inner_text()
    page.screenshot(path=str(ROUND_SHOTS / f"report-form-refused-{name}.png"), full_page=True)

    page.fill("#milestone_completion", "")
    page.click("#submit-report")
    page.wait_for_url(re.compile(r"/web/projects/INF-007\?saved=\d+$"))
    steps = page.locator("#milestones li")
    assert "2026-09-01" in steps.nth(2).inner_text()
    page.screenshot(path=str(ROUND_SHOTS / f"project-after-start-{name}.png"), full_page=True)
    context.close()
