"""What each role may do, as OAuth-style scopes checked by `Security` dependencies."""

import enum

from app.models import Role


class Scope(enum.StrEnum):
    """A permission a token's role grants."""

    read = "read"
    progress_write = "progress:write"
    admin = "admin"


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.admin: frozenset(Scope),
    Role.planner: frozenset({Scope.read}),
    Role.officer: frozenset({Scope.read, Scope.progress_write}),
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.admin: "reads the whole portfolio; may report on any park and keep the master data",
    Role.planner: "reads the whole portfolio: projects, progress history, parks, categories",
    Role.officer: "reads the whole portfolio; may report progress on its own park's projects",
}
