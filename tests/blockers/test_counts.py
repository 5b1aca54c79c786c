"""办结率 and the counts behind it, by hand: in the summary by type and unit, and in rollups
by park (alone and crossed with category), their totals and their export."""

import csv
import io
from datetime import timedelta

import pytest

from app import clock
from tests import factories
from tests.blockers.conftest import BLOCKERS

SEEDED = 7  # the plan's own blockers, all open (tests/blockers/test_seed.py)


@pytest.fixture
def park(session, planner, raise_blocker, step):
    """A new park with five blockers on two projects:

    innovation project:      land/A resolved; land/A open, overdue; funding/B in progress
    infrastructure project:  funding/unassigned resolved then reopened; other/B resolved
    """
    park_id = factories.park(session).id
    first = factories.project(session, park_id=park_id).code
    second = factories.project(session, park_id=park_id, category="infrastructure").code
    yesterday = (clock.today() - timedelta(days=1)).isoformat()

    def resolve(blocker):
        done = step(blocker, planner, state="resolved", note="解决。", resolution="已解决。")
        assert done.status_code == 200, done.text
        return {**done.json(), "etag": done.headers["etag"]}

    resolve(raise_blocker(first, planner, type="land", responsible_unit="单位甲"))
    raise_blocker(first, planner, type="land", responsible_unit="单位甲", deadline=yesterday)
    started = raise_blocker(first, planner, type="funding", responsible_unit="单位乙")
    assert step(started, planner, state="in_progress", note="办理中。").status_code == 200
    reopened = resolve(raise_blocker(second, planner, type="funding"))
    assert step(reopened, planner, state="reopened", note="复现。").status_code == 200
    resolve(raise_blocker(second, planner, type="other", responsible_unit="单位乙"))
    return park_id


def _counts(row):
    return {k: row[k] for k in ("raised", "open", "overdue", "resolved", "resolution_rate_pct")}


