"""Annual plans and milestones of a project, nested under it."""

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response

from app.auth.deps import MilestoneWriter, PlanWriter, Reader
from app.db import SessionDep, StatementsDep
from app.http.etags import CREATED, VERSIONED, versioned_response
from app.models import MilestoneKind
from app.plans import service
from app.plans.schemas import (
    MILESTONE_RULES,
    PLAN_RULES,
    YEAR_MAX,
    YEAR_MIN,
    MilestoneList,
    MilestonePublic,
    MilestonePut,
    PlanList,
    PlanPublic,
    PlanPut,
    PlanRowAction,
)
from app.problems import problem_responses
from app.projects.deps import ProjectByCode, ProjectCode

router = APIRouter(prefix="/projects/{code}", tags=["plans"])

Year = Annotated[
    int, Path(ge=YEAR_MIN, le=YEAR_MAX, description="Calendar year of the plan, e.g. 2026.")
]
OptionalIfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="Optional: the ETag of the plan in force read last; refused (412) if it "
        "changed since. Weak tags (W/…) never match.",
    ),
]


@router.get(
    "/plans",
    response_model=PlanList,
    status_code=200,
    summary="List a project's annual plans",
    responses=problem_responses(401, 403, 404, 422),
)
def list_plans(principal: Reader, session: SessionDep, project: ProjectByCode) -> PlanList:
    """Each year's plan in force with every revision, oldest first; officers: own park only."""
    return service.list_plans(session, project=project, principal=principal)


@router.get(
    "/plans/{year}",
    response_model=PlanPublic,
    status_code=200,
    summary="Get a project's plan for one year",
    responses={**VERSIONED, **problem_responses(401, 403, 404, 422)},
)
def get_plan(
    principal: Reader, session: SessionDep, project: ProjectByCode, year: Year
) -> Response:
    """The year's plan in force, its revisions and (header) ETag; officers: own park only."""
    answer = service.get_plan(session, project=project, year=year, principal=principal)
    return _versioned(answer)


@router.put(
    "/plans/{year}",
    response_model=PlanPublic,
    status_code=200,
    summary="Create or adjust a project's plan for one year",
    description=PLAN_RULES + " Planners and admins.",
    responses={
        **VERSIONED,
        **CREATED,
        **problem_responses(401, 403, 404, 409, 412, 422),
    },
)
def put_plan(
    principal: PlanWriter,
    session: SessionDep,
    project: ProjectByCode,
    year: Year,
    data: PlanPut,
    request: Request,
    if_match: OptionalIfMatch = None,
) -> Response:
    """Create (201) or adjust (200, needs reason and document) a year's plan."""
    written = service.put_plan(
        session, project=project, year=year, data=data, principal=principal, if_match=if_match
    )
    if written.action is PlanRowAction.create:
        return _versioned(written.answer, status_code=201, headers={"Location": request.url.path})
    return _versioned(written.answer)


def _versioned(
    answer: service.PlanAnswer, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    plan = answer.plan
    return versioned_response(
        plan,
        kind=service.PLAN,
        key=service.plan_key(plan.project_code, plan.year),
        version=answer.version,
        status_code=status_code,
        headers=headers,
    )


@router.get(
    "/milestones",
    response_model=MilestoneList,
    status_code=200,
    summary="List a project's milestones",
    responses=problem_responses(401, 404, 422),
)
def list_milestones(_: Reader, session: SessionDep, project: ProjectByCode) -> MilestoneList:
    """The five stages in life-cycle order with planned and actual dates, and which are late."""
    return service.list_milestones(session, project=project)


@router.put(
    "/milestones/{kind}",
    response_model=MilestonePublic,
    status_code=200,
    summary="Set a milestone's planned and actual dates",
    description=MILESTONE_RULES,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def put_milestone(
    principal: MilestoneWriter,
    statements: StatementsDep,
    code: ProjectCode,
    kind: Annotated[MilestoneKind, Path(description="The stage, in life-cycle order.")],
    change: MilestonePut,
) -> MilestonePublic:
    """Set one stage's dates; the status-implying actual dates come in progress reports."""
    return await service.put_milestone(
        statements, code=code, kind=kind, change=change, principal=principal
    )
