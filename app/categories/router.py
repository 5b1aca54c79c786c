"""Category endpoints."""

from fastapi import APIRouter

from app.auth.deps import Reader
from app.categories import service
from app.categories.schemas import CategoryList
from app.db import SessionDep
from app.problems import problem_responses

router = APIRouter(prefix="/categories", tags=["categories"])


@router.get(
    "",
    response_model=CategoryList,
    status_code=200,
    summary="List categories",
    responses=problem_responses(401),
)
def list_categories(session: SessionDep, _: Reader) -> CategoryList:
    """The three categories of the library with their project counts and investment."""
    return CategoryList(items=service.list_categories(session))
