"""Every error answers RFC 9457 problem+json."""

import re
from http import HTTPStatus

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.db import build_engine, get_probe_session, get_session
from app.main import create_app
from app.problems import MAX_ERRORS, Problem
from tests import factories
from tests.conftest import SessionClient


@pytest.fixture
def code(session) -> str:
    """A project of park gaoxin made for the test."""
    return factories.project(session).code


def test_unknown_route_is_404_problem(client):
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "Nothing is served at /api/v1/nowhere.",
        "instance": "/api/v1/nowhere",
        "request_id": response.headers["x-request-id"],
    }


def test_wrong_method_is_405_problem(client, auth):
    response = client.delete("/api/v1/parks", headers=auth())
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "DELETE is not allowed on /api/v1/parks."


def test_unexpected_failure_is_500_problem_without_internals():
    app = create_app()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret" not in response.text
    assert response.json()["title"] == "Internal Server Error"


def test_health_probes(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_readyz_is_503_when_the_database_is_gone():
    app = create_app()
    dead = build_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    app.dependency_overrides[get_probe_session] = lambda: Session(dead)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"


def test_openapi_documents_every_operation():
    spec = create_app().openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method} {path} has no summary"
            assert operation.get("description"), f"{method} {path} has no description"
            if path.startswith("/api/v1"):
                assert "401" in operation["responses"], f"{method} {path} lacks 401"
    for name in ("ProjectPublic", "ParkPublic", "ProgressEntryPublic", "CategoryPublic"):
        assert spec["components"]["schemas"][name].get("examples"), name
    assert "BearerToken" in spec["components"]["securitySchemes"]


def test_validation_problem_reads_as_a_sentence(client, auth):
    response = client.get(
        "/api/v1/projects", params={"status": "done", "limit": "many"}, headers=auth()
    )
    body = response.json()
    assert body["detail"].startswith("Invalid input: query status[0]: Input should be")
    assert "query limit: Input should be a valid integer" in body["detail"]
    assert {tuple(e["loc"]) for e in body["errors"]} == {("query", "status", 0), ("query", "limit")}


def test_405_names_every_method_of_the_path(client, auth):
    response = client.request("PUT", "/api/v1/projects/INF-001/progress", headers=auth())
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


