"""Web sign-in: the API token kept in an HttpOnly cookie, and CSRF tokens for every form."""

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Form, Request, Response

from app.auth.deps import Principal, note_principal, principal_of
from app.auth.tokens import verify
from app.config import get_settings
from app.db import SessionDep

TOKEN_COOKIE = "portfolio_token"
CSRF_COOKIE = "portfolio_csrf"
LANG_COOKIE = "portfolio_lang"
# A year: the cookie only holds a preference or a random nonce; the token's own life is
# decided by the token (revocation takes effect on the next request).
COOKIE_MAX_AGE = 365 * 24 * 3600


class SignInRequired(Exception):
    """The page needs a signed-in user; the browser is sent to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class CsrfFailed(Exception):
    """A form came without the CSRF token of the browser that loaded it."""


def _secure() -> bool:
    # Outside development the service sits behind HTTPS; cookies must not travel in clear.
    return get_settings().environment == "production"


def set_cookie(response: Response, name: str, value: str, *, max_age: int | None = None) -> None:
    """Set one of the web cookies: HttpOnly, SameSite=Strict, path /."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=_secure(),
        path="/",
    )


def sign_in(response: Response, secret: str) -> None:
    """Keep the token for later requests; it lives as long as the browser session."""
    set_cookie(response, TOKEN_COOKIE, secret)


def sign_out(response: Response) -> None:
    """Forget the token."""
    response.delete_cookie(TOKEN_COOKIE, path="/", samesite="strict", httponly=True)


def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    """The signed-in principal, or None when the cookie is missing, unknown or revoked."""
    secret = request.cookies.get(TOKEN_COOKIE)
    if not secret:
        return None
    token = verify(session, secret)
    if token is None:
        return None
    principal = principal_of(token)
    note_principal(request, principal)
    return principal


def signed_in(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]
) -> Principal:
    """The signed-in principal; anyone else is sent to the sign-in page."""
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    return principal


WebUser = Annotated[Principal, Depends(signed_in)]
MaybeUser = Annotated[Principal | None, Depends(optional_principal)]


def csrf_token(request: Request) -> str:
    """This browser's CSRF token: the cookie's value, or a fresh one the page will set."""
    token = request.cookies.get(CSRF_COOKIE)
    if not token or len(token) > 64:
        token = request.state.__dict__.setdefault("new_csrf", secrets.token_urlsafe(32))
    return token


def check_csrf(request: Request, csrf: Annotated[str, Form(max_length=64)] = "") -> None:
    """Double-submit check: the form's hidden field must equal this browser's cookie."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), csrf.encode()):
        raise CsrfFailed


CsrfChecked = Depends(check_csrf)
