"""Authentication (401) and scope (403) dependencies, as typed aliases for routes."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from fastapi.security.utils import get_authorization_scheme_param

from app.auth.scopes import ROLE_SCOPES, Scope
from app.auth.tokens import LiveToken, verify_with
from app.db import StatementsDep
from app.models import ApiToken, Role
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


async def authenticated(request: Request, statements: StatementsDep) -> Principal:
    """The principal of the request's bearer token (401 without a live one)."""
    # No scopes and no security scheme among its dependencies, so FastAPI runs it once per
    # request however many differently scoped dependencies need it.
    scheme, secret = get_authorization_scheme_param(request.headers.get("authorization"))
    if scheme.lower() != "bearer" or not secret:
        raise Unauthorized(
            "This endpoint needs an API token: send `Authorization: Bearer <token>`."
        )
    token = await verify_with(statements, secret)
    if token is None:
        raise Unauthorized("The API token is unknown, expired or revoked.")
    principal = principal_of(token)
    note_principal(request, principal)
    return principal


async def get_principal(
    security_scopes: SecurityScopes,
    principal: Annotated[Principal, Depends(authenticated)],
    # Declares the scheme in the OpenAPI document; `authenticated` reads the header itself.
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Check the authenticated principal holds the route's scopes (403)."""
    require_scopes(principal, security_scopes.scopes)
    return principal


def principal_of(token: LiveToken | ApiToken) -> Principal:
    """The principal an authenticated token stands for."""
    assert token.id is not None
    return Principal(
        token_id=token.id, name=token.name, role=Role(token.role), park_id=token.park_id
    )


def note_principal(request: Request, principal: Principal) -> None:
    """Tell the access log (app.observability) which token acted, never its secret."""
    request.state.token_id = principal.token_id
    request.state.token_role = principal.role.value


def require_scopes(principal: Principal, scopes: Iterable[str]) -> None:
    """Refuse (403) a principal whose role lacks any of `scopes`."""
    missing = [s for s in scopes if s not in principal.scopes]
    if missing:
        raise Forbidden(f"A {principal.role} token may not do this (needs {', '.join(missing)}).")


Reader = Annotated[Principal, Security(get_principal, scopes=[Scope.read])]
ProgressWriter = Annotated[Principal, Security(get_principal, scopes=[Scope.progress_write])]
Reviewer = Annotated[Principal, Security(get_principal, scopes=[Scope.review])]
Admin = Annotated[Principal, Security(get_principal, scopes=[Scope.admin])]
