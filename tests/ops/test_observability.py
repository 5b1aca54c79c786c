"""Request ids, JSON access lines and Prometheus metrics."""

import json
import logging

import pytest

from app.config import get_settings
from app.db import get_probe_session
from app.logs import configure_logging, request_id_from
from app.main import create_app
from tests import factories
from tests.conftest import SessionClient


@pytest.fixture
def json_client(capsys, serve_database, session, monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    get_settings.cache_clear()
    app = create_app()
    with SessionClient(app, session, raise_server_exceptions=False) as client:
        yield client
    get_settings.cache_clear()


@pytest.fixture
def code(session) -> str:
    """A project of park gaoxin made for the test."""
    return factories.project(session).code


def _lines(captured: str) -> list[dict]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]


def _sample(exposition: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in exposition.splitlines():
        if line.startswith(f"{name}{{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0 if wanted else float("nan")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("abc-123_x.y:z", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("bad id", False),
        ("line\\nbreak", False),
        ("", False),
    ],
)
def test_incoming_request_id_is_kept_only_when_sane(sent, kept):
    assert (request_id_from(sent) == sent) is kept
    assert len(request_id_from(None)) == 32


def test_every_response_names_its_request(json_client):
    generated = json_client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32
    echoed = json_client.get("/healthz", headers={"X-Request-ID": "lb-7f3a"})
    assert echoed.headers["x-request-id"] == "lb-7f3a"
    refused = json_client.get("/healthz", headers={"X-Request-ID": "x" * 200})
    assert refused.headers["x-request-id"] != "x" * 200
    problem = json_client.get("/api/v1/projects", headers={"X-Request-ID": "trace-1"})
    assert problem.status_code == 401
    assert problem.json()["request_id"] == "trace-1"
    assert problem.headers["x-request-id"] == "trace-1"


def test_access_line_is_json_with_token_but_never_its_secret(json_client, token_for, capsys, code):
    secret = token_for("planner")
    capsys.readouterr()
    response = json_client.get(
        f"/api/v1/projects/{code}",
        headers={"Authorization": f"Bearer {secret}", "X-Request-ID": "req-42"},
    )
    assert response.status_code == 200
    captured = capsys.readouterr().err
    assert secret not in captured
    [access] = [line for line in _lines(captured) if line["logger"] == "app.access"]
    assert access["event"] == "request"
    assert access["request_id"] == "req-42"
    assert access["method"] == "GET"
    assert access["path"] == f"/api/v1/projects/{code}"
    assert access["route"] == "/api/v1/projects/{code}"
    assert access["status"] == 200
    assert access["duration_ms"] >= 0
    assert access["role"] == "planner"
    assert isinstance(access["token_id"], int)
    assert access["level"] == "info"
    assert access["timestamp"].endswith("Z")


def test_no_access_line_below_its_level(json_client, capsys):
    configure_logging(level="warning", console=False)
    try:
        capsys.readouterr()
        assert json_client.get("/healthz").status_code == 200
        assert json_client.get("/api/v1/projects").status_code == 401
        lines = _lines(capsys.readouterr().err)
    finally:
        configure_logging(level=get_settings().log_level, console=False)
    assert [line for line in lines if line["logger"] == "app.access"] == []


def test_lines_logged_inside_a_request_carry_its_id(json_client, capsys, monkeypatch):
    def broken():
        raise RuntimeError("boom")

    json_client.app.dependency_overrides[get_probe_session] = broken
    capsys.readouterr()
    response = json_client.get("/readyz", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.json()["request_id"] == "req-500"
    lines = _lines(capsys.readouterr().err)
    failure = next(line for line in lines if line["logger"] == "app.problems")
    assert failure["request_id"] == "req-500"
    assert "RuntimeError" in failure["exception"]
    access = next(line for line in lines if line["logger"] == "app.access")
    assert access["status"] == 500


def test_metrics_count_requests_reports_and_rollups(json_client, auth, code):
    officer = auth("officer", "gaoxin")
    planner = auth("planner")

    def scrape() -> str:
        response = json_client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        return response.text

    before = scrape()
    assert json_client.get(f"/api/v1/projects/{code}", headers=planner).status_code == 200
    created = json_client.post(
        f"/api/v1/projects/{code}/progress",
        json={"as_of": "2024-05-31", "status": "under_construction"},
        headers=officer,
    )
    assert created.status_code == 201
    assert json_client.get("/api/v1/rollups?by=park,category", headers=planner).status_code == 200
    after = scrape()

    def grew(name: str, **labels: str) -> float:
        return _sample(after, name, **labels) - _sample(before, name, **labels)

    route = "/api/v1/projects/{code}"
    assert grew("portfolio_http_requests_total", method="GET", route=route, status="200") == 1
    assert grew("portfolio_http_request_duration_seconds_count", method="GET", route=route) == 1
    assert grew("portfolio_progress_reports_stored_total", source="api") == 1
    # One observation per rollup computed, whatever its groupings (rows, totals) cost.
    assert grew("portfolio_rollup_query_duration_seconds_count", dimension="park,category") == 1
    assert grew("portfolio_rollup_query_duration_seconds_count", dimension="park") == 0
    # Unknown paths share one label instead of growing the series without bound.
    json_client.get("/no/such/path/123")
    assert 'route="unmatched",status="404"' in scrape()
    # So do invented methods.
    assert json_client.request("BREW", "/healthz").status_code == 405
    exposition = scrape()
    assert 'method="OTHER",route="/healthz",status="405"' in exposition
    assert 'method="BREW"' not in exposition


def test_metrics_are_outside_the_api_schema(json_client):
    assert "/metrics" not in json_client.get("/openapi.json").json()["paths"]


def test_metrics_token_guards_metrics(json_client, monkeypatch):
    monkeypatch.setenv("METRICS_TOKEN", "scrape-secret")
    get_settings.cache_clear()
    refused = json_client.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert json_client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    allowed = json_client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert allowed.status_code == 200


def test_refused_oversized_body_names_its_request(json_client, auth, code):
    response = json_client.post(
        f"/api/v1/projects/{code}/progress",
        content=b"x" * 200_000,
        headers={**auth("officer"), "Content-Type": "application/json", "X-Request-ID": "big-1"},
    )
    assert response.status_code == 413
    assert response.json()["request_id"] == "big-1"
    assert response.headers["x-request-id"] == "big-1"


def test_console_tracebacks_leave_out_the_frames_locals(capsys):
    # Development logs render tracebacks for a terminal; a frame's locals would print the
    # request's headers, its bearer token among them.
    configure_logging(level="info", console=True)
    try:
        authorization = "Bearer " + "kp_" + "s3cr3t" * 3  # noqa: F841 - the local it must not show
        raise RuntimeError("the error itself is shown")
    except RuntimeError:
        logging.getLogger("app.problems").exception("unhandled error")
    finally:
        configure_logging(level="info", console=False)
    err = capsys.readouterr().err
    assert "the error itself is shown" in err
    assert "s3cr3t" * 3 not in err
