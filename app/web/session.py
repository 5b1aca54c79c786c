"""Web sign-in: the API token kept in an HttpOnly cookie, and CSRF tokens for every form."""

import base64
import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Form, Request, Response

from app.auth.deps import note_principal, principal_of
from app.auth.policy import Principal
from app.auth.tokens import verify
from app.config import get_settings
from app.db import StatementsDep

TOKEN_COOKIE = "portfolio_token"
# A random id for this browser's session, new at sign-in and at sign-out; the forms' CSRF
# token is derived from it and the signed-in token, so it is never stored on its own.
SESSION_COOKIE = "portfolio_session"
LANG_COOKIE = "portfolio_lang"
# Over HTTPS the browser keeps a `__Host-` cookie only if it is Secure, for this host alone
# and for Path=/: neither a sibling subdomain nor a plain-HTTP answer can plant or replace it.
HOST_PREFIX = "__Host-"
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


def over_https(request: Request) -> bool:
    """Whether the browser reached the site over HTTPS."""
    # `portfolio serve` trusts the proxy's X-Forwarded-Proto, so the scheme is the browser's;
    # production is behind HTTPS even when a proxy forgets to say so.
    return request.url.scheme == "https" or get_settings().environment == "production"


def cookie_name(request: Request, name: str) -> str:
    """A web cookie's name on this site: `__Host-` prefixed over HTTPS."""
    return HOST_PREFIX + name if over_https(request) else name


def read_cookie(request: Request, name: str) -> str | None:
    """One of the web cookies as this browser sent it."""
    return request.cookies.get(cookie_name(request, name))


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None = None
) -> None:
    """Set one of the web cookies: HttpOnly, SameSite=Strict, Path=/, Secure over HTTPS."""
    response.set_cookie(
        cookie_name(request, name),
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=over_https(request),
        path="/",
    )


def _new_session(request: Request, response: Response) -> None:
    set_cookie(request, response, SESSION_COOKIE, secrets.token_urlsafe(32))


def sign_in(request: Request, response: Response, secret: str) -> None:
    """Keep the token for later requests in a new session; it lasts as the browser session."""
    set_cookie(request, response, TOKEN_COOKIE, secret)
    _new_session(request, response)


def sign_out(request: Request, response: Response) -> None:
    """Forget the token and start a new session."""
    response.delete_cookie(
        cookie_name(request, TOKEN_COOKIE),
        path="/",
        samesite="strict",
        httponly=True,
        secure=over_https(request),
    )
    _new_session(request, response)


async def optional_principal(request: Request, statements: StatementsDep) -> Principal | None:
    """The signed-in principal, or None when the cookie is missing, unknown or revoked."""
    secret = read_cookie(request, TOKEN_COOKIE)
    if not secret:
        return None
    token, _ = await verify(statements, secret)
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


def _csrf_for(session_id: str, token: str) -> str:
    # Keyed by the session id and bound to the token: a form from another browser, from before
    # sign-in or from another signed-in token does not match, and knowing a CSRF token reveals
    # neither cookie. No server secret is needed: both inputs are secrets of this browser.
    digest = hmac.new(session_id.encode(), b"csrf:" + token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _session_id(request: Request) -> str | None:
    session_id = read_cookie(request, SESSION_COOKIE)
    return session_id if session_id and len(session_id) <= 64 else None


def csrf_token(request: Request) -> str:
    """This session's CSRF token; a browser without a session gets one the page will set."""
    session_id = _session_id(request) or request.state.__dict__.setdefault(
        "new_session_id", secrets.token_urlsafe(32)
    )
    return _csrf_for(session_id, read_cookie(request, TOKEN_COOKIE) or "")


def keep_session(request: Request, response: Response) -> None:
    """Set the session cookie a page's CSRF token was made for, if the browser lacks it."""
    new = request.state.__dict__.get("new_session_id")
    if new is not None:
        set_cookie(request, response, SESSION_COOKIE, new)


def check_csrf(request: Request, csrf: Annotated[str, Form(max_length=64)] = "") -> None:
    """The form's hidden field must be the token of this browser's session and sign-in."""
    session_id = _session_id(request)
    token = read_cookie(request, TOKEN_COOKIE) or ""
    if session_id is None or not hmac.compare_digest(
        _csrf_for(session_id, token).encode(), csrf.encode()
    ):
        raise CsrfFailed


CsrfChecked = Depends(check_csrf)
