"""Authentication (401) and scope (403) dependencies, as typed aliases for routes."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes

from app.auth.scopes import ROLE_SCOPES, Scope
from app.auth.tokens import authenticate
from app.db import SessionDep
from app.models import Role
from app.problems import Forbidden, Unauthorized

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="BearerToken",
    description="An API token from `portfolio token create`, sent as `Authorization: Bearer …`.",
)


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


def get_principal(
    security_scopes: SecurityScopes,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Authenticate the bearer token and check it grants the route's scopes."""
    if credentials is None:
        raise Unauthorized(
            "This endpoint needs an API token: send `Authorization: Bearer <token>`."
        )
    token = authenticate(session, credentials.credentials)
    if token is None or token.id is None:
        raise Unauthorized("The API token is unknown, expired or revoked.")
    principal = Principal(
        token_id=token.id, name=token.name, role=Role(token.role), park_id=token.park_id
    )
    missing = [s for s in security_scopes.scopes if s not in principal.scopes]
    if missing:
        raise Forbidden(f"A {principal.role} token may not do this (needs {', '.join(missing)}).")
    return principal


Reader = Annotated[Principal, Security(get_principal, scopes=[Scope.read])]
ProgressWriter = Annotated[Principal, Security(get_principal, scopes=[Scope.progress_write])]
Reviewer = Annotated[Principal, Security(get_principal, scopes=[Scope.review])]
Admin = Annotated[Principal, Security(get_principal, scopes=[Scope.admin])]
