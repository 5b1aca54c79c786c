"""PostgreSQL going away: fast 503s, readiness failing, recovery, and no half-written data."""

import contextlib
import socket
import threading
import time

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import get_settings
from app.db import build_engine, get_probe_session, get_session, get_statements
from app.main import create_app
from app.models import Role
from tests import factories
from tests.ops.conftest import issue_token, serve

PROBLEM = "application/problem+json"
UPLOAD_HEADERS = ["项目编号", "报告日期", "项目状态", "完成百分比（%）", "累计完成投资（万元）",
                  "形象进度", "存在问题"]  # fmt: skip


def _own_project(url: str) -> str:
    """A project of park gaoxin made for the test in the database at `url`: its code."""
    engine = build_engine(url)
    with Session(engine) as session:
        code = factories.project(session).code
    engine.dispose()
    return code


def _figures(engine: sa.Engine, code: str) -> tuple[object, ...]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT p.status, p.percent_complete, p.invested_to_date_wan, p.open_issues, "
                "p.updated_at, (SELECT count(*) FROM progress_entry e WHERE e.project_id = p.id) "
                "FROM project p WHERE p.code = :code"
            ),
            {"code": code},
        ).one()
    return tuple(row)


def _totals(engine: sa.Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        entries = conn.execute(sa.text("SELECT count(*) FROM progress_entry")).scalar_one()
        keys = conn.execute(sa.text("SELECT count(*) FROM idempotency_record")).scalar_one()
    return entries, keys


def _wait_for_lock_waiter(engine: sa.Engine, table: str, answers: list[httpx.Response]) -> int:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert not answers, f"the request was answered before it waited: {answers[0].text}"
        with engine.connect() as conn:
            pid = conn.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query ILIKE :pattern AND pid <> pg_backend_pid()"
                ),
                {"pattern": f"%{table}%"},
            ).scalar()
        if pid is not None:
            return int(pid)
        time.sleep(0.05)
    raise AssertionError(f"no request came to wait on {table}")


def test_database_down_answers_503_fast_then_recovers(pg_cluster, tmp_path):
    pg_cluster.ensure_running()
    url = pg_cluster.create_database()
    own = _own_project(url)
    _, secret = issue_token(url, Role.admin)
    headers = {"Authorization": f"Bearer {secret}"}
    with (
        serve(url, tmp_path) as server,
        httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as client,
    ):
        assert client.get("/api/v1/projects").status_code == 200
        assert client.get("/readyz").status_code == 200

        pg_cluster.stop("immediate")
        slowest = 0.0
        for method, path in [
            ("GET", "/api/v1/projects"),
            ("GET", f"/api/v1/projects/{own}"),
            ("GET", "/api/v1/rollups?by=park"),
            ("GET", "/api/v1/projects?format=csv"),
            ("POST", f"/api/v1/projects/{own}/progress"),
            ("GET", "/readyz"),
        ]:
            started = time.monotonic()
            body = {"as_of": "2024-01-31", "status": "under_construction"}
            response = client.request(method, path, json=body if method == "POST" else None)
            elapsed = time.monotonic() - started
            slowest = max(slowest, elapsed)
            assert response.status_code == 503, (path, response.text)
            assert response.headers["content-type"] == PROBLEM
            assert response.json()["request_id"] == response.headers["x-request-id"]
            assert elapsed < 2, (path, elapsed)
        assert client.get("/healthz").status_code == 200
        print(f"\nslowest 503 with the database down: {slowest * 1000:.0f} ms")

        pg_cluster.start()
        restarted = time.monotonic()
        while client.get("/api/v1/projects").status_code != 200:
            assert time.monotonic() - restarted < 20, "the service did not recover"
            time.sleep(0.1)
        print(f"first 200 after the database returned: {time.monotonic() - restarted:.2f} s")
        assert client.get("/readyz").status_code == 200
        created = client.post(
            f"/api/v1/projects/{own}/progress",
            json={"as_of": "2024-01-31", "status": "under_construction"},
        )
        assert created.status_code == 201, created.text
    assert '"status": 503' in server.log_text()


def test_report_cut_off_mid_transaction_leaves_nothing(pg_cluster, tmp_path):
    pg_cluster.ensure_running()
    url = pg_cluster.create_database()
    own = _own_project(url)
    token_id, secret = issue_token(url, Role.officer, "gaoxin")
    engine = sa.create_engine(url)
    before, totals = _figures(engine, own), _totals(engine)
    report = {
        "as_of": "2024-03-31",
        "status": "completed",
        "percent_complete": 100,
        "milestones": {"completion": "2024-03-20"},
    }
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "cut-off-1"}
    with serve(url, tmp_path) as server, engine.connect() as holder:
        # An uncommitted record with the same key makes the request wait on the unique index
        # at commit: by then its entry is inserted and the project row updated.
        holder.execute(
            sa.text(
                "INSERT INTO idempotency_record "
                "(token_id, key, fingerprint, status_code, response_body, created_at) "
                "VALUES (:token, 'cut-off-1', 'x', 201, '{}', now())"
            ),
            {"token": token_id},
        )
        answers: list[httpx.Response] = []
        request = threading.Thread(
            target=lambda: answers.append(
                httpx.post(
                    f"{server.base_url}/api/v1/projects/{own}/progress",
                    json=report,
                    headers=headers,
                    timeout=30,
                )
            )
        )
        request.start()
        pid = _wait_for_lock_waiter(engine, "idempotency_record", answers)
        with engine.connect() as killer:
            assert killer.execute(sa.select(sa.func.pg_terminate_backend(pid))).scalar_one()
        request.join(timeout=30)
        holder.rollback()
        assert answers[0].status_code == 503, answers[0].text
        assert answers[0].headers["content-type"] == PROBLEM
        assert _figures(engine, own) == before
        assert _totals(engine) == totals

        # The retry with the same key is stored once, as if the first attempt never happened.
        retried = httpx.post(
            f"{server.base_url}/api/v1/projects/{own}/progress",
            json=report,
            headers=headers,
            timeout=30,
        )
        assert retried.status_code == 201, retried.text
        assert _totals(engine) == (totals[0] + 1, totals[1] + 1)
        assert _figures(engine, own)[0] == "completed"
    engine.dispose()


def test_upload_cut_off_mid_transaction_leaves_nothing(pg_cluster, tmp_path):
    pg_cluster.ensure_running()
    url = pg_cluster.create_database()
    _, secret = issue_token(url, Role.officer, "gaoxin")
    engine = sa.create_engine(url)
    codes = ["INF-002", "INF-003", "INF-004"]
    with engine.begin() as conn:
        # The third row of the file waits on an advisory lock the test holds, after the first
        # two rows were inserted and their projects updated.
        conn.execute(
            sa.text(
                "CREATE FUNCTION hold_marked_row() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN IF NEW.note = 'hold' THEN PERFORM pg_advisory_xact_lock(4242); END IF; "
                "RETURN NEW; END $$"
            )
        )
        conn.execute(
            sa.text(
                "CREATE TRIGGER hold_marked_row BEFORE INSERT ON progress_entry "
                "FOR EACH ROW EXECUTE FUNCTION hold_marked_row()"
            )
        )
    before = {code: _figures(engine, code) for code in codes}
    totals = _totals(engine)
    lines = [",".join(UPLOAD_HEADERS)]
    lines += [
        f"{code},2024-03-31,在建,40,,{'hold' if code == codes[-1] else '进展'}," for code in codes
    ]
    content = ("\n".join(lines) + "\n").encode()
    with serve(url, tmp_path) as server, engine.connect() as holder:
        holder.execute(sa.select(sa.func.pg_advisory_lock(4242)))
        answers: list[httpx.Response] = []
        request = threading.Thread(
            target=lambda: answers.append(
                httpx.post(
                    f"{server.base_url}/api/v1/progress-uploads",
                    files={"file": ("report.csv", content, "text/csv")},
                    headers={"Authorization": f"Bearer {secret}"},
                    timeout=30,
                )
            )
        )
        request.start()
        pid = _wait_for_lock_waiter(engine, "progress_entry", answers)
        with engine.connect() as killer:
            assert killer.execute(sa.select(sa.func.pg_terminate_backend(pid))).scalar_one()
        request.join(timeout=30)
        holder.execute(sa.select(sa.func.pg_advisory_unlock(4242)))
        holder.commit()
        assert answers[0].status_code == 503, answers[0].text
        assert {code: _figures(engine, code) for code in codes} == before
        assert _totals(engine) == totals
    engine.dispose()


@pytest.fixture(autouse=True)
def _cluster_up_afterwards(request):
    yield
    if "pg_cluster" in request.fixturenames:
        request.getfixturevalue("pg_cluster").ensure_running()


@pytest.mark.parametrize(
    "failure",
    [
        sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused")),
        sa.exc.InterfaceError("SELECT 1", {}, Exception("connection already closed")),
        sa.exc.TimeoutError("QueuePool limit of size 5 overflow 5 reached"),
    ],
    ids=["down", "cut-off", "pool-exhausted"],
)
def test_database_failures_are_503_not_500(failure):
    app = create_app()

    def unavailable():
        raise failure

    app.dependency_overrides[get_session] = unavailable
    app.dependency_overrides[get_probe_session] = unavailable
    app.dependency_overrides[get_statements] = unavailable
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        response = client.get("/api/v1/parks", headers={"Authorization": "Bearer kp_x"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"] == PROBLEM


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never answers, like a host behind a dead link."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
    for conn in held:
        conn.close()


def test_unanswering_database_is_503_after_the_connect_timeout(silent_server, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://u@127.0.0.1:{silent_server}/db")
    monkeypatch.setenv("DB_CONNECT_TIMEOUT", "2")
    get_settings.cache_clear()
    try:
        with TestClient(create_app(), raise_server_exceptions=False) as client:
            started = time.monotonic()
            response = client.get("/readyz")
            elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert 1.5 < elapsed < 4, elapsed
    finally:
        get_settings.cache_clear()
