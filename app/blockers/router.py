"""Blocker endpoints: the 问题清单, one blocker with its history, raising and each step."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from app.auth.deps import Reader
from app.blockers import service
from app.blockers.schemas import (
    LIFE_RULES,
    OVERDUE_RULE,
    RESOLUTION_RATE_RULE,
    BlockerChange,
    BlockerCreate,
    BlockerDetail,
    BlockerList,
    BlockerListQuery,
    BlockerSummary,
    BlockerSummaryQuery,
)
from app.blockers.tables import blockers_table, summary_table
from app.db import SessionDep
from app.exports.negotiation import Accepted
from app.exports.writers import EXPORT_RESPONSES, export_response
from app.http.etags import CREATED, VERSIONED, IfMatch, versioned_response
from app.http.responses import model_response
from app.problems import problem_responses
from app.projects.deps import ProjectByCode

router = APIRouter(tags=["blockers"])

# Matched as digits only (`:int`), so that `/blockers/summary` is no blocker's path: a PATCH
# there is a method the path does not serve (405), not a malformed id.
BlockerId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The blocker's id.")]
SEEN_BY = (
    "Park officers see their own park's blockers only (naming another park is 403); "
    "planners and admins see every park's. Blockers of archived projects are left out."
)


@router.get(
    "/blockers",
    response_model=BlockerList,
    status_code=200,
    summary="List blockers (问题清单)",
    description=f"Blockers matching the filters, newest first, a page at a time; CSV or XLSX "
    f"(`format=` or `Accept`) exports every match. {OVERDUE_RULE} {SEEN_BY}",
    responses={**EXPORT_RESPONSES, **problem_responses(401, 403, 422)},
)
def list_blockers(
    principal: Reader,
    session: SessionDep,
    query: Annotated[BlockerListQuery, Query()],
    accepted: Accepted,
) -> Response:
    """The 问题清单, filtered and paged."""
    if export := query.format or accepted:
        items, total = service.export_rows(session, filters=query, principal=principal)
        return export_response(blockers_table(items, total), export)
    return model_response(service.list_blockers(session, query=query, principal=principal))


@router.get(
    "/blockers/summary",
    response_model=BlockerSummary,
    status_code=200,
    summary="Count blockers and their 办结率 by type, unit, level, state, park or category",
    description=f"Raised, open, overdue and resolved blockers per group and in total, "
    f"counted by the database over the same filters as the list. {RESOLUTION_RATE_RULE} "
    f"{OVERDUE_RULE} {SEEN_BY}",
    responses={**EXPORT_RESPONSES, **problem_responses(401, 403, 422)},
)
def summarize_blockers(
    principal: Reader,
    session: SessionDep,
    query: Annotated[BlockerSummaryQuery, Query()],
    accepted: Accepted,
) -> Response:
    """Blockers counted per group, with the 办结率."""
    summary = service.summarize(session, query=query, principal=principal)
    if export := query.format or accepted:
        return export_response(summary_table(summary), export)
    return model_response(summary)


@router.get(
    "/blockers/{blocker_id:int}",
    response_model=BlockerDetail,
    status_code=200,
    summary="Get one blocker with its history",
    description=f"The blocker as it stands, every step of its life oldest first, and (header) "
    f"its ETag, which a PATCH sends back as If-Match. {SEEN_BY}",
    responses={**VERSIONED, **problem_responses(401, 403, 404, 422)},
)
def get_blocker(principal: Reader, session: SessionDep, blocker_id: BlockerId) -> Response:
    """One blocker and its history."""
    return _versioned(service.get_blocker(session, blocker_id=blocker_id, principal=principal))


@router.post(
    "/projects/{code}/blockers",
    response_model=BlockerDetail,
    status_code=201,
    summary="Raise a blocker on a project",
    description="Raises a blocker (state `open`), recorded with who raised it and when as the "
    "first step of its history. Park officers raise on their own park's projects; planners "
    "and admins on any. An archived project takes none (409). A progress report's 存在问题 "
    "raises one too (see POST /projects/{code}/progress).",
    responses={**CREATED, **problem_responses(401, 403, 404, 409, 422)},
)
def raise_blocker(
    principal: Reader,
    session: SessionDep,
    project: ProjectByCode,
    data: BlockerCreate,
) -> Response:
    """Raise a blocker."""
    answer = service.raise_blocker(session, project=project, data=data, principal=principal)
    return _versioned(answer, status_code=201, headers={"Location": answer.blocker.links["self"]})


@router.patch(
    "/blockers/{blocker_id:int}",
    response_model=BlockerDetail,
    status_code=200,
    summary="Take a step in a blocker's life: a note, a state, an assignment, an escalation",
    description=LIFE_RULES,
    responses={**VERSIONED, **problem_responses(401, 403, 404, 409, 412, 422, 428)},
)
def change_blocker(
    principal: Reader,
    session: SessionDep,
    blocker_id: BlockerId,
    change: BlockerChange,
    if_match: IfMatch,
) -> Response:
    """One recorded step, guarded by the ETag the client read."""
    answer = service.change_blocker(
        session, blocker_id=blocker_id, change=change, principal=principal, if_match=if_match
    )
    return _versioned(answer)


def _versioned(
    answer: service.BlockerAnswer, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return versioned_response(
        answer.blocker,
        kind=service.BLOCKER_KIND,
        key=str(answer.blocker.id),
        version=answer.version,
        status_code=status_code,
        headers=headers,
    )
