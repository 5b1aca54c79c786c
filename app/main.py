"""The FastAPI application: routers, problem handlers and OpenAPI metadata."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from app.audit.router import router as audit_router
from app.blockers.router import router as blockers_router
from app.categories.router import router as categories_router
from app.config import API_PREFIX, get_settings
from app.db import Database
from app.editions.router import router as editions_router
from app.http import docs, health, metrics
from app.http.admission import ConcurrencyLimit
from app.http.observability import RequestObservability
from app.http.rate_limits import install_rate_limits
from app.http.request_limits import BodySizeLimit, HeaderLimit
from app.http.security_headers import install_security_headers
from app.logs import configure_logging
from app.parks.router import router as parks_router
from app.plans.router import router as plans_router
from app.problems import install_problem_handlers
from app.progress.router import router as progress_router
from app.projects.router import router as projects_router
from app.reports.router import router as reports_router
from app.reviews.router import router as reviews_router
from app.rollups.router import router as rollups_router
from app.spreadsheets.router import router as spreadsheets_router
from app.web import router as web
from app.web.pages import HERE as WEB_DIR

DESCRIPTION = """
Dalian's key-project library (大连沿海产业转型升级示范区重点项目库, Appendix 3 of the
plan): 178 industrial-park investment projects in three categories, their progress history
and their parks.

Every `/api/v1` endpoint needs `Authorization: Bearer <token>`; tokens are issued with
`portfolio token create`. Money is exact integers in 万元 (CNY 10,000) wherever a field ends
in `_wan`. Errors are RFC 9457 problem details (`application/problem+json`).
"""

TAGS = [
    {"name": "projects", "description": "The project library."},
    {"name": "progress", "description": "Progress history of a project."},
    {
        "name": "plans",
        "description": "Annual plans (with adjustments) and milestones of a project.",
    },
    {"name": "parks", "description": "Parks (regions of table 4) and their printed spellings."},
    {"name": "categories", "description": "The three project categories."},
    {
        "name": "editions",
        "description": "Editions of the library: the plan's appendix and the batches added later.",
    },
    {"name": "rollups", "description": "The portfolio summed by park, category, year, status."},
    {"name": "reports", "description": "Reconciliation with the plan and tracking reports."},
    {
        "name": "blockers",
        "description": "The 问题清单: blockers raised on projects, each step of their life, "
        "and their 办结率.",
    },
    {"name": "spreadsheets", "description": "Monthly report template and uploads for officers."},
    {"name": "audit", "description": "Who changed which master data, when, and why (admins)."},
    {"name": "health", "description": "Probes for load balancers and orchestrators."},
]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Reach the database as the settings say; close its pools when the server stops, after
    in-flight requests finished."""
    app.state.database = Database(get_settings())
    yield
    await app.state.database.close()


def create_app() -> FastAPI:
    """Build the application."""
    settings = get_settings()
    configure_logging(level=settings.log_level, console=settings.console_logs)
    app = FastAPI(
        title="Key-project portfolio service",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        # FastAPI's native OpenTelemetry asks the global providers on every request whether
        # to trace; the service measures itself with Prometheus (app.http.metrics) instead.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        # Served by app.http.docs from vendored assets instead of FastAPI's CDN-backed pages.
        docs_url=None,
        redoc_url=None,
    )
    install_problem_handlers(app)
    # Every API route depends on `app.auth.deps.admit` through its principal: token, scopes,
    # query parameters and rate limits are checked there.
    api = APIRouter(prefix=API_PREFIX)
    for router in (
        projects_router,
        progress_router,
        reviews_router,
        plans_router,
        parks_router,
        editions_router,
        categories_router,
        rollups_router,
        reports_router,
        blockers_router,
        spreadsheets_router,
        audit_router,
    ):
        api.include_router(router)
    app.include_router(api)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(docs.router)
    app.include_router(web.root)
    app.include_router(web.router)
    install_rate_limits(app, settings)
    # Middleware, innermost first. Admission sits inside the body limit, so only a request
    # whose body is in hand waits for, and holds, a place; the engine's pool holds
    # db_pool_size connections plus as many overflow ones.
    app.add_middleware(ConcurrencyLimit, limit=2 * settings.db_pool_size)
    app.add_middleware(
        BodySizeLimit,
        json_limit=settings.max_json_body_bytes,
        upload_limit=settings.max_upload_bytes,
        deadline=settings.body_timeout_seconds,
    )
    app.add_middleware(
        HeaderLimit, max_count=settings.max_header_count, max_bytes=settings.max_header_bytes
    )
    install_security_headers(app, settings)
    app.add_middleware(RequestObservability)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    return app
