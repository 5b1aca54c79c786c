"""The FastAPI application: routers, problem handlers and OpenAPI metadata."""

from fastapi import APIRouter, FastAPI

from app import health
from app.admission import ConcurrencyLimit
from app.categories.router import router as categories_router
from app.config import get_settings
from app.limits import BodySizeLimit
from app.parks.router import router as parks_router
from app.problems import install_problem_handlers
from app.progress.router import router as progress_router
from app.projects.router import router as projects_router
from app.reports.router import router as reports_router
from app.rollups.router import router as rollups_router
from app.spreadsheets.router import router as spreadsheets_router

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
    {"name": "parks", "description": "Parks (regions of table 4) and their printed spellings."},
    {"name": "categories", "description": "The three project categories."},
    {"name": "rollups", "description": "The portfolio summed by park, category, year, status."},
    {"name": "reports", "description": "Reconciliation with the plan and tracking reports."},
    {"name": "spreadsheets", "description": "Monthly report template and uploads for officers."},
    {"name": "health", "description": "Probes for load balancers and orchestrators."},
]


def create_app() -> FastAPI:
    """Build the application."""
    app = FastAPI(
        title="Key-project portfolio service",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
    )
    install_problem_handlers(app)
    settings = get_settings()
    app.add_middleware(
        BodySizeLimit,
        json_limit=settings.max_json_body_bytes,
        upload_limit=settings.max_upload_bytes,
    )
    # The engine's pool holds db_pool_size connections plus as many overflow ones.
    app.add_middleware(ConcurrencyLimit, limit=2 * settings.db_pool_size)
    api = APIRouter(prefix="/api/v1")
    for router in (
        projects_router,
        progress_router,
        parks_router,
        categories_router,
        rollups_router,
        reports_router,
        spreadsheets_router,
    ):
        api.include_router(router)
    app.include_router(api)
    app.include_router(health.router)
    return app
