"""API9:2023 Improper inventory management: the OpenAPI document, and so /docs, lists exactly
the operations the app serves, each described; nothing undocumented or left over from
debugging is served."""

from app.main import create_app
from tests import factories
from tests.security.conftest import is_page, served_operations

# Served outside the API document on purpose: Prometheus scrapes it, people do not.
OPERATIONS_ROUTES = {("GET", "/metrics")}
DOC_ROUTES = {
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}


def _documented(schema):
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    }


def test_openapi_lists_exactly_the_served_operations(client):
    served = {op: shown for op, shown in served_operations(client.app).items() if not is_page(op)}
    hidden = {op for op, in_schema in served.items() if not in_schema}
    assert hidden == DOC_ROUTES | OPERATIONS_ROUTES
    assert _documented(client.get("/openapi.json").json()) == set(served) - hidden


def test_pages_stay_out_of_the_api_document(client):
    pages = {op: shown for op, shown in served_operations(client.app).items() if is_page(op)}
    assert pages
    assert not any(pages.values())


def test_docs_page_reads_the_same_document(client):
    page = client.get("/docs").text
    assert "/openapi.json" in page
    assert "/openapi.json" in client.get("/redoc").text


def test_every_operation_is_described_with_its_errors(client):
    schema = client.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation.get("description"), where
            assert operation.get("tags"), where
            if path.startswith("/api/"):
                assert "401" in operation["responses"], where
                assert [set(r) for r in operation["security"]] == [{"BearerToken"}], where
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"


def test_one_api_version_is_served(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert all(p.startswith("/api/v1/") or p in ("/healthz", "/readyz") for p in paths)


def test_no_debug_or_test_routes(client, session):
    words = ("debug", "test", "admin", "internal", "metrics", "shutdown", "env", "config", "sql")
    for method, path in served_operations(create_app()):
        if (method, path) in OPERATIONS_ROUTES:
            continue
        parts = path.lower().strip("/").split("/")
        assert not any(word in parts for word in words), path
    assert client.app.debug is False
    code = factories.project(session).code
    assert client.get(f"/api/v1/projects/{code}/debug").status_code in (401, 404)
