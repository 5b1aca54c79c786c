"""RFC 9457 problem details: the error schema, the AppError family and their handlers."""

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.logs import current_request_id

PROBLEM_JSON = "application/problem+json"
# A body of 64 KiB can still hold thousands of wrong fields; a client fixes the first few,
# and a list of all of them would cost more to build and send than the request did.
MAX_ERRORS = 50
IF_MATCH_REQUIRED = (
    "Send If-Match with the ETag from the last GET of this resource, so that no one else's "
    "change is overwritten."
)
log = logging.getLogger(__name__)


class FieldError(BaseModel):
    """One offending input field."""

    loc: list[str | int] = Field(description="Where the field is: body, query, path or header.")
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = Field(default="about:blank", examples=["about:blank"])
    title: str = Field(description="The status's reason phrase.", examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(
        description="What went wrong, and what to do about it.",
        examples=["No project has the code 'INF-999'."],
    )
    instance: str | None = Field(default=None, examples=["/api/v1/projects/INF-999"])
    errors: list[FieldError] | None = Field(
        default=None,
        description=f"For invalid input: each offending field, the first {MAX_ERRORS} at most.",
    )
    error_count: int | None = Field(
        default=None,
        description="For invalid input: how many fields were wrong, listed in `errors` or not.",
    )
    request_id: str | None = Field(
        default=None,
        description="The request's id, as in its X-Request-ID header and the service's logs.",
        examples=["4f6c1d0e9b7a4c2e8d3f5a6b7c8d9e0f"],
    )


class AppError(Exception):
    """An error with an HTTP status that the service raises on purpose."""

    status_code: int = 400

    def __init__(
        self,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers
        self.errors = errors


class Unauthorized(AppError):
    status_code = 401

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class PreconditionFailed(AppError):
    status_code = 412


class ContentTooLarge(AppError):
    status_code = 413


class UnsupportedMediaType(AppError):
    status_code = 415


class InvalidInput(AppError):
    """Bad input; `errors` names each offending field as validation problems do."""

    status_code = 422


class PreconditionRequired(AppError):
    status_code = 428


def field_error(
    *loc: str | int, msg: str, type_: str = "value_error", ctx: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """One entry of a problem's `errors` list; `ctx` holds the values `msg` was made from."""
    # The web pages word the message in the reader's language from `type_` and `ctx`, as they
    # do pydantic's own errors; the API sends `loc`, `msg` and `type`.
    error: dict[str, Any] = {"loc": list(loc), "msg": msg, "type": type_}
    if ctx is not None:
        error["ctx"] = dict(ctx)
    return error


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    errors: Sequence[Mapping[str, Any]] | None = None,
    error_count: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Build a problem+json response for `request`; `error_count` counts errors left out."""
    listed = None
    if errors is not None:
        error_count = max(error_count or 0, len(errors))
        listed = [FieldError.model_validate(e) for e in errors[:MAX_ERRORS]]
        if error_count > len(listed):
            detail = f"{detail} Only the first {len(listed)} of {error_count} errors are listed."
    problem = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=listed,
        error_count=error_count if errors is not None else None,
        request_id=current_request_id(),
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    if exc.status_code == 304:
        return Response(status_code=304, headers=exc.headers)
    return problem_response(
        request, exc.status_code, exc.detail, errors=exc.errors, headers=exc.headers
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"Nothing is served at {request.url.path}."
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
        headers["Allow"] = ", ".join(_allowed_methods(request))
    elif exc.status_code == 400 and "parsing the body" in detail:
        # A body that is not even text (bad UTF-8, binary) is as invalid as malformed JSON.
        return problem_response(
            request,
            422,
            "Invalid input: the body is not valid JSON.",
            errors=[{"loc": ["body"], "msg": "not valid JSON", "type": "json_invalid"}],
        )
    elif exc.status_code == 400 and "multipart" in detail.lower():
        # A broken form upload is bad input like any other: 422, as documented.
        return problem_response(
            request,
            422,
            "Invalid input: the body is not valid multipart/form-data.",
            errors=[
                {"loc": ["body"], "msg": "not valid multipart data", "type": "multipart_invalid"}
            ],
        )
    return problem_response(request, exc.status_code, detail, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    # Starlette names only the first route matching the path; ask every route, per method.
    return [
        method
        for method in ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.routes
        )
    ]


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(
        request,
        503,
        "The database is unavailable or busy; try again shortly.",
        headers={"Retry-After": "5"},
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    found = exc.errors()
    if len(found) == 1 and _missing_if_match(found[0]):
        # The header is required, and documented so; without it the change is not refused as
        # invalid but as unconditional (RFC 6585), like one sent with an empty If-Match.
        return problem_response(request, 428, IF_MATCH_REQUIRED)
    # Pydantic has already listed every error; only those sent are converted and described.
    errors = [
        {
            "loc": [p if isinstance(p, int) else str(p) for p in e["loc"]],
            "msg": e["msg"],
            "type": e["type"],
        }
        for e in found[:MAX_ERRORS]
    ]
    return problem_response(
        request,
        422,
        "Invalid input: " + "; ".join(_describe(e) for e in errors) + ".",
        errors=errors,
        error_count=len(found),
    )


def _missing_if_match(error: Mapping[str, Any]) -> bool:
    loc = tuple(error["loc"])
    return error["type"] == "missing" and loc == ("header", "If-Match")


def _describe(error: dict[str, Any]) -> str:
    where, *path = error["loc"]
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return f"{where} {field}: {error['msg']}" if field else f"{where}: {error['msg']}"


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(request, 500, "The service failed to answer; this is a bug.")


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error, routing and unexpected ones included, answer problem+json."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    # A database that is down, a connection cut off, or no pooled connection free in time;
    # the psycopg errors come from `PooledStatements`, which runs on the driver directly.
    for unavailable in (
        OperationalError,
        InterfaceError,
        PoolTimeout,
        psycopg.OperationalError,
        psycopg.InterfaceError,
    ):
        app.add_exception_handler(unavailable, _database_error)
    app.add_exception_handler(Exception, _unhandled)


# What the service says for each status, as it says it: the document's example answers.
_EXAMPLES: dict[int, tuple[str, str]] = {
    401: ("/api/v1/projects", "The API token is unknown, expired or revoked."),
    403: (
        "/api/v1/projects/INF-001/progress",
        "This officer token covers park 'gaoxin'; project INF-001 belongs to park 'kaifaqu'.",
    ),
    404: ("/api/v1/projects/INF-999", "No project has the code 'INF-999'."),
    409: (
        "/api/v1/projects/INF-005",
        "Project INF-005 is archived; restore it before changing it.",
    ),
    412: (
        "/api/v1/projects/INF-005",
        'The resource changed since you read it (now "project-INF-005-v2-5f0c8e1a9b3d7264"); '
        "fetch it again and reapply your change.",
    ),
    413: (
        "/api/v1/projects/INF-005/progress",
        "The request body exceeds the limit of 65536 bytes.",
    ),
    415: (
        "/api/v1/progress-uploads",
        "The file is neither an XLSX workbook nor a CSV file.",
    ),
    422: ("/api/v1/projects/INF-005/progress", "Invalid input: body status: Field required."),
    428: ("/api/v1/projects/INF-005", IF_MATCH_REQUIRED),
    429: (
        "/api/v1/projects/INF-005/progress",
        "This token has used its writes allowance (60 per 1 minute); try again in 42 s.",
    ),
    503: ("/readyz", "The database is unavailable or busy; try again shortly."),
}
_EXAMPLE_ERRORS: dict[int, list[dict[str, Any]]] = {
    422: [{"loc": ["body", "status"], "msg": "Field required", "type": "missing"}],
}


def problem_example(status: int) -> dict[str, Any]:
    """A problem the service answers with `status`, as the OpenAPI document shows it."""
    instance, detail = _EXAMPLES[status]
    example: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if status in _EXAMPLE_ERRORS:
        example["errors"] = _EXAMPLE_ERRORS[status]
        example["error_count"] = len(_EXAMPLE_ERRORS[status])
    example["request_id"] = "4f6c1d0e9b7a4c2e8d3f5a6b7c8d9e0f"
    return example


def problem_content(status: int) -> dict[str, Any]:
    """The `content` of an OpenAPI response documenting a problem answer with `status`."""
    return {
        PROBLEM_JSON: {
            "schema": {"$ref": "#/components/schemas/Problem"},
            "example": problem_example(status),
        },
        # FastAPI adds the route's own media type for a response with a model (which puts the
        # Problem schema in the document); it gets the same example, not Problem's field ones.
        "application/json": {"example": problem_example(status)},
    }


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries documenting the problem answers a route can give."""
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": problem_content(status),
        }
        for status in statuses
    }
