"""The 问题清单 in a real browser (Chromium driven by Playwright), at 1280 and 375 px: an officer
starts work on an overdue blocker, a planner resolves it, nothing scrolls sideways."""

import re
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from app import clock
from tests import factories
from tests.web.test_browser import Live, browser, live, sign_in  # noqa: F401 (fixtures)

SHOTS = Path(tempfile.gettempdir()) / "portfolio-blocker-screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}


def _raise(server: Live, code: str, token: str, **fields: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{server.base}/api/v1/projects/{code}/blockers",
        json={"type": "utilities", "description": "供电线路未接入，影响设备调试。", **fields},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _fits(page: Any, width: int, what: str) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{what} scrolls sideways at {width} px ({scroll} px wide)"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_overdue_blocker_from_the_list_to_resolved(browser, live, viewport):  # noqa: F811
    with Session(live.engine) as session:
        code = factories.project(session).code
    late = (clock.today() - timedelta(days=3)).isoformat()
    blocker = _raise(
        live, code, live.token("planner"), deadline=late, responsible_unit="市供电公司"
    )
    name = "desktop" if viewport is DESKTOP else "phone"
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []

    # The officer finds it overdue on the list and starts work on it.
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live, live.token("officer", "gaoxin"), "/web/blockers")
    row = page.locator(f"#blocker-table tr[data-id='{blocker['id']}']")
    assert row.get_attribute("class") == "overdue"
    assert "超期" in row.inner_text()
    assert "水电气暖配套" in row.inner_text()
    _fits(page, viewport["width"], "/web/blockers")
    page.screenshot(path=str(SHOTS / f"list-{name}.png"), full_page=True)
    row.locator(f"a[href='/web/blockers/{blocker['id']}']").click()
    page.wait_for_url(re.compile(rf"/web/blockers/{blocker['id']}$"))
    assert page.locator("#resolution").count() == 0
    page.select_option("#state", "in_progress")
    page.fill("#note", "已与供电公司对接，排期接入。")
    page.click("#submit-step")
    page.wait_for_url(re.compile(r"\?saved=1$"))
    assert page.locator("#blocker-state").inner_text() == "办理中"
    assert "已与供电公司对接" in page.locator("#blocker-history").inner_text()
    _fits(page, viewport["width"], "/web/blockers/{id}")
    page.screenshot(path=str(SHOTS / f"blocker-officer-{name}.png"), full_page=True)
    context.close()

    # The planner resolves it; without a resolution the form says so in Chinese first.
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live, live.token("planner"), f"/web/blockers/{blocker['id']}")
    page.select_option("#state", "resolved")
    page.fill("#note", "线路已接通。")
    page.click("#submit-step")
    page.wait_for_selector("#step-errors")
    assert "办理结果：必填。" in page.locator("#step-errors").inner_text()
    page.select_option("#state", "resolved")
    page.fill("#resolution", "供电线路已于本月接通，设备调试恢复。")
    page.click("#submit-step")
    page.wait_for_url(re.compile(r"\?saved=1$"))
    assert page.locator("#blocker-state").inner_text() == "已办结"
    assert page.locator("#blocker-overdue").count() == 0
    history = page.locator("#blocker-history li")
    assert history.count() == 3
    assert "办理中 → 已办结" in history.nth(2).inner_text().replace("\n", " ")
    _fits(page, viewport["width"], "/web/blockers/{id}")
    page.screenshot(path=str(SHOTS / f"blocker-resolved-{name}.png"), full_page=True)

    # The project page lists it with its state, and links to it.
    page.goto(f"{live.base}/web/projects/{code}")
    section = page.locator("#blockers")
    assert "已办结" in section.inner_text()
    assert section.locator(f"a[href='/web/blockers/{blocker['id']}']").count() == 1
    _fits(page, viewport["width"], f"/web/projects/{code}")
    context.close()
    assert errors == [], f"script errors on the page: {errors}"
