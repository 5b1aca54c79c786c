"""Park endpoints."""

from typing import Annotated

from fastapi import APIRouter, Path

from app.auth.deps import Reader
from app.db import SessionDep
from app.parks import service
from app.parks.schemas import ParkList, ParkPublic
from app.problems import problem_responses

router = APIRouter(prefix="/parks", tags=["parks"])


@router.get(
    "",
    response_model=ParkList,
    status_code=200,
    summary="List parks",
    responses=problem_responses(401),
)
def list_parks(session: SessionDep, _: Reader) -> ParkList:
    """All parks in table 4 order, with their printed spellings, tier and library totals."""
    return ParkList(items=service.list_parks(session))


@router.get(
    "/{park_id}",
    response_model=ParkPublic,
    status_code=200,
    summary="Get one park",
    responses=problem_responses(401, 404, 422),
)
def get_park(
    park_id: Annotated[str, Path(max_length=32)], session: SessionDep, _: Reader
) -> ParkPublic:
    """One park with its spellings, tier and library totals."""
    return service.get_park(session, park_id=park_id)
