"""The one place that chooses, by the database's dialect, the form of each tuned query.

Most statements are written once for both engines. A few have a PostgreSQL form using what
SQLite lacks (LATERAL, DISTINCT ON, GROUP BY GROUPING SETS, array parameters) beside a
portable one with the same signature, in a module `X_postgresql.py` next to the portable
`X.py`. Callers ask `forms(dialect)` for the set to use instead of testing the dialect.
"""

from app.progress import current, current_postgresql
from app.projects import pages, pages_postgresql
from app.rollups import queries, queries_postgresql


class Forms:
    """The portable forms: SQLite's, and any engine's without forms of its own."""

    current_state = staticmethod(current.current_state)
    aggregate_groupings = staticmethod(queries.aggregate_groupings)
    appendix_page = staticmethod(pages.appendix_page)
    one_of_ids = staticmethod(pages.one_of_ids)


class PostgreSQLForms(Forms):
    """PostgreSQL's forms, each with the signature of the portable one it replaces."""

    current_state = staticmethod(current_postgresql.current_state)
    aggregate_groupings = staticmethod(queries_postgresql.aggregate_groupings)
    appendix_page = staticmethod(pages_postgresql.appendix_page)
    one_of_ids = staticmethod(pages_postgresql.one_of_ids)


PORTABLE = Forms()
_BY_DIALECT: dict[str, Forms] = {"postgresql": PostgreSQLForms()}


def forms(dialect: str) -> Forms:
    """The query forms for a database of `dialect` (SQLAlchemy's name, e.g. `sqlite`)."""
    return _BY_DIALECT.get(dialect, PORTABLE)
