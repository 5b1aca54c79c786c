"""A page of the project list: the statement choosing its ids and the condition reading its rows.

These forms are portable; `app/projects/pages_postgresql.py` holds PostgreSQL's, with the
same signatures; `app.projects.service` pairs them (`app.db.ByDialect`).
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from app.models import Category, Project

# The order of the plan's appendix: by category, then by number within the category.
APPENDIX_ORDER = (col(Category.position), col(Project.seq))


def sorted_page(
    conditions: Sequence[Any], order_by: Sequence[Any], *, limit: int, offset: int
) -> sa.Select[Any]:
    """The ids of a page of the projects `conditions` keep, all of them sorted by `order_by`."""
    return (
        sa.select(col(Project.id))
        .join(Category, col(Category.id) == Project.category_id)
        .where(*conditions)
        .order_by(*order_by)
        .limit(limit)
        .offset(offset)
    )


def appendix_page(conditions: Sequence[Any], *, limit: int, offset: int) -> sa.Select[Any]:
    """The ids of a page of the projects `conditions` keep, in appendix order."""
    return sorted_page(conditions, APPENDIX_ORDER, limit=limit, offset=offset)


def one_of_ids(column: Any) -> sa.ColumnElement[bool]:
    """`column` is one of the ids the parameter `ids` lists: an IN list, one parameter each."""
    return col(column).in_(sa.bindparam("ids", expanding=True))
