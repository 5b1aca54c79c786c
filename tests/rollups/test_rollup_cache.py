"""Rollups are answered from memory only while the data, the question and the day are the same."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from app.rollups import service
from tests import factories


def _count_builds(monkeypatch):
    calls = []
    build = service.build_rollup

    def counting(session, *, query):
        calls.append(query)
        return build(session, query=query)

    monkeypatch.setattr(service, "build_rollup", counting)
    return calls


def test_same_question_on_same_data_is_built_once(client, auth, monkeypatch):
    calls = _count_builds(monkeypatch)
    headers = auth()
    first = client.get("/api/v1/rollups?by=park", headers=headers)
    second = client.get("/api/v1/rollups?by=park", headers=headers)
    assert first.json() == second.json()
    assert first.headers["etag"] == second.headers["etag"]
    assert len(calls) == 1
    client.get("/api/v1/rollups?by=category", headers=headers)
    assert len(calls) == 2


def test_a_report_is_counted_at_once(client, auth, monkeypatch, session):
    code = factories.project(session).code  # park gaoxin
    calls = _count_builds(monkeypatch)
    planner, officer = auth(), auth("officer", "gaoxin")
    before = client.get("/api/v1/rollups?by=park&park=gaoxin", headers=planner).json()
    status_before = client.get(f"/api/v1/projects/{code}", headers=planner).json()["status"]
    report = {"as_of": "2026-10-31", "status": "suspended", "issues": "资金未到位"}
    posted = client.post(f"/api/v1/projects/{code}/progress", json=report, headers=officer)
    assert posted.status_code == 201, posted.text
    after = client.get("/api/v1/rollups?by=park&park=gaoxin", headers=planner).json()
    assert len(calls) == 2
    counts_before = before["rows"][0]["status_counts"]
    counts_after = after["rows"][0]["status_counts"]
    assert counts_after["suspended"] == counts_before["suspended"] + (status_before != "suspended")


def test_cached_rollups_expire(client, auth, monkeypatch):
    calls = _count_builds(monkeypatch)
    monkeypatch.setattr(service, "CACHE_SECONDS", 0.0)
    headers = auth()
    client.get("/api/v1/rollups?by=park", headers=headers)
    client.get("/api/v1/rollups?by=park", headers=headers)
    assert len(calls) == 2


def test_concurrent_misses_build_once():
    cache = service.RollupCache()
    built = []

    def build():
        time.sleep(0.05)
        built.append(1)
        return "rollup"

    key = ('W/"x"', date(2026, 11, 23))
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: cache.get_or_build(key, build), range(8)))
    assert answers == ["rollup"] * 8
    assert len(built) == 1
