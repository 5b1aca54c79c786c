"""Edition endpoints: the plan's edition of the library and the batches added after it."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from app.auth.deps import Admin, Reader
from app.db import SessionDep
from app.editions import service
from app.editions.schemas import EDITION_ID_PATTERN, EditionCreate, EditionList, EditionPublic
from app.http.responses import model_response
from app.problems import problem_responses

router = APIRouter(prefix="/editions", tags=["editions"])

EditionIdPath = Annotated[
    str,
    Path(max_length=32, pattern=EDITION_ID_PATTERN, description="Edition id, e.g. plan."),
]


@router.get(
    "",
    response_model=EditionList,
    status_code=200,
    summary="List the editions of the library",
    responses=problem_responses(401),
)
def list_editions(_: Reader, session: SessionDep) -> EditionList:
    """The plan's edition and every batch added since, each with its projects and 万元."""
    return EditionList(items=service.list_editions(session))


@router.post(
    "",
    response_model=EditionPublic,
    status_code=201,
    summary="Add a batch of the library",
    responses=problem_responses(401, 403, 409, 422),
)
def create_edition(
    principal: Admin, session: SessionDep, data: EditionCreate, request: Request
) -> Response:
    """Admins add a batch (入库批次) with its document (文号) and date; audit-logged."""
    edition = service.create_edition(session, data=data, actor=principal)
    return model_response(
        edition, status_code=201, headers={"Location": f"{request.url.path}/{edition.id}"}
    )


@router.get(
    "/{edition_id}",
    response_model=EditionPublic,
    status_code=200,
    summary="Get one edition",
    responses=problem_responses(401, 404, 422),
)
def get_edition(_: Reader, session: SessionDep, edition_id: EditionIdPath) -> EditionPublic:
    """One edition with its document, project count and planned investment."""
    return service.get_edition(session, edition_id=edition_id)
