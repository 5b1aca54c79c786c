"""Row-level rules: which park's projects a principal may write."""

from typing import Protocol

from app.auth.deps import Principal
from app.models import Role
from app.problems import Forbidden


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
