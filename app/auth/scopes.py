"""What each role may do, as OAuth-style scopes checked by `Security` dependencies."""

import enum

from app.models import Role


class Scope(enum.StrEnum):
    """A permission a token's role grants."""

    read = "read"
    progress_write = "progress:write"
    review = "progress:review"
    plans_write = "plans:write"
    milestones_write = "milestones:write"
    admin = "admin"


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.admin: frozenset(Scope),
    Role.planner: frozenset({Scope.read, Scope.review, Scope.plans_write, Scope.milestones_write}),
    Role.officer: frozenset({Scope.read, Scope.progress_write, Scope.milestones_write}),
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.admin: "everything: reads, reports on any park, reviews, keeps the master data",
    Role.planner: (
        "reads the whole portfolio, reviews reports (approve or return), keeps annual plans "
        "and milestones"
    ),
    Role.officer: (
        "reads the portfolio (plans: its own park's only), reports progress and milestone "
        "dates on its own park's projects"
    ),
}
