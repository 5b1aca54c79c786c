"""`portfolio serve` as operators run it: graceful SIGTERM, JSON logs, metrics across workers."""

import csv
import io
import json
import signal
import sqlite3
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from app.main import create_app
from app.models import Role
from tests.ops.conftest import issue_token, seeded, serve


@pytest.fixture
def sqlite_url(tmp_path):
    return seeded(f"sqlite:///{tmp_path / 'portfolio.db'}")


def test_sigterm_lets_the_request_in_flight_finish(sqlite_url, tmp_path):
    _, secret = issue_token(sqlite_url, Role.planner)
    headers = {"Authorization": f"Bearer {secret}"}
    with serve(sqlite_url, tmp_path, SHUTDOWN_GRACE_SECONDS="30") as server:
        # Another writer holds SQLite's write lock, so the export waits inside the server.
        holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        answers: list[httpx.Response] = []
        request = threading.Thread(
            target=lambda: answers.append(
                httpx.get(
                    f"{server.base_url}/api/v1/projects?format=csv",
                    headers=headers,
                    timeout=60,
                )
            )
        )
        request.start()
        # Time for the request to reach the server and block on the lock (nothing to poll).
        time.sleep(3)
        assert not answers, "the export should be waiting for the lock"
        server.process.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        assert server.process.poll() is None, "the server must wait for the request in flight"
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.base_url}/healthz", timeout=2)
        holder.execute("ROLLBACK")
        holder.close()
        request.join(timeout=60)
        assert answers[0].status_code == 200
        rows = list(csv.reader(io.StringIO(answers[0].content.decode("utf-8-sig"))))
        assert len([r for r in rows if r and r[0].startswith(("INF-", "SVC-", "INN-"))]) == 178
        assert server.process.wait(timeout=30) == 0
    lines = [json.loads(line) for line in server.log_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "app.access"]
    assert any(line["status"] == 200 and line["path"] == "/api/v1/projects" for line in access)
    # Uvicorn's own lines come out in the same JSON format.
    assert any(line.get("logger", "").startswith("uvicorn") for line in lines)


def test_metrics_add_up_across_workers(sqlite_url, tmp_path):
    metrics_dir = tmp_path / "metrics"
    with serve(
        sqlite_url, tmp_path, WORKERS="2", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)
    ) as server:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            for _ in range(20):
                assert client.get("/healthz").status_code == 200
            exposition = client.get("/metrics").text
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0
    [count] = [
        float(line.rsplit(" ", 1)[1])
        for line in exposition.splitlines()
        if line.startswith("portfolio_http_requests_total{")
        and 'route="/healthz"' in line
        and 'status="200"' in line
    ]
    # Startup probes of the test harness count too; at least the 20 sent here, whichever
    # worker answered each.
    assert count >= 20
    assert len(list(metrics_dir.glob("counter_*.db"))) >= 1


def test_stopping_the_app_closes_the_pools(sqlite_url, monkeypatch):
    _, secret = issue_token(sqlite_url, Role.planner)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as client:
            assert client.get("/readyz").status_code == 200
            parks = client.get("/api/v1/parks", headers={"Authorization": f"Bearer {secret}"})
            assert parks.status_code == 200
            database = client.app.state.database  # type: ignore[attr-defined]
            # The token check's connection and the route's session's, back in the pool.
            assert database.engine.pool.checkedin() >= 1
            assert database.probe_engine.pool.checkedin() == 1
        assert database.engine.pool.checkedin() == 0
        assert database.probe_engine.pool.checkedin() == 0
    finally:
        get_settings.cache_clear()
