"""What each role may do, as OAuth-style scopes checked by `Security` dependencies."""

import enum

from app.models import Role


class Scope(enum.StrEnum):
    """A permission a token's role grants."""

    read = "read"
    progress_write = "progress:write"
    review = "progress:review"
    admin = "admin"


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.admin: frozenset(Scope),
    Role.planner: frozenset({Scope.read, Scope.review}),
    Role.officer: frozenset({Scope.read, Scope.progress_write}),
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.admin: "everything: reads, reports on any park, reviews, keeps the master data",
    Role.planner: "reads the whole portfolio and reviews reports (approve or return)",
    Role.officer: "reads the whole portfolio and reports progress on its own park's projects",
}
