"""API7:2023 Server side request forgery does not apply: the service never fetches a URL.
These tests keep it so: no operation takes a URL, and the code opens no outbound connection."""

import ast
from pathlib import Path

import app

URL_WORDS = ("url", "uri", "callback", "webhook", "href", "link", "host")
# Modules an outbound request would need; the service imports none of them.
OUTBOUND = {"httpx", "requests", "urllib.request", "aiohttp", "http.client", "socket", "smtplib"}


def _params_and_properties(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                yield f"{method} {path} {param['name']}", param.get("schema", {})
    for name, component in schema["components"]["schemas"].items():
        for prop, spec in component.get("properties", {}).items():
            yield f"{name}.{prop}", spec


def test_no_operation_takes_a_url(client):
    schema = client.get("/openapi.json").json()
    for where, spec in _params_and_properties(schema):
        name = where.rsplit(" ", 1)[-1].rsplit(".", 1)[-1].lower()
        if name == "links":  # answers carry links to our own resources; requests never do
            continue
        assert not any(word in name.split("_") for word in URL_WORDS), where
        assert spec.get("format") not in ("uri", "url", "hostname"), where


def test_the_service_code_opens_no_outbound_connection():
    for path in Path(app.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {node.module or ""}
            else:
                continue
            assert not names & OUTBOUND, f"{path}: {names & OUTBOUND}"
