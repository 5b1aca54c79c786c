"""Every role against every write endpoint: who may write, and that a refusal stores nothing."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import func, select

from app.models import Park, ProgressEntry, Project
from tests import factories
from tests.factories import NEW_PARK, NEW_PROJECT, REPORT

OTHER = "INF-015"  # park lvshun


@dataclass(frozen=True)
class Write:
    """A write endpoint: what it needs to exist first (made by an admin), and the call. Both
    are given `own`, the project of park gaoxin (the officer's own) the test makes."""

    call: Callable[[Any, dict[str, str], Any, str], Any]
    setup: Callable[[Any, dict[str, str], str], Any] = lambda client, admin, own: None


def _submitted(client, admin, own):
    return client.post(f"/api/v1/projects/{own}/progress", json=REPORT, headers=admin).json()["id"]


WRITES = {
    "report own park": Write(
        lambda c, h, _, own: c.post(f"/api/v1/projects/{own}/progress", json=REPORT, headers=h)
    ),
    "report other park": Write(
        lambda c, h, _, own: c.post(f"/api/v1/projects/{OTHER}/progress", json=REPORT, headers=h)
    ),
    "approve": Write(
        lambda c, h, entry, own: c.post(
            f"/api/v1/projects/{own}/progress/{entry}/approve", headers=h
        ),
        _submitted,
    ),
    "return": Write(
        lambda c, h, entry, own: c.post(
            f"/api/v1/projects/{own}/progress/{entry}/return",
            json={"comment": "请核实。"},
            headers=h,
        ),
        _submitted,
    ),
}


def _own_etag(client, admin, own):
    return client.get(f"/api/v1/projects/{own}", headers=admin).headers["etag"]


def _etag(path):
    return lambda client, admin, own: client.get(path, headers=admin).headers["etag"]


def _archived_project(client, admin, own):
    etag = _own_etag(client, admin, own)
    return client.post(
        f"/api/v1/projects/{own}/archive", headers={**admin, "If-Match": etag}
    ).headers["etag"]


def _empty_park(client, admin, own):
    return client.post("/api/v1/parks", json=NEW_PARK, headers=admin).headers["etag"]


WRITES |= {
    "create project": Write(
        lambda c, h, _, own: c.post("/api/v1/projects", json=NEW_PROJECT, headers=h)
    ),
    "patch project": Write(
        lambda c, h, etag, own: c.patch(
            f"/api/v1/projects/{own}", json={"name": "改名"}, headers={**h, "If-Match": etag}
        ),
        _own_etag,
    ),
    "archive project": Write(
        lambda c, h, etag, own: c.post(
            f"/api/v1/projects/{own}/archive", headers={**h, "If-Match": etag}
        ),
        _own_etag,
    ),
    "restore project": Write(
        lambda c, h, etag, own: c.post(
            f"/api/v1/projects/{own}/restore", headers={**h, "If-Match": etag}
        ),
        _archived_project,
    ),
    "create park": Write(lambda c, h, _, own: c.post("/api/v1/parks", json=NEW_PARK, headers=h)),
    "patch park": Write(
        lambda c, h, etag, own: c.patch(
            "/api/v1/parks/gaoxin", json={"tier": "key"}, headers={**h, "If-Match": etag}
        ),
        _etag("/api/v1/parks/gaoxin"),
    ),
    "archive park": Write(
        lambda c, h, etag, own: c.post(
            "/api/v1/parks/zhuanghe/archive", headers={**h, "If-Match": etag}
        ),
        _empty_park,
    ),
}

UPLOAD_HEADER = (
    "项目编号,项目名称,报告日期,项目状态,完成百分比（%）,累计完成投资（万元）,形象进度,存在问题"
)


def _upload(code=None):
    """A one-row upload on project `code`, or on the test's own project if none is named."""

    def call(c, h, _, own):
        text = f"{UPLOAD_HEADER}\r\n{code or own},,2026-10-31,在建,40,,主体施工,\r\n".encode()
        return c.post(
            "/api/v1/progress-uploads", files={"file": ("report.csv", text, "text/csv")}, headers=h
        )

    return call


WRITES |= {
    "upload own park": Write(_upload()),
    # A row on another park's project is a row error: the whole file is refused.
    "upload other park": Write(_upload(OTHER)),
}

ADMIN_ONLY = [
    "create project",
    "patch project",
    "archive project",
    "restore project",
    "create park",
    "patch park",
    "archive park",
]
# role -> endpoint -> expected status
EXPECTED = {
    "admin": {
        "report own park": 201,
        "report other park": 201,
        "approve": 200,
        "return": 200,
        **dict.fromkeys(ADMIN_ONLY, 200),
        "create project": 201,
        "create park": 201,
        "upload own park": 201,
        "upload other park": 201,
    },
    "planner": {
        "report own park": 403,
        "report other park": 403,
        "approve": 200,
        "return": 200,
        **dict.fromkeys(ADMIN_ONLY, 403),
        "upload own park": 403,
        "upload other park": 403,
    },
    "officer": {
        "report own park": 201,
        "report other park": 403,
        "approve": 403,
        "return": 403,
        **dict.fromkeys(ADMIN_ONLY, 403),
        "upload own park": 201,
        "upload other park": 422,
    },
}


def _state(session):
    counts = tuple(
        session.exec(select(func.count()).select_from(model)).one()
        for model in (ProgressEntry, Project, Park)
    )
    reviewed = session.exec(
        select(func.count()).select_from(ProgressEntry).where(ProgressEntry.reviewer_name != None)  # noqa: E711
    ).one()
    versions = (
        session.exec(select(func.sum(Project.version))).one(),
        session.exec(select(func.sum(Park.version))).one(),
    )
    return (*counts, reviewed, *versions)


@pytest.fixture
def own(session) -> str:
    """A project of park gaoxin, the officer's own, made for the test."""
    return factories.project(session).code


@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize("endpoint", list(WRITES))
def test_role_against_write_endpoint(client, auth, session, own, role, endpoint):
    write = WRITES[endpoint]
    context = write.setup(client, auth("admin"), own)
    headers = auth(role, "gaoxin" if role == "officer" else None)
    before = _state(session)
    response = write.call(client, headers, context, own)
    assert response.status_code == EXPECTED[role][endpoint], response.text
    if response.status_code in (403, 422):
        assert response.headers["content-type"] == "application/problem+json"
        assert _state(session) == before


@pytest.mark.parametrize("endpoint", list(WRITES))
def test_without_a_token_every_write_is_401(client, auth, session, own, endpoint):
    write = WRITES[endpoint]
    context = write.setup(client, auth("admin"), own)
    before = _state(session)
    response = write.call(client, {}, context, own)
    assert response.status_code == 401
    assert _state(session) == before
