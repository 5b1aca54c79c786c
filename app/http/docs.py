"""The API documentation pages (Swagger UI, ReDoc), served from vendored copies: no CDN."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.responses import HTMLResponse

SWAGGER_UI = "/static/vendor/swagger-ui-dist-5.35.0"
REDOC = "/static/vendor/redoc-2.5.4"
DOCS_URL = "/docs"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
REDOC_URL = "/redoc"
DOCS_PATHS = frozenset({DOCS_URL, OAUTH2_REDIRECT_URL, REDOC_URL})

router = APIRouter(include_in_schema=False)


def _title(request: Request) -> str:
    app: FastAPI = request.app
    return app.title


@router.get(DOCS_URL)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over /openapi.json."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=f"{_title(request)} - Swagger UI",
        swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
        oauth2_redirect_url=OAUTH2_REDIRECT_URL,
    )


@router.get(OAUTH2_REDIRECT_URL)
def swagger_ui_redirect() -> HTMLResponse:
    """Swagger UI's OAuth2 redirect page."""
    return get_swagger_ui_oauth2_redirect_html()


@router.get(REDOC_URL)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc over /openapi.json."""
    return get_redoc_html(
        openapi_url="/openapi.json",
        title=f"{_title(request)} - ReDoc",
        redoc_js_url=f"{REDOC}/redoc.standalone.js",
        redoc_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
        with_google_fonts=False,
    )
