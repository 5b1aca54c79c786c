"""Property-based tests of every operation from the OpenAPI document (schemathesis).

Each operation gets generated requests, valid and invalid, sent as an admin: no answer may be
a server error, and every answer must match its documented status codes, content types,
headers and schemas. Requests the schema allows but the service refuses on meaning (an
unknown park, a date in the future) are expected, so that one check is left out.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from app.db import get_session
from app.main import create_app

app = create_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", app)

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture
def admin_headers(session, token_for):
    app.dependency_overrides[get_session] = lambda: session
    yield {"Authorization": f"Bearer {token_for('admin')}"}
    app.dependency_overrides.clear()


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract(case, admin_headers):
    case.call_and_validate(headers=admin_headers, checks=CHECKS)
