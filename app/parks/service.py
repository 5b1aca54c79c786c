"""Reading parks with their project counts and investment, aggregated in SQL."""

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from app.models import TIER_NAMES, Park, Project, Tier
from app.parks.schemas import ParkPublic
from app.problems import NotFound
from app.rollups.queries import project_totals_by


def _park_query() -> sa.Select[Park, Any, Any]:
    totals = project_totals_by(col(Project.park_id))
    return (
        sa.select(
            Park,
            sa.func.coalesce(totals.c.project_count, 0),
            sa.func.coalesce(totals.c.total_investment_wan, 0),
        )
        .outerjoin(totals, totals.c.key == Park.id)
        .where(col(Park.archived_at).is_(None))
        .order_by(col(Park.position), col(Park.id))
    )


def _public(park: Park, count: int, total: int) -> ParkPublic:
    tier = Tier(park.tier)
    return ParkPublic(
        id=park.id,
        name=park.name,
        aliases=park.aliases,
        table4_name=park.table4_name,
        tier=tier,
        tier_name=TIER_NAMES[tier],
        project_count=count,
        total_investment_wan=total,
    )


def list_parks(session: Session) -> list[ParkPublic]:
    """Return every active park with its project count and total investment."""
    return [_public(*row) for row in session.execute(_park_query()).all()]


def get_park(session: Session, *, park_id: str) -> ParkPublic:
    """Return one park or raise NotFound."""
    row = session.execute(_park_query().where(col(Park.id) == park_id)).first()
    if row is None:
        raise NotFound(f"No park has the id {park_id!r}.")
    return _public(*row)
