"""Two `portfolio serve` processes on one PostgreSQL database answer as one service."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import httpx
import pytest
from sqlmodel import Session, select

from app.auth.tokens import create_token
from app.db import build_engine
from app.models import ProgressEntry, Project, Role
from tests import factories
from tests.conftest import PG_URL
from tests.progress.test_concurrency import _free_port

pytestmark = pytest.mark.skipif(not PG_URL, reason="several processes share PostgreSQL only")

SERVE = [sys.executable, "-c", "from app.cli import main; main()", "serve", "--host", "127.0.0.1"]


def _start(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "warning"}
    process = subprocess.Popen([*SERVE, "--port", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, "the server exited"
        assert time.monotonic() < deadline, "the server did not start"
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)


@pytest.fixture
def two_servers(database_url) -> Iterator[tuple[list[str], dict[str, str], object]]:
    url = database_url
    engine = build_engine(url)
    with Session(engine) as session:
        secrets = {
            "officer": create_token(session, name="officer", role=Role.officer, park_id="gaoxin")[
                1
            ],
            "planner": create_token(session, name="planner", role=Role.planner)[1],
        }
    started = [_start(url), _start(url)]
    yield [base for _, base in started], secrets, engine
    for process, _ in started:
        process.terminate()
    for process, _ in started:
        process.wait(timeout=20)
    engine.dispose()


@pytest.fixture
def code(two_servers) -> str:
    """A project of park gaoxin made for the test in the servers' database."""
    _, _, engine = two_servers
    with Session(engine) as session:
        return factories.project(session).code


def _headers(secret: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", **extra}


def _entries(engine, code: str) -> list[ProgressEntry]:
    with Session(engine) as session:
        project = session.exec(select(Project).where(Project.code == code)).one()
        return list(
            session.exec(
                select(ProgressEntry).where(
                    ProgressEntry.project_id == project.id,
                    ProgressEntry.is_baseline == False,  # noqa: E712
                )
            ).all()
        )


def test_an_idempotency_key_replays_in_the_other_process(two_servers, code):
    (first, second), secrets, engine = two_servers
    report = {"as_of": "2026-09-30", "status": "under_construction", "percent_complete": 30}
    headers = _headers(secrets["officer"], **{"Idempotency-Key": "both-processes-1"})
    created = httpx.post(f"{first}/api/v1/projects/{code}/progress", json=report, headers=headers)
    assert created.status_code == 201, created.text
    replayed = httpx.post(f"{second}/api/v1/projects/{code}/progress", json=report, headers=headers)
    assert replayed.status_code == 201, replayed.text
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == created.json()
    assert len(_entries(engine, code)) == 1
    # The same key with another body is refused by either process.
    changed = {**report, "percent_complete": 31}
    refused = httpx.post(f"{second}/api/v1/projects/{code}/progress", json=changed, headers=headers)
    assert refused.status_code == 422


def test_etags_and_rollups_agree_after_a_write_through_the_other(two_servers, code):
    (first, second), secrets, _ = two_servers
    reader = _headers(secrets["planner"])
    paths = ["/api/v1/rollups?by=park", "/api/v1/rollups?by=park,category", "/api/v1/parks"]

    def both(path: str) -> tuple[httpx.Response, httpx.Response]:
        return httpx.get(first + path, headers=reader), httpx.get(second + path, headers=reader)

    before = {}
    for path in paths:
        a, b = both(path)
        assert a.status_code == b.status_code == 200
        assert a.headers.get("etag") == b.headers.get("etag")
        assert a.json() == b.json()
        before[path] = a
    project_a, project_b = both(f"/api/v1/projects/{code}")
    assert project_a.headers["etag"] == project_b.headers["etag"]

    # Each process has now computed (and kept) these rollups; a report through the first
    # must show through the second at once.
    report = {"as_of": "2026-10-31", "status": "suspended", "issues": "资金未到位"}
    posted = httpx.post(
        f"{first}/api/v1/projects/{code}/progress",
        json=report,
        headers=_headers(secrets["officer"]),
    )
    assert posted.status_code == 201, posted.text
    for path in paths[:2]:
        a, b = both(path)
        assert a.headers["etag"] == b.headers["etag"] != before[path].headers["etag"]
        assert a.json() == b.json() != before[path].json()
        stale = httpx.get(
            second + path, headers={**reader, "If-None-Match": before[path].headers["etag"]}
        )
        assert stale.status_code == 200
    was_suspended = project_a.json()["status"] == "suspended"
    counts = {
        "before": before[paths[0]].json()["totals"]["status_counts"]["suspended"],
        "after": b.json()["totals"]["status_counts"]["suspended"],
    }
    assert counts["after"] == counts["before"] + (not was_suspended)
    project_b = httpx.get(f"{second}/api/v1/projects/{code}", headers=reader)
    assert project_b.json()["status"] == "suspended"
    assert project_b.json()["latest_progress"]["id"] == posted.json()["id"]


def test_reports_through_both_processes_are_all_stored_once(two_servers):
    (first, second), secrets, engine = two_servers
    codes = ["INF-002", "INF-003", "INF-004"]

    def send(n: int, other: bool = False) -> int:
        base = (first, second)[(n + other) % 2]
        as_of = date(2025, 1, 31) + timedelta(days=n % 200)
        response = httpx.post(
            f"{base}/api/v1/projects/{codes[n % len(codes)]}/progress",
            json={"as_of": as_of.isoformat(), "status": "under_construction"},
            headers=_headers(secrets["officer"], **{"Idempotency-Key": f"multi-{n}"}),
            timeout=60,
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(send, range(60)))
        # Every request again, each through the other process: all replayed.
        again = list(pool.map(send, range(60), [True] * 60))
    assert len(set(ids)) == 60
    assert again == ids
    stored = [e for code in codes for e in _entries(engine, code)]
    assert len(stored) == 60
    for code in codes:
        by_period: dict[str, list[int]] = {}
        for entry in _entries(engine, code):
            by_period.setdefault(entry.period, []).append(entry.revision)
        for revisions in by_period.values():
            assert sorted(revisions) == list(range(1, len(revisions) + 1))
