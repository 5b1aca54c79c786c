"""Rollup endpoint."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app.auth.deps import Reader
from app.db import SessionDep
from app.exports.negotiation import Accepted
from app.exports.writers import export_response
from app.http import metrics
from app.http.caching import CACHE_RESPONSES, ETag
from app.problems import problem_responses
from app.rollups import service
from app.rollups.schemas import Rollup, RollupQuery, Series, SeriesQuery
from app.rollups.tables import rollup_table, series_table

router = APIRouter(prefix="/rollups", tags=["rollups"])


def rollup_cache(request: Request) -> service.RollupCache:
    """This application's cache of recent rollups (one per worker process)."""
    state = request.app.state
    if not hasattr(state, "rollup_cache"):
        state.rollup_cache = service.RollupCache()
    cache: service.RollupCache = state.rollup_cache
    return cache


@router.get(
    "",
    response_model=Rollup,
    response_model_exclude_unset=True,
    status_code=200,
    summary="Roll the portfolio up by one or two dimensions",
    responses={**CACHE_RESPONSES, **problem_responses(401, 422)},
)
async def get_rollup(
    _: Reader,
    session: SessionDep,
    query: Annotated[RollupQuery, Query()],
    accepted: Accepted,
    etag: ETag,
    request: Request,
) -> Response:
    """Counts, planned and invested 万元, statuses, blockers and schedule gap per group."""
    cache = rollup_cache(request)
    # A rollup the ETag names and this worker holds is answered without a worker thread;
    # computing one (or waiting for the request computing it) takes a thread.
    answer = service.cached_answer(cache, etag=etag)
    if answer is None:
        with metrics.rollup_timer(query.by):
            answer = await run_in_threadpool(
                service.cached_rollup, session, query=query, etag=etag, cache=cache
            )
    if export := query.format or accepted:
        return await run_in_threadpool(
            export_response, rollup_table(answer.rollup), export, etag=etag
        )
    # Encoded once per cached rollup rather than validated and serialized on every answer.
    return Response(answer.json, media_type="application/json", headers={"ETag": etag})


@router.get(
    "/series",
    response_model=Series,
    status_code=200,
    summary="Starts, resumptions, completions and investment per month or quarter",
    responses={**CACHE_RESPONSES, **problem_responses(401, 422)},
)
async def get_series(
    _: Reader,
    session: SessionDep,
    query: Annotated[SeriesQuery, Query()],
    accepted: Accepted,
    etag: ETag,
    request: Request,
) -> Response:
    """Per period (and group): projects started (开工), resumed (复工), started or resumed
    (开复工), completed (竣工) and commissioned (投产), and investment completed (万元).
    Quarter counts like "一季度 348 个项目开复工, 58 个项目竣工投产" come straight from
    `interval=quarter`."""
    with metrics.rollup_timer(["series", *query.by]):
        series = await run_in_threadpool(
            service.cached_series, session, query=query, key=etag, cache=rollup_cache(request)
        )
    if export := query.format or accepted:
        return await run_in_threadpool(export_response, series_table(series), export, etag=etag)
    return Response(
        series.model_dump_json(by_alias=True), media_type="application/json", headers={"ETag": etag}
    )
