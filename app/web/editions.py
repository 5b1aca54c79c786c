"""The editions page: the plan's edition of the library and the batches added after it."""

from fastapi import APIRouter, Request, Response

from app.db import SessionDep
from app.editions import service
from app.web.pages import PageRoute, render
from app.web.session import WebUser

# Included in `app.web.router.router`, under its `/web` prefix.
router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/editions", response_model=None)
def editions_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    """Every edition with its document, projects and planned investment, as the API lists them."""
    return render(request, "editions.html", {"editions": service.list_editions(session)}, user=user)
