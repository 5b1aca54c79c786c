"""Property-based tests of every operation from the OpenAPI document (schemathesis).

Each operation gets generated requests, valid and invalid, sent as each role: no answer may
be a server error, and every answer must pass every check schemathesis has, positive data
acceptance included. Figures (operations, cases per role, what the runs found) are in
docs/security.md.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi
from sqlmodel import Session

from app.auth.tokens import create_token
from app.db import build_engine
from app.http.rate_limits import RateLimiter
from app.main import create_app
from app.models import Role
from tests.conftest import serving

# What a schema-valid request may be answered, whatever the operation: its answer (2xx, 3xx);
# the role's refusal (401, 403); a generated code or id that names nothing (404); a state
# that forbids the change (409); a spent allowance (429). Schemathesis' default, but 5xx.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]

# The refusals of schema-valid requests that are true of one operation, and why no schema
# can state them; any other refusal of valid data fails the test.
FILTERS = "an unknown park or edition id in `park` or `edition` (data, created by admins)"
SPELLINGS = "a spelling repeated, or the name among the aliases"
REFUSED_ON_MEANING: dict[str, dict[str, str]] = {
    "GET /api/v1/projects": {"422": FILTERS},
    "GET /api/v1/rollups": {"422": FILTERS},
    "GET /api/v1/rollups/series": {
        "422": f"{FILTERS}; `from` after `to`, or more than 120 months between them",
    },
    "GET /api/v1/reports/compliance": {"422": FILTERS},
    "GET /api/v1/reports/changes": {"422": f"{FILTERS}; `to_date` not after `from_date`"},
    "GET /api/v1/reports/blockers": {"422": FILTERS},
    "GET /api/v1/blockers": {"422": FILTERS},
    "GET /api/v1/blockers/summary": {"422": FILTERS},
    "PATCH /api/v1/blockers/{blocker_id}": {
        "412": "an If-Match that is not the blocker's current ETag",
        "422": "resolving without `resolution`, or `resolution` without resolving",
    },
    "POST /api/v1/projects": {
        "422": "an unknown or archived `park_id`; `end_year` before `start_year`; an unknown "
        "`edition_id`, or the plan's",
    },
    "PATCH /api/v1/projects/{code}": {
        "412": "an If-Match that is not the project's current ETag",
        "422": "an unknown or archived `park_id`; `end_year` before `start_year`; an unknown "
        "`edition_id`, or the plan's",
    },
    "POST /api/v1/projects/{code}/archive": {"412": "an If-Match not the current ETag"},
    "POST /api/v1/projects/{code}/restore": {"412": "an If-Match not the current ETag"},
    "POST /api/v1/projects/{code}/progress": {
        "422": "`as_of` or a milestone date after today in China; a report contradicting "
        "the project's history or its milestone dates",
    },
    "PUT /api/v1/projects/{code}/milestones/{kind}": {
        "422": "a date after today in China, out of life-cycle order, or implying a status "
        "the project's reports contradict",
    },
    "POST /api/v1/parks": {"422": SPELLINGS},
    "PATCH /api/v1/parks/{park_id}": {
        "412": "an If-Match that is not the park's current ETag",
        "422": SPELLINGS,
    },
    "POST /api/v1/parks/{park_id}/archive": {"412": "an If-Match not the current ETag"},
    "POST /api/v1/parks/{park_id}/restore": {"412": "an If-Match not the current ETag"},
    "GET /api/v1/parks/{park_id}/report-template": {"422": "a `period` after this month"},
    "POST /api/v1/progress-uploads": {
        "415": "bytes that are neither an XLSX workbook nor CSV text",
        "422": "an empty file, or rows naming unknown projects or wrong figures",
    },
}
# The header the service requires as a precondition: without it, 428 (RFC 6585).
CONDITIONAL = [name for name, refusals in REFUSED_ON_MEANING.items() if "412" in refusals]

CONFIG = {
    "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
    "operations": [
        {
            "include-name": name,
            "checks": {
                "positive_data_acceptance": {"expected-statuses": [*ACCEPTED, *refusals]},
                **(
                    {"missing_required_header": {"expected-statuses": ["428"]}}
                    if name in CONDITIONAL
                    else {}
                ),
            },
        }
        for name, refusals in REFUSED_ON_MEANING.items()
    ],
}

app = create_app()
# Generous limits: the fuzzer's own request count is not what these tests measure.
app.state.rate_limiter = RateLimiter(
    storage_url="memory://", writes="100000/minute", exports="100000/minute"
)


def _load() -> schemathesis.schemas.BaseSchema:
    loaded = schemathesis.openapi.from_asgi(
        "/openapi.json", app, config=SchemathesisConfig.from_dict(CONFIG)
    )
    # The token is the test's to send: a generated Authorization header would be replaced by
    # it, and its "invalid" variants would then wrongly count as accepted. Missing and bad
    # tokens are the ignored_auth check's and tests/security/test_api2_*'s.
    loaded.config.generation.update(with_security_parameters=False)
    return loaded


# Admin requests go through every phase, coverage included: its boundary and schema-violating
# values are validated the same whatever the role, and they are most of the cases. Planner and
# officer tokens run the example and fuzzing phases, which is where their answers differ.
every_phase = _load()
role_phases = _load()
role_phases.config.phases.update(phases=["examples", "fuzzing"])
# Loading the document started the application's lifespan on the process's own settings; it
# starts again with the first request of `headers_for`, on the module's copy of the library.
asgi.shutdown_lifespans()

checks.load_all_checks()
CHECKS = checks.CHECKS.get_all()

# The suite shares its machine: a request waiting for a busy CPU is no failure of the service.
REQUEST_TIMEOUT = 60

HYPOTHESIS = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def headers_for(
    seeded_copy: Callable[[], AbstractContextManager[str]],
) -> Iterator[Callable[[str], dict[str, str]]]:
    """Every role's token on a copy of the library that the module's application serves.

    Schemathesis starts the application's lifespan with its first request and keeps it for
    the rest of the run, so the module shares one database, reached as in production.
    """
    with seeded_copy() as url, serving(url):
        engine = build_engine(url)
        tokens: dict[str, str] = {}
        with Session(engine) as session:
            for role in Role:
                park_id = "gaoxin" if role is Role.officer else None
                tokens[role] = create_token(
                    session, name=f"fuzz-{role}", role=role, park_id=park_id
                )[1]
        engine.dispose()
        yield lambda role: {"Authorization": f"Bearer {tokens[role]}"}
        asgi.shutdown_lifespans()


@every_phase.parametrize()
@HYPOTHESIS
def test_every_operation_as_admin(case, headers_for):
    case.call_and_validate(headers=headers_for("admin"), checks=CHECKS, timeout=REQUEST_TIMEOUT)


@pytest.mark.parametrize("role", ["planner", "officer"])
@role_phases.parametrize()
@HYPOTHESIS
def test_every_operation_as_planner_and_officer(case, headers_for, role):
    case.call_and_validate(headers=headers_for(role), checks=CHECKS, timeout=REQUEST_TIMEOUT)
