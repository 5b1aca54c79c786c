"""RFC 9457 problem details: the error schema, the AppError family and their handlers."""

import logging
from collections.abc import Mapping
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
log = logging.getLogger(__name__)


class FieldError(BaseModel):
    """One offending input field."""

    loc: list[str | int] = Field(description="Where the field is: body, query, path or header.")
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = Field(default="about:blank", examples=["about:blank"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["No project has the code INF-999."])
    instance: str | None = Field(default=None, examples=["/api/v1/projects/INF-999"])
    errors: list[FieldError] | None = Field(
        default=None, description="For validation problems: each offending field."
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


def field_error(*loc: str | int, msg: str, type_: str = "value_error") -> dict[str, Any]:
    """One entry of a problem's `errors` list."""
    return {"loc": list(loc), "msg": msg, "type": type_}


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Build a problem+json response for `request`."""
    problem = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=[FieldError.model_validate(e) for e in errors] if errors is not None else None,
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
    errors = [
        {
            "loc": [p if isinstance(p, int) else str(p) for p in e["loc"]],
            "msg": e["msg"],
            "type": e["type"],
        }
        for e in exc.errors()
    ]
    return problem_response(
        request,
        422,
        "Invalid input: " + "; ".join(_describe(e) for e in errors) + ".",
        errors=errors,
    )


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


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries documenting the problem answers a route can give."""
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
