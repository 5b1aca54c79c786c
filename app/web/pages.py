"""Rendering pages: templates, the page context, and errors answered as pages."""

from collections.abc import Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.responses import RedirectResponse

from app.auth.policy import Principal
from app.problems import AppError
from app.web import i18n
from app.web.session import (
    LANG_COOKIE,
    CsrfFailed,
    SignInRequired,
    csrf_token,
    keep_session,
    read_cookie,
)
from app.web.views import web_link

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters.update(
    number=i18n.number, wan=i18n.wan, percent=i18n.percent, local_time=i18n.local_time
)

# Pages load only what the service itself serves; the chart data travels as inert JSON.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def language(request: Request) -> i18n.Lang:
    """The page language: the browser's choice, Chinese unless it chose English."""
    return "en" if read_cookie(request, LANG_COOKIE) == "en" else "zh"


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    user: Principal | None,
    status_code: int = 200,
) -> Response:
    """A page from its template, with the context every page needs."""
    lang = language(request)

    def t(key: str, **values: object) -> str:
        return i18n.message(lang, key, **values)

    csrf = csrf_token(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "lang": lang,
            "t": t,
            "status_name": lambda status: i18n.status_name(lang, status),
            "verdict_name": lambda verdict: i18n.verdict_name(lang, verdict),
            "milestone_name": lambda kind: i18n.milestone_name(lang, kind),
            "gap_text": lambda gap: i18n.gap_text(lang, gap),
            "web_link": web_link,
            "csrf": csrf,
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            **context,
        },
        status_code=status_code,
    )
    keep_session(request, response)
    # Pages show what one token may see: never kept by shared caches or the back button.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = "zh-CN" if lang == "zh" else "en"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def error_page(
    request: Request, status_code: int, detail: str, headers: dict[str, str] | None = None
) -> Response:
    """A problem shown as a page instead of problem+json."""
    response = render(
        request,
        "error.html",
        {"detail": detail, "status": status_code},
        user=None,
        status_code=status_code,
    )
    response.headers.update(headers or {})
    return response


def fields_detail(request: Request, errors: Sequence[Mapping[str, Any]]) -> str:
    """What a page says of refused fields: each field and its message, in the page's language."""
    lang = language(request)
    named = "; ".join(
        f"{'.'.join(map(str, e['loc'][1:]))}: {i18n.field_message(lang, e)}" for e in errors
    )
    return i18n.message(lang, "invalid_fields", fields=named)


def redirect(url: str) -> RedirectResponse:
    """See other: the answer to a form that worked."""
    return RedirectResponse(url, status_code=303)


def safe_next(url: str | None, default: str = "/web/") -> str:
    """A local page to go back to; anything else (another site, a scheme) goes home."""
    if url and url.startswith("/web") and not url.startswith("//") and "\\" not in url:
        return url
    return default


class PageRoute(APIRoute):
    """A page route: sign-in redirects, and errors answered as pages in the user's language."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired as exc:
                return redirect(f"/web/login?next={quote(exc.next_url, safe='')}")
            except CsrfFailed:
                message = i18n.message(language(request), "csrf_failed")
                return error_page(request, 403, message)
            except AppError as exc:
                detail = fields_detail(request, exc.errors) if exc.errors else exc.detail
                return error_page(request, exc.status_code, detail, exc.headers)
            except RequestValidationError as exc:
                return error_page(request, 422, fields_detail(request, exc.errors()))

        return page_handler
