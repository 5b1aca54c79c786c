"""Statistics of the texts `q` searches, so the planner knows how many projects a search keeps.

Without them PostgreSQL guesses a fixed small share for `lower(name) LIKE '%…%'` whatever
the text, and a search matching most of a large portfolio is planned as if it matched a
few dozen projects (nested loops and sorts where hashing is right). Extended statistics on
the expressions (PostgreSQL 14+) give each its own sample; ANALYZE fills them. SQLite has
no such thing and needs none.

Revision ID: 4d2b8c61f0a7
Revises: 76f7a4e01b40
Create Date: 2026-12-05 19:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "4d2b8c61f0a7"
down_revision: str | None = "76f7a4e01b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE STATISTICS st_project_searched_texts ON (lower(code::text)), "
        "(lower(name::text)), (lower(content)), (lower(printed_park_name::text)) FROM project"
    )
    op.execute("ANALYZE project")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP STATISTICS IF EXISTS st_project_searched_texts")
