"""Many officers reporting at once on PostgreSQL lose nothing and keep the right status."""

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import httpx
import pytest
import uvicorn
from sqlmodel import Session, select

from app.auth.tokens import create_token
from app.config import get_settings
from app.db import build_engine
from app.main import create_app
from app.models import ProgressEntry, Project, Role
from tests import factories
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="concurrent writers need PostgreSQL")

CLIENTS = 8
REPORTS_EACH = 50
PROJECTS = 4  # made by the test, all in park gaoxin
STATUSES = ["pre_construction", "under_construction", "suspended"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(serve_database, monkeypatch) -> Iterator[tuple[str, object]]:
    monkeypatch.setenv("DB_POOL_SIZE", "10")
    get_settings.cache_clear()
    engine = build_engine(serve_database, pool_size=10)
    app = create_app()
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", engine
    uvicorn_server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def test_parallel_officers_lose_nothing(server):
    base, engine = server
    with Session(engine) as session:  # type: ignore[arg-type]
        codes = [
            factories.project(session, name=f"并发项目{i}", start_year=2021, end_year=2023).code
            for i in range(PROJECTS)
        ]
        secrets = [
            create_token(session, name=f"officer-{i}", role=Role.officer, park_id="gaoxin")[1]
            for i in range(CLIENTS)
        ]

    def client_run(index: int) -> list[int]:
        ids = []
        headers = {"Authorization": f"Bearer {secrets[index]}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            for n in range(REPORTS_EACH):
                # Dates interleave across clients and collide within months: revisions race.
                as_of = date(2022, 1, 1) + timedelta(days=(n * CLIENTS + index) % 300)
                response = client.post(
                    f"/api/v1/projects/{codes[n % len(codes)]}/progress",
                    json={
                        "as_of": as_of.isoformat(),
                        "status": STATUSES[(n + index) % 3],
                        "issues": "堵点" if (n + index) % 5 == 0 else "",
                        # Statuses race back and forth: each report says it is right.
                        "reason": "并发测试",
                    },
                    headers={"Idempotency-Key": f"c{index}-r{n}"},
                )
                assert response.status_code == 201, response.text
                ids.append(response.json()["id"])
        return ids

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(client_run, range(CLIENTS)))
    ids = [i for r in results for i in r]
    assert len(set(ids)) == CLIENTS * REPORTS_EACH

    with Session(engine) as session:  # type: ignore[arg-type]
        for code in codes:
            project = session.exec(select(Project).where(Project.code == code)).one()
            entries = session.exec(
                select(ProgressEntry).where(
                    ProgressEntry.project_id == project.id,
                    ProgressEntry.is_baseline == False,  # noqa: E712
                )
            ).all()
            position = codes.index(code)
            sent = sum(1 for n in range(REPORTS_EACH) if n % len(codes) == position)
            assert len(entries) == CLIENTS * sent
            by_period: dict[str, list[int]] = {}
            for entry in entries:
                by_period.setdefault(entry.period, []).append(entry.revision)
            for revisions in by_period.values():
                assert sorted(revisions) == list(range(1, len(revisions) + 1))
            # Current: the newest revision of each period, then the latest date, then receipt.
            counting = [
                max((e for e in entries if e.period == p), key=lambda e: e.revision)
                for p in by_period
            ]
            current = max(counting, key=lambda e: (e.as_of, e.received_at, e.id))
            assert project.status == current.status
            assert project.percent_complete == current.percent_complete
            assert project.invested_to_date_wan == current.invested_to_date_wan
            assert project.open_issues == bool(current.issues)

    # A retry after the storm replays its first answer.
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {secrets[0]}"}, timeout=60
    ) as client:
        as_of = date(2022, 1, 1)
        replay = client.post(
            f"/api/v1/projects/{codes[0]}/progress",
            json={
                "as_of": as_of.isoformat(),
                "status": STATUSES[0],
                "issues": "堵点",
                "reason": "并发测试",
            },
            headers={"Idempotency-Key": "c0-r0"},
        )
        assert replay.status_code == 201
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.json()["id"] == results[0][0]
