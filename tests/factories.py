"""Test data made by the test that needs it, through the services' own rules.

The request bodies tests send are here once (`NEW_PARK`, `NEW_PROJECT`, `REPORT`); the
factories store a park, a project, a token or a report in the test's database, so a test
states what it depends on instead of leaning on a seeded code whose figures may change.
"""

import asyncio
from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from app.audit import log
from app.auth.policy import Principal
from app.auth.tokens import create_token
from app.db import EngineStatements
from app.models import ApiToken, Park, ProgressEntry, Project, Role
from app.parks.schemas import ParkCreate
from app.parks.service import create_park
from app.progress.schemas import ProgressCreate
from app.progress.service import store_report
from app.projects.schemas import ProjectCreate
from app.projects.service import create_project

# Request bodies ------------------------------------------------------------------------------

NEW_PARK = {"id": "zhuanghe", "name": "大连庄河经济开发区", "tier": "key"}
NEW_PROJECT = {
    "category": "innovation",
    "name": "新项目",
    "park_id": "gaoxin",
    "start_year": 2026,
    "end_year": 2027,
    "total_investment_wan": 100,
}
REPORT = {"as_of": "2026-10-31", "status": "under_construction", "percent_complete": 40}


# Stored data ---------------------------------------------------------------------------------


def park(session: Session, **fields: Any) -> Park:
    """A new park (`NEW_PARK` unless `fields` say otherwise), committed."""
    data = ParkCreate.model_validate({**NEW_PARK, **fields})
    created = create_park(session, data=data, actor=log.CLI)
    stored = session.get(Park, created.id)
    assert stored is not None
    return stored


def project(session: Session, **fields: Any) -> Project:
    """A new project (`NEW_PROJECT` unless `fields` say otherwise), committed."""
    data = ProjectCreate.model_validate({**NEW_PROJECT, **fields})
    return create_project(session, data=data, actor=log.CLI)


def token(session: Session, role: Role | str, park_id: str | None = None) -> tuple[ApiToken, str]:
    """A live token for `role` (officers: `park_id`, by default gaoxin) and its secret."""
    role = Role(role)
    if role is Role.officer and park_id is None:
        park_id = "gaoxin"
    return create_token(session, name=f"test-{role}", role=role, park_id=park_id)


def report(
    session: Session, code: str, *, by: ApiToken | None = None, **fields: Any
) -> ProgressEntry:
    """A report on project `code` (`REPORT` unless `fields` say otherwise), stored by the one
    report write and committed; `by` reports it, an admin token by default."""
    reporter = by or token(session, Role.admin)[0]
    assert reporter.id is not None
    principal = Principal(
        token_id=reporter.id, name=reporter.name, role=Role(reporter.role), park_id=reporter.park_id
    )
    data = ProgressCreate.model_validate({**REPORT, **fields})
    # The write takes its own connection: whatever the session holds is committed first.
    session.commit()
    result = asyncio.run(
        _store(EngineStatements(_engine(session)), code=code, report=data, by=principal)
    )
    entry = session.get(ProgressEntry, result)
    assert entry is not None
    return entry


async def _store(
    statements: EngineStatements, *, code: str, report: ProgressCreate, by: Principal
) -> int:
    async with statements.transaction() as transaction:
        stored = await store_report(transaction, code=code, report=report, principal=by)
    return stored.entry.id


def today_report(**fields: Any) -> dict[str, Any]:
    """`REPORT` dated today, for tests whose period must be the current one."""
    return {**REPORT, "as_of": date.today().isoformat(), **fields}


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine
