"""Cache validators for rollups and reports: an ETag that moves with the data, and 304."""

import hashlib
from collections.abc import Iterable
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Request, Response
from sqlmodel import Session, col

from app import clock
from app.db import Statements, StatementsDep
from app.exports.writers import EXPORT_RESPONSES
from app.models import Blocker, Milestone, Park, PlanRevision, ProgressEntry, Project
from app.problems import AppError


class NotModified(AppError):
    status_code = 304


# Each part is an index lookup or a tiny table: cheap enough to run on every request. Built
# once, so that its SQL is neither rebuilt nor re-keyed per request.
_DATA_VERSION = sa.select(
    sa.select(sa.func.max(col(ProgressEntry.id))).scalar_subquery().label("last_entry"),
    sa.select(sa.func.max(col(ProgressEntry.reviewed_at))).scalar_subquery().label("last_review"),
    sa.select(sa.func.max(col(Project.updated_at))).scalar_subquery().label("last_change"),
    sa.select(sa.func.max(col(Project.id))).scalar_subquery().label("last_project"),
    sa.select(sa.func.sum(col(Park.version))).scalar_subquery().label("park_versions"),
    sa.select(sa.func.max(col(PlanRevision.id))).scalar_subquery().label("last_plan"),
    sa.select(sa.func.max(col(Milestone.updated_at))).scalar_subquery().label("last_milestone"),
    sa.select(sa.func.max(col(Blocker.updated_at))).scalar_subquery().label("last_blocker"),
)


async def data_version(statements: Statements) -> str:
    """Changes whenever a report is added or reviewed, or a project, park, plan, milestone or
    blocker changes."""
    row = await statements.first(_DATA_VERSION, {})
    assert row is not None  # an aggregate without GROUP BY always answers one row
    return _version_text(row.values())


def data_version_in(session: Session) -> str:
    """`data_version`, read through a page's session."""
    return _version_text(session.execute(_DATA_VERSION).one())


def _version_text(parts: Iterable[Any]) -> str:
    return "|".join(str(part) for part in parts)


async def cache_validator(request: Request, response: Response, statements: StatementsDep) -> str:
    """Answer 304 to a matching `If-None-Match`; otherwise set and return the ETag."""
    fingerprint = "\n".join(
        (
            await data_version(statements),
            # The day is data too: it sets the default reporting year and period, and how much
            # of each schedule has elapsed, so an answer from yesterday is not today's.
            clock.today().isoformat(),
            request.url.path,
            str(sorted(request.query_params.multi_items())),
            request.headers.get("accept", ""),
        )
    )
    etag = f'W/"{hashlib.sha256(fingerprint.encode()).hexdigest()[:32]}"'
    candidates = request.headers.get("if-none-match", "")
    if etag in {c.strip() for c in candidates.split(",")} or candidates.strip() == "*":
        raise NotModified("Not modified.", headers={"ETag": etag})
    response.headers["ETag"] = etag
    return etag


ETag = Annotated[str, Depends(cache_validator)]

# How cached answers are documented: the ETag on 200 (JSON, CSV or XLSX), and 304.
CACHE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        **EXPORT_RESPONSES[200],
        "headers": {"ETag": {"description": "Send as If-None-Match to get 304 until data change."}},
    },
    304: {"description": "Not Modified: the `If-None-Match` ETag is still current."},
}
