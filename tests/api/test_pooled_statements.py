"""The asyncio pool (`PooledStatements`) answers exactly as the request's session does.

The rest of the suite runs every statement on its test's session (tests/conftest.py), so
these tests serve committed data from a database of their own, once through the pool and
once through the session, and compare the answers.
"""

import asyncio
import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import migrate
from app.auth.deps import Principal
from app.auth.tokens import create_token, revoke_token
from app.config import get_settings
from app.db import (
    PooledStatements,
    SessionStatements,
    build_async_engine,
    build_engine,
    get_async_engine,
    get_engine,
)
from app.main import create_app
from app.models import Role, utcnow
from app.progress.schemas import ProgressCreate
from app.progress.service import create_progress
from app.seeding.extract import SEED_DIR
from app.seeding.load import load_seed
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(PG_URL is None, reason="the asyncio pool serves PostgreSQL only")

CODES = ["INF-001", "INF-005", "SVC-003", "INN-114"]
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def committed(make_database: Callable[[], str]) -> dict[str, str]:
    """A migrated, seeded database with tokens and a report, all committed."""
    url = make_database()
    # The server's sessions speak China time, as a database set up there may: the pool's
    # timestamps must still come back in UTC, as the session's do.
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        name = conn.execute(sa.text("SELECT current_database()")).scalar_one()
        conn.execute(sa.text(f"ALTER DATABASE \"{name}\" SET timezone TO 'Asia/Shanghai'"))
    admin.dispose()
    migrate.upgrade(url)
    engine = build_engine(url)
    secrets: dict[str, str] = {"url": url}
    with Session(engine) as session:
        load_seed(session, seed_dir=SEED_DIR)
        for role in (Role.admin, Role.planner):
            secrets[role.value] = create_token(session, name=f"pool-{role}", role=role)[1]
        secrets["officer"] = create_token(
            session, name="pool-officer", role=Role.officer, park_id="gaoxin"
        )[1]
        revoked, secrets["revoked"] = create_token(session, name="pool-revoked", role=Role.admin)
        assert revoked.id is not None
        revoke_token(session, token_id=revoked.id)
        expiring, secrets["expired"] = create_token(
            session, name="pool-expired", role=Role.admin, expires_at=utcnow() + timedelta(hours=1)
        )
        session.execute(
            sa.text("UPDATE api_token SET expires_at = now() - interval '1 minute' WHERE id = :i"),
            {"i": expiring.id},
        )
        session.commit()
        admin = Principal(token_id=revoked.id, name="pool test", role=Role.admin, park_id=None)
        report = create_progress(
            SessionStatements(session),
            code="INF-005",
            report=ProgressCreate.model_validate(
                {
                    "as_of": "2024-03-31",
                    "status": "under_construction",
                    "percent_complete": 40,
                    "invested_to_date_wan": 1200,
                    "note": "主体施工",
                    "issues": "用地手续未完成",
                }
            ),
            principal=admin,
        )
        asyncio.run(report)
    engine.dispose()
    return secrets


@pytest.fixture
def serving(
    committed: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[bool], TestClient]]:
    """A client of an app on the committed database, with or without the asyncio pool."""
    clients: list[TestClient] = []

    def start(pooled: bool) -> TestClient:
        for client in clients:
            client.__exit__(None, None, None)
        clients.clear()
        monkeypatch.setenv("DATABASE_URL", committed["url"])
        monkeypatch.setenv("DB_ASYNC_POOL", "true" if pooled else "false")
        for cached in (get_settings, get_engine, get_async_engine):
            cached.cache_clear()
        app = create_app()
        assert (get_async_engine() is not None) is pooled
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)
    get_engine().dispose()
    for cached in (get_settings, get_engine, get_async_engine):
        cached.cache_clear()


def _answers(client: TestClient, secrets: dict[str, str]) -> list[tuple[object, ...]]:
    answers = []
    for role in ("admin", "planner", "officer", "revoked", "expired"):
        headers = {"Authorization": f"Bearer {secrets[role]}"}
        for code in [*CODES, "INF-999", "inf-005"]:
            for figures in ("latest", "official"):
                response = client.get(
                    f"/api/v1/projects/{code}", params={"figures": figures}, headers=headers
                )
                body = response.json()
                body.pop("request_id", None)
                answers.append(
                    (role, code, figures, response.status_code, response.headers.get("etag"),
                     response.headers["content-type"], body)
                )  # fmt: skip
    return answers


def test_the_pool_answers_as_the_session_does(serving, committed):
    pooled = _answers(serving(True), committed)
    by_session = _answers(serving(False), committed)
    assert pooled == by_session
    statuses = {(role, code): status for role, code, _, status, *_ in pooled}
    assert statuses["admin", "INF-005"] == statuses["officer", "SVC-003"] == 200
    assert statuses["admin", "INF-999"] == 404
    assert statuses["revoked", "INF-005"] == statuses["expired", "INF-005"] == 401
    reported = next(a for a in pooled if a[:3] == ("planner", "INF-005", "latest"))
    assert reported[-1]["latest_progress"]["issues"] == "用地手续未完成"
    assert reported[-1]["latest_progress"]["note"] == "主体施工"


