"""Reading categories with their project counts and investment, aggregated in SQL."""

import sqlalchemy as sa
from sqlmodel import Session, col

from app.categories.schemas import CategoryPublic
from app.models import Category, Project
from app.rollups.queries import project_totals_by


def list_categories(session: Session) -> list[CategoryPublic]:
    """Return every category with its project count and total investment."""
    totals = project_totals_by(col(Project.category_id))
    query = (
        sa.select(
            Category,
            sa.func.coalesce(totals.c.project_count, 0),
            sa.func.coalesce(totals.c.total_investment_wan, 0),
        )
        .outerjoin(totals, totals.c.key == Category.id)
        .order_by(col(Category.position))
    )
    return [
        CategoryPublic(
            id=category.id,
            name=category.name,
            code_prefix=category.code_prefix,
            project_count=count,
            total_investment_wan=total,
        )
        for category, count, total in session.execute(query).all()
    ]