def test_body_that_is_not_text_is_422(client, auth, code):
    response = client.post(
        f"/api/v1/projects/{code}/progress",
        content=b"\xff\xfe@\x00",
        headers={**auth("admin"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][0] == "body"


def test_ids_beyond_the_integer_range_are_422(client, auth):
    huge = "/api/v1/projects/INF-001/progress/10000000000000000001/approve"
    assert client.post(huge, headers=auth("planner")).status_code == 422
    assert (
        client.get("/api/v1/projects?offset=10000000000000000000", headers=auth()).status_code
        == 422
    )


def test_dates_are_iso_only(client, auth):
    for bad in ("0", "1700000000", "2026/10/31", "0288-01-24"):
        response = client.get(f"/api/v1/projects?as_of={bad}", headers=auth())
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["loc"] == ["query", "as_of"]


def test_database_busy_is_503(serve_database, session, auth):
    app = create_app()

    def busy():
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    app.dependency_overrides[get_session] = busy
    with SessionClient(app, session, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/parks")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"] == "application/problem+json"


def _resolve(spec, schema):
    schema = next((s for s in schema.get("anyOf", []) if "$ref" in s), schema)
    ref = schema.get("$ref")
    return spec["components"]["schemas"][ref.split("/")[-1]] if ref else schema


def test_openapi_has_examples_for_bodies_and_answers():
    spec = create_app().openapi()
    missing = []
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            for media, content in body.items():
                schema = _resolve(spec, content.get("schema", {}))
                if media == "application/json" and not schema.get("examples"):
                    missing.append(f"{method} {path} request")
            for status, response in operation["responses"].items():
                if not status.startswith("2"):
                    continue
                content = response.get("content", {}).get("application/json")
                if content and not _resolve(spec, content["schema"]).get("examples"):
                    missing.append(f"{method} {path} {status}")
    assert missing == []


def test_openapi_declares_validator_and_location_headers():
    paths = create_app().openapi()["paths"]
    assert "ETag" in paths["/api/v1/projects/{code}"]["get"]["responses"]["200"]["headers"]
    assert "ETag" in paths["/api/v1/parks/{park_id}"]["patch"]["responses"]["200"]["headers"]
    created = paths["/api/v1/projects"]["post"]["responses"]["201"]["headers"]
    assert {"ETag", "Location"} <= set(created)
    report = paths["/api/v1/projects/{code}/progress"]["post"]["responses"]["201"]["headers"]
    assert {"Location", "Idempotent-Replayed"} <= set(report)
    rollup = paths["/api/v1/rollups"]["get"]["responses"]
    assert "ETag" in rollup["200"]["headers"]
    assert "304" in rollup
    assert {"application/json", "text/csv"} <= set(rollup["200"]["content"])


def test_nul_characters_are_refused_not_stored(client, auth, code):
    assert client.get("/api/v1/projects", params={"q": "a\x00b"}, headers=auth()).status_code == 422
    assert (
        client.get(
            "/api/v1/rollups", params={"by": "park", "park": "\x00"}, headers=auth()
        ).status_code
        == 422
    )
    response = client.post(
        f"/api/v1/projects/{code}/progress",
        json={"as_of": "2026-10-31", "status": "under_construction", "note": "主体\x00施工"},
        headers=auth("admin"),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "note"]


def _operations():
    for path, operations in create_app().openapi()["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def test_every_documented_error_has_its_own_example():
    for name, operation in _operations():
        for status, response in operation["responses"].items():
            if not status.isdigit() or int(status) < 400:
                continue
            content = response["content"]
            assert "application/problem+json" in content, (name, status)
            for media_type in content.values():
                example = media_type["example"]
                assert example["status"] == int(status), (name, status)
                assert example["title"] == HTTPStatus(int(status)).phrase, (name, status)
                assert Problem.model_validate(example)
                if status == "422":
                    assert example["errors"], name
                    assert example["error_count"] == len(example["errors"]), name


def _texts(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary", "detail") and isinstance(value, str):
                yield value
            yield from _texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value)


def test_the_document_has_no_cut_off_or_ungrammatical_text():
    texts = set(_texts(create_app().openapi()))
    assert texts
    for text in texts:
        assert not re.search(r"'s\.$|\bthe\.$|\bfor\.$", text), text
        assert not re.search(r"\b[Aa] [aeio]\w", text), text


def test_refusal_details_are_whole_sentences(client, auth):
    unknown = client.get("/api/v1/projects?colour=red", headers=auth())
    assert unknown.status_code == 422
    assert unknown.json()["detail"].endswith("see /docs for this operation's parameters.")
    refused = client.post(
        "/api/v1/parks/gaoxin/archive", headers={**auth("officer", "gaoxin"), "If-Match": "*"}
    )
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("This officer token may not")


def test_a_long_list_of_invalid_fields_is_cut(client, auth, code):
    unknown = {f"k{i}": 0 for i in range(3000)}
    body = {"as_of": "2026-10-31", "status": "suspended", **unknown}
    response = client.post(
        f"/api/v1/projects/{code}/progress", json=body, headers=auth("officer", "gaoxin")
    )
    assert response.status_code == 422
    problem = response.json()
    assert len(problem["errors"]) == MAX_ERRORS
    assert problem["error_count"] == 3000
    assert {e["type"] for e in problem["errors"]} == {"extra_forbidden"}
    assert problem["detail"].endswith(f"Only the first {MAX_ERRORS} of 3000 errors are listed.")
    assert len(response.content) < 16_000


def test_a_short_list_of_invalid_fields_is_whole(client, auth, code):
    response = client.post(
        f"/api/v1/projects/{code}/progress",
        json={"as_of": "someday", "colour": "red"},
        headers=auth("officer", "gaoxin"),
    )
    problem = response.json()
    assert problem["error_count"] == len(problem["errors"]) == 3
    assert "Only the first" not in problem["detail"]
