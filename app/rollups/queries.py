"""Every GROUP BY of the service: aggregates computed by the database."""

from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from app.models import Project


def project_totals_by(column: Any) -> sa.Subquery:
    """Project count and planned investment per value of a `project` column."""
    return (
        sa.select(
            column.label("key"),
            sa.func.count().label("project_count"),
            sa.func.sum(col(Project.total_investment_wan)).label("total_investment_wan"),
        )
        .group_by(column)
        .subquery()
    )