def test_the_pool_records_a_tokens_last_use(serving, committed):
    engine = sa.create_engine(committed["url"])
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE api_token SET last_used_at = NULL"))
    client = serving(True)
    headers = {"Authorization": f"Bearer {committed['planner']}"}
    assert client.get("/api/v1/projects/INF-001", headers=headers).status_code == 200
    with engine.connect() as conn:
        used = conn.execute(
            sa.text("SELECT name, last_used_at IS NOT NULL FROM api_token ORDER BY name")
        ).all()
    engine.dispose()
    assert ("pool-planner", True) in used
    assert ("pool-admin", False) in used


def test_a_connection_cut_off_is_not_handed_out_again(serving, committed):
    client = serving(True)
    headers = {"Authorization": f"Bearer {committed['planner']}"}
    assert client.get("/api/v1/projects/INF-001", headers=headers).status_code == 200
    engine = sa.create_engine(committed["url"], isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        ended = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    engine.dispose()
    assert ended >= 1
    first = client.get("/api/v1/projects/INF-001", headers=headers)
    # The pooled connection was idle for less than the ping interval, so the request finds
    # it dead: a 503 problem, and the connection is discarded.
    assert first.status_code in (200, 503), first.text
    if first.status_code == 503:
        assert first.headers["content-type"] == PROBLEM
    assert client.get("/api/v1/projects/INF-001", headers=headers).status_code == 200


def _reports(client: TestClient, secrets: dict[str, str], code: str) -> list[tuple[object, ...]]:
    """A report's round of requests on one project, each answer without what must differ."""
    admin = {"Authorization": f"Bearer {secrets['admin']}"}
    officer = {"Authorization": f"Bearer {secrets['officer']}"}
    keyed = {**admin, "Idempotency-Key": f"pool-{code}"}
    first = {"as_of": "2024-05-31", "status": "under_construction", "percent_complete": 30,
             "invested_to_date_wan": 500, "note": "基础施工", "issues": "设备到货延迟"}  # fmt: skip
    rounds = [
        (keyed, code, first),
        (keyed, code, first),  # the retry: replayed
        (keyed, code, {**first, "percent_complete": 31}),  # the key with another body: 422
        (admin, code, {**first, "as_of": "2024-06-30", "invested_to_date_wan": 400}),  # 422
        (admin, code, {**first, "percent_complete": 35}),  # the period's revision 2
        (admin, code, {**first, "status": "completed"}),  # 422: completed at 30 %
        (admin, "INF-999", first),  # 404
        (officer, "SVC-004", first),  # another park's project: 403
    ]
    answers = []
    for headers, target, body in rounds:
        response = client.post(f"/api/v1/projects/{target}/progress", json=body, headers=headers)
        answer = response.json()
        for varying in ("id", "project_code", "request_id", "instance"):
            answer.pop(varying, None)
        if "received_at" in answer:  # its time differs, its zone must not
            answer["received_at"] = re.sub(r"^[\d:.T-]+", "", answer["received_at"])
        if "detail" in answer:
            answer["detail"] = answer["detail"].replace(code, "CODE")
        answers.append(
            (response.status_code, response.headers["content-type"],
             response.headers.get("idempotent-replayed"), answer)
        )  # fmt: skip
    history = client.get(f"/api/v1/projects/{code}/progress", headers=admin).json()["items"]
    answers.append(tuple((e["period"], e["revision"], e["percent_complete"]) for e in history))
    return answers


def test_reports_through_the_pool_as_through_the_session(serving, committed):
    pooled = _reports(serving(True), committed, "INF-010")
    by_session = _reports(serving(False), committed, "INF-011")
    assert pooled == by_session
    statuses = [answer[0] for answer in pooled[:-1]]
    assert statuses == [201, 201, 422, 422, 201, 422, 404, 403]
    assert pooled[1][2] == "true"
    assert pooled[1][3] == pooled[0][3]
    assert pooled[0][3]["note"] == "基础施工"
    assert pooled[0][3]["issues"] == "设备到货延迟"
    assert pooled[0][3]["received_at"] == "Z"
    # Two reports stored for the period, the revision newest; the refused ones stored nothing.
    assert pooled[-1][:2] == (("2024-05", 2, 35), ("2024-05", 1, 30))


def test_a_pooled_transaction_raises_integrity_errors_as_the_session_does(committed):
    statement = sa.text(
        "INSERT INTO park (id, name, aliases, table4_name, tier, position, version) "
        "VALUES ('pool-x', '测试园区', '[]', '测试', 'x', 999, 1)"
    )

    async def twice() -> None:
        engine = build_async_engine(committed["url"])
        statements = PooledStatements(engine)

        async def insert_twice() -> None:
            async with statements.transaction() as transaction:
                await transaction.execute(statement, {})
                await transaction.execute(statement, {})

        try:
            with pytest.raises(IntegrityError):
                await insert_twice()
            # Rolled back, and the connection is clean for the next request.
            found = await statements.first(
                sa.text("SELECT count(*) AS n FROM park WHERE id = 'pool-x'"), {}
            )
            assert found == {"n": 0}
        finally:
            await engine.dispose()

    asyncio.run(twice())
