"""PostgreSQL's forms of a page of the project list, with the signatures of the portable ones.

`app.db.ByDialect` chooses them on PostgreSQL instead of `app.projects.pages`.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col

from app.models import Category, Project


def appendix_page(conditions: Sequence[Any], *, limit: int, offset: int) -> sa.Select[Any]:
    """A page in appendix order, each category's projects walked in its (category, seq) index.

    A category's first `offset + limit` projects in seq order are the most the page can take
    from it, so each category reads that many rows of its index, in order, and only those
    are sorted, instead of every project. The list takes it only for short pages of the whole
    portfolio: under a filter the walk would step over every project that does not match,
    where the planner finds the matches by index and sorts only them. SQLite has no LATERAL.
    """
    walked = (
        sa.select(col(Project.id), col(Project.seq))
        .where(col(Project.category_id) == col(Category.id), *conditions)
        .order_by(col(Project.seq))
        .limit(offset + limit)
        .lateral("walked")
    )
    return (
        sa.select(walked.c.id)
        .select_from(Category)
        .join(walked, sa.true())
        .order_by(col(Category.position), walked.c.seq)
        .limit(limit)
        .offset(offset)
    )


def one_of_ids(column: Any) -> sa.ColumnElement[bool]:
    """`column` is one of the ids the parameter `ids` lists, sent as one array.

    Every page then has the same SQL text: psycopg neither caches the conversion of a
    statement with more than 50 parameters nor prepares it.
    """
    return col(column) == sa.any_(sa.bindparam("ids", type_=ARRAY(sa.Integer)))
