"""Property-based tests of every operation from the OpenAPI document (schemathesis).

Each operation gets generated requests, valid and invalid, sent as each role: no answer may
be a server error, and every answer must pass schemathesis' full set of checks but one.
Figures (operations, cases per role, what the runs found) are in docs/security.md.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from app.db import get_session
from app.main import create_app
from app.ratelimit import RateLimiter

app = create_app()
# Generous limits: the fuzzer's own request count is not what these tests measure.
app.state.rate_limiter = RateLimiter(
    storage_url="memory://", writes="100000/minute", exports="100000/minute"
)
# Admin requests go through every phase, coverage included: its boundary and schema-violating
# values are validated the same whatever the role, and they are most of the cases. Planner and
# officer tokens run the example and fuzzing phases, which is where their answers differ.
every_phase = schemathesis.openapi.from_asgi("/openapi.json", app)
role_phases = schemathesis.openapi.from_asgi("/openapi.json", app)
role_phases.config.phases.update(phases=["examples", "fuzzing"])
for loaded in (every_phase, role_phases):
    # The token is the test's to send: a generated Authorization header would be replaced by
    # it, and its "invalid" variants would then wrongly count as accepted. Missing and bad
    # tokens are the ignored_auth check's and tests/security/test_api2_*'s.
    loaded.config.generation.update(with_security_parameters=False)

checks.load_all_checks()
# Left out: positive_data_acceptance, which wants every schema-valid request to succeed. The
# service refuses valid-looking requests on meaning, which no JSON schema can state: a park id
# that does not exist, a date in the future, an empty upload file, a report that contradicts
# the project's history. Those answer 422 by design. Every other check runs, the inverse one
# (schema-violating requests must be refused) included.
EXCLUDED = {checks.positive_data_acceptance}
CHECKS = [check for check in checks.CHECKS.get_all() if check not in EXCLUDED]

# The suite shares its machine: a request waiting for a busy CPU is no failure of the service.
REQUEST_TIMEOUT = 60

HYPOTHESIS = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def headers_for(session, token_for):
    app.dependency_overrides[get_session] = lambda: session
    tokens: dict[str, str] = {}

    def headers(role):
        if role not in tokens:
            tokens[role] = token_for(role)
        return {"Authorization": f"Bearer {tokens[role]}"}

    yield headers
    del app.dependency_overrides[get_session]


@every_phase.parametrize()
@HYPOTHESIS
def test_every_operation_as_admin(case, headers_for):
    case.call_and_validate(headers=headers_for("admin"), checks=CHECKS, timeout=REQUEST_TIMEOUT)


@pytest.mark.parametrize("role", ["planner", "officer"])
@role_phases.parametrize()
@HYPOTHESIS
def test_every_operation_as_planner_and_officer(case, headers_for, role):
    case.call_and_validate(headers=headers_for(role), checks=CHECKS, timeout=REQUEST_TIMEOUT)