def _summary(client, headers, **params):
    response = client.get(f"{BLOCKERS}/summary", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_summary_by_type(client, planner, park):
    summary = _summary(client, planner, by="type", park=park)
    assert summary["by"] == "type"
    assert [(r["key"], r["name"]) for r in summary["rows"]] == [
        ("land", "用地"),
        ("funding", "资金"),
        ("other", "其他"),
    ]
    rows = {r["key"]: _counts(r) for r in summary["rows"]}
    assert rows == {
        "land": {"raised": 2, "open": 1, "overdue": 1, "resolved": 1, "resolution_rate_pct": 50.0},
        "funding": {
            "raised": 2,
            "open": 2,
            "overdue": 0,
            "resolved": 0,
            "resolution_rate_pct": 0.0,
        },
        "other": {
            "raised": 1,
            "open": 0,
            "overdue": 0,
            "resolved": 1,
            "resolution_rate_pct": 100.0,
        },
    }
    assert summary["totals"] == {
        "raised": 5,
        "open": 3,
        "overdue": 1,
        "resolved": 2,
        "resolution_rate_pct": 40.0,
    }


def test_summary_by_unit(client, planner, park):
    summary = _summary(client, planner, by="unit", park=park)
    rows = {r["key"]: (r["name"], _counts(r)) for r in summary["rows"]}
    assert rows == {
        "单位甲": (
            "单位甲",
            {"raised": 2, "open": 1, "overdue": 1, "resolved": 1, "resolution_rate_pct": 50.0},
        ),
        "单位乙": (
            "单位乙",
            {"raised": 2, "open": 1, "overdue": 0, "resolved": 1, "resolution_rate_pct": 50.0},
        ),
        "": (
            "未指定",
            {"raised": 1, "open": 1, "overdue": 0, "resolved": 0, "resolution_rate_pct": 0.0},
        ),
    }
    assert summary["rows"][-1]["key"] == ""


def test_summary_of_nothing_has_no_rate(client, planner, park):
    summary = _summary(client, planner, by="level", park=park, type="market")
    assert summary["rows"] == []
    assert summary["totals"] == {
        "raised": 0,
        "open": 0,
        "overdue": 0,
        "resolved": 0,
        "resolution_rate_pct": None,
    }


def test_summary_export(client, planner, park):
    response = client.get(
        f"{BLOCKERS}/summary",
        params={"by": "type", "park": park, "format": "csv"},
        headers=planner,
    )
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["问题类型", "提出问题", "未办结", "超期", "已办结", "办结率（%）"]
    assert rows[1] == ["用地", "2", "1", "1", "1", "50.0"]
    assert rows[-1] == ["合计", "5", "3", "1", "2", "40.0"]


def _rollup(client, headers, **params):
    response = client.get("/api/v1/rollups", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _measures(row):
    return {
        k: row[k]
        for k in (
            "blockers_raised",
            "blockers_open",
            "blockers_overdue",
            "blockers_resolved",
            "resolution_rate_pct",
        )
    }


def test_rollup_by_park(client, planner, park):
    rollup = _rollup(client, planner, by="park")
    row = next(r for r in rollup["rows"] if r["park_id"] == park)
    assert _measures(row) == {
        "blockers_raised": 5,
        "blockers_open": 3,
        "blockers_overdue": 1,
        "blockers_resolved": 2,
        "resolution_rate_pct": 40.0,
    }
    # The seeded blockers are all open and without deadline; so are the totals' others.
    assert _measures(rollup["totals"]) == {
        "blockers_raised": SEEDED + 5,
        "blockers_open": SEEDED + 3,
        "blockers_overdue": 1,
        "blockers_resolved": 2,
        "resolution_rate_pct": round(100 * 2 / (SEEDED + 5), 1),
    }
    untouched = next(r for r in rollup["rows"] if r["park_id"] == "gaoxin")
    assert _measures(untouched) == {
        "blockers_raised": 0,
        "blockers_open": 0,
        "blockers_overdue": 0,
        "blockers_resolved": 0,
        "resolution_rate_pct": None,
    }
    assert sum(r["blockers_raised"] for r in rollup["rows"]) == rollup["totals"]["blockers_raised"]


def test_rollup_cross_tab_and_filters(client, planner, park):
    rollup = _rollup(client, planner, by="park,category", park=park)
    cells = {r["category"]: _measures(r) for r in rollup["rows"]}
    assert cells == {
        "infrastructure": {
            "blockers_raised": 2,
            "blockers_open": 1,
            "blockers_overdue": 0,
            "blockers_resolved": 1,
            "resolution_rate_pct": 50.0,
        },
        "innovation": {
            "blockers_raised": 3,
            "blockers_open": 2,
            "blockers_overdue": 1,
            "blockers_resolved": 1,
            "resolution_rate_pct": 33.3,
        },
    }
    assert _measures(rollup["row_totals"][0])["resolution_rate_pct"] == 40.0
    assert _measures(rollup["totals"])["blockers_raised"] == 5
    by_status = _rollup(client, planner, by="status", park=park)
    assert sum(r["blockers_raised"] for r in by_status["rows"]) == 5


def test_rollup_export_has_the_measures(client, planner, park):
    response = client.get(
        "/api/v1/rollups", params={"by": "park", "park": park, "format": "csv"}, headers=planner
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[-5:] == ["提出问题", "未办结问题", "超期问题", "已办结问题", "办结率（%）"]
    assert rows[1][-5:] == ["5", "3", "1", "2", "40.0"]


def test_a_step_moves_the_rollup_etag(client, planner, park, step):
    first = client.get("/api/v1/rollups", params={"by": "park"}, headers=planner)
    listed = client.get(
        BLOCKERS, params={"park": park, "state": "open", "overdue": "true"}, headers=planner
    ).json()["items"][0]
    read = client.get(listed["links"]["self"], headers=planner)
    moved = step(
        {**read.json(), "etag": read.headers["etag"]},
        planner,
        state="resolved",
        note="解决。",
        resolution="已解决。",
    )
    assert moved.status_code == 200
    again = client.get(
        "/api/v1/rollups",
        params={"by": "park"},
        headers={**planner, "If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 200
    row = next(r for r in again.json()["rows"] if r["park_id"] == park)
    assert (row["blockers_resolved"], row["blockers_overdue"]) == (3, 0)
