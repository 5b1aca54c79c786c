"""Park endpoints."""

from typing import Annotated

from fastapi import APIRouter, Body, Path, Request, Response

from app.auth.deps import Admin, Reader
from app.db import SessionDep
from app.http.etags import CREATED, VERSIONED, IfMatch, versioned_response
from app.parks import service
from app.parks.schemas import ParkChange, ParkCreate, ParkList, ParkPublic, ParkUpdate
from app.problems import problem_responses

router = APIRouter(prefix="/parks", tags=["parks"])

ParkId = Annotated[
    str, Path(max_length=32, pattern=r"^[a-z0-9_-]+$", description="Park id, e.g. gaoxin.")
]
Why = Annotated[ParkChange | None, Body(description="Optional: why, for the audit log.")]


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


@router.post(
    "",
    response_model=ParkPublic,
    status_code=201,
    summary="Create a park",
    responses={**CREATED, **problem_responses(401, 403, 409, 422)},
)
def create_park(
    principal: Admin, session: SessionDep, data: ParkCreate, request: Request
) -> Response:
    """Admins add a park with its spellings and tier."""
    park = service.create_park(session, data=data, actor=principal)
    return _versioned(park, status_code=201, headers={"Location": f"{request.url.path}/{park.id}"})


@router.get(
    "/{park_id}",
    response_model=ParkPublic,
    status_code=200,
    summary="Get one park",
    responses={**VERSIONED, **problem_responses(401, 404, 422)},
)
def get_park(_: Reader, session: SessionDep, park_id: ParkId) -> Response:
    """One park with its spellings, tier, library totals and (header) ETag."""
    return _versioned(service.get_park(session, park_id=park_id))


@router.patch(
    "/{park_id}",
    response_model=ParkPublic,
    status_code=200,
    summary="Change a park",
    responses={**VERSIONED, **problem_responses(401, 403, 404, 409, 412, 422, 428)},
)
def update_park(
    principal: Admin,
    session: SessionDep,
    park_id: ParkId,
    changes: ParkUpdate,
    if_match: IfMatch,
) -> Response:
    """Admins change a park's names, spellings or tier, sending If-Match."""
    return _versioned(
        service.update_park(
            session, park_id=park_id, changes=changes, if_match=if_match, actor=principal
        )
    )


@router.post(
    "/{park_id}/archive",
    response_model=ParkPublic,
    status_code=200,
    summary="Archive a park",
    responses={**VERSIONED, **problem_responses(401, 403, 404, 409, 412, 422, 428)},
)
def archive_park(
    principal: Admin, session: SessionDep, park_id: ParkId, if_match: IfMatch, change: Why = None
) -> Response:
    """Hide a park that has no active projects left from the park list."""
    return _versioned(
        service.archive_park(
            session,
            park_id=park_id,
            if_match=if_match,
            archive=True,
            actor=principal,
            change=change,
        )
    )


@router.post(
    "/{park_id}/restore",
    response_model=ParkPublic,
    status_code=200,
    summary="Restore an archived park",
    responses={**VERSIONED, **problem_responses(401, 403, 404, 409, 412, 422, 428)},
)
def restore_park(
    principal: Admin, session: SessionDep, park_id: ParkId, if_match: IfMatch, change: Why = None
) -> Response:
    """Bring an archived park back into the park list."""
    return _versioned(
        service.archive_park(
            session,
            park_id=park_id,
            if_match=if_match,
            archive=False,
            actor=principal,
            change=change,
        )
    )


def _versioned(
    park: ParkPublic, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return versioned_response(
        park,
        kind=service.PARK,
        key=park.id,
        version=park.version,
        status_code=status_code,
        headers=headers,
    )
