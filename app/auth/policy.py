"""Who is calling, and the row-level rules: which park's projects a principal may write."""

from dataclasses import dataclass
from typing import Protocol

from app.auth.scopes import ROLE_SCOPES, Scope
from app.models import Role
from app.problems import Forbidden


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name, role and, for officers, park."""

    token_id: int
    name: str
    role: Role
    park_id: str | None

    @property
    def scopes(self) -> frozenset[Scope]:
        return ROLE_SCOPES[self.role]


class Owned(Protocol):
    """A project, or what a statement read of it: its code and its park."""

    @property
    def code(self) -> str: ...

    @property
    def park_id(self) -> str: ...


def ensure_can_report(principal: Principal, project: Owned) -> None:
    """Officers write only their own park's projects; admins write any; planners none."""
    if principal.role is Role.admin:
        return
    if principal.role is Role.officer and principal.park_id == project.park_id:
        return
    if principal.role is Role.officer:
        raise Forbidden(
            f"This officer token covers park {principal.park_id!r}; "
            f"project {project.code} belongs to park {project.park_id!r}."
        )
    raise Forbidden(f"This {principal.role} token may not report progress.")


def ensure_can_download_template(principal: Principal, *, park_id: str) -> None:
    """Officers fetch their own park's template only; planners and admins any park's."""
    if principal.role is Role.officer and principal.park_id != park_id:
        raise Forbidden(
            f"This officer token covers park {principal.park_id!r}; "
            f"the template of park {park_id!r} is not for it."
        )


def ensure_can_read_plans(principal: Principal, *, park_id: str) -> None:
    """Officers read their own park's annual plans only; planners and admins every park's."""
    if principal.role is Role.officer and principal.park_id != park_id:
        raise Forbidden(
            f"This officer token covers park {principal.park_id!r}; "
            f"the plans of park {park_id!r} are not for it."
        )


def ensure_can_write_milestones(principal: Principal, project: Owned) -> None:
    """Officers set their own park's milestone dates; planners and admins any project's."""
    if principal.role is Role.officer and principal.park_id != project.park_id:
        raise Forbidden(
            f"This officer token covers park {principal.park_id!r}; "
            f"project {project.code} belongs to park {project.park_id!r}."
        )
