"""Rollup endpoint."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.deps import Reader
from app.db import SessionDep
from app.problems import problem_responses
from app.rollups import service
from app.rollups.schemas import Rollup, RollupQuery

router = APIRouter(prefix="/rollups", tags=["rollups"])


@router.get(
    "",
    response_model=Rollup,
    response_model_exclude_unset=True,
    status_code=200,
    summary="Roll the portfolio up by one or two dimensions",
    responses=problem_responses(401, 422),
)
def get_rollup(_: Reader, session: SessionDep, query: Annotated[RollupQuery, Query()]) -> Rollup:
    """Counts, planned and invested 万元, statuses, blockers and schedule gap per group."""
    return service.build_rollup(session, query=query)
