"""What every API request passes before its route (401, 429, 422, 403), as typed aliases."""

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes

from app.auth.policy import Principal
from app.auth.scopes import Scope
from app.auth.tokens import LiveToken, verify
from app.db import Statements, StatementsDep
from app.http.query_params import refuse_unknown_query_parameters
from app.http.rate_limits import RateLimiter
from app.models import ApiToken, Role
from app.problems import Forbidden, Unauthorized

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="BearerToken",
    description="An API token from `portfolio token create`, sent as `Authorization: Bearer …`.",
)


async def admit(
    request: Request,
    statements: Statements,
    credentials: HTTPAuthorizationCredentials | None,
    scopes: Iterable[str],
    read: sa.Select[Any] | None = None,
    params: Mapping[str, Any] | None = None,
) -> tuple[Principal, Mapping[str, Any] | None]:
    """What every API request passes before its route runs, in this order.

    A live bearer token (401); the token's allowance, which refused writes spend too (429);
    no unknown query parameter (422); the route's scopes (403). With `read`, the token is
    checked in the statement that reads the route's answer, whose row (or None) comes back
    beside the principal.
    """
    if credentials is None or not credentials.credentials:
        raise Unauthorized(
            "This endpoint needs an API token: send `Authorization: Bearer <token>`."
        )
    token, row = await verify(statements, credentials.credentials, read, params)
    if token is None:
        raise Unauthorized("The API token is unknown, expired or revoked.")
    principal = principal_of(token)
    note_principal(request, principal)
    limiter: RateLimiter = request.app.state.rate_limiter
    await limiter.check(request, token_id=principal.token_id)
    refuse_unknown_query_parameters(request)
    require_scopes(principal, scopes)
    return principal, row


async def get_principal(
    request: Request,
    security_scopes: SecurityScopes,
    statements: StatementsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller of an API route, admitted with the route's scopes (see `admit`)."""
    principal, _ = await admit(request, statements, credentials, security_scopes.scopes)
    return principal


def principal_of(token: LiveToken | ApiToken) -> Principal:
    """The principal an authenticated token stands for."""
    assert token.id is not None
    return Principal(
        token_id=token.id, name=token.name, role=Role(token.role), park_id=token.park_id
    )


def note_principal(request: Request, principal: Principal) -> None:
    """Tell the access log (app.http.observability) which token acted, never its secret."""
    request.state.token_id = principal.token_id
    request.state.token_role = principal.role.value


def require_scopes(principal: Principal, scopes: Iterable[str]) -> None:
    """Refuse (403) a principal whose role lacks any of `scopes`."""
    missing = [s for s in scopes if s not in principal.scopes]
    if missing:
        raise Forbidden(
            f"This {principal.role} token may not do this (needs {', '.join(missing)})."
        )


Reader = Annotated[Principal, Security(get_principal, scopes=[Scope.read])]
ProgressWriter = Annotated[Principal, Security(get_principal, scopes=[Scope.progress_write])]
Reviewer = Annotated[Principal, Security(get_principal, scopes=[Scope.review])]
PlanWriter = Annotated[Principal, Security(get_principal, scopes=[Scope.plans_write])]
MilestoneWriter = Annotated[Principal, Security(get_principal, scopes=[Scope.milestones_write])]
Admin = Annotated[Principal, Security(get_principal, scopes=[Scope.admin])]
