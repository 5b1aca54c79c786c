"""Entity tags for optimistic concurrency: `ETag` on reads, `If-Match` required on changes."""

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import Response
from pydantic import BaseModel

from app.versions import etag, json_body

# Required in the OpenAPI document, as it is in fact; a request without it is answered 428,
# not 422, by the validation handler (app/problems.py), since the header is a precondition.
IfMatch = Annotated[
    str,
    Header(
        alias="If-Match",
        description="The ETag from the last GET of this resource; weak tags (W/…) never match.",
        # Documented only: a blank value is answered 428, like a missing one.
        json_schema_extra={"pattern": r"\S"},
    ),
]


def versioned_response(
    model: BaseModel,
    *,
    kind: str,
    key: str,
    version: int,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """`model` as JSON with a strong ETag naming its version and the very bytes sent."""
    body = json_body(model)
    return Response(
        body,
        status_code=status_code,
        media_type="application/json",
        headers={**(headers or {}), "ETag": etag(kind, key, version, body=body)},
    )


_ETAG = {"description": "The version read; send it back as If-Match to change the resource."}
_LOCATION = {"description": "Where the new resource is."}
VERSIONED: dict[int | str, dict[str, Any]] = {200: {"headers": {"ETag": _ETAG}}}
CREATED: dict[int | str, dict[str, Any]] = {
    201: {"headers": {"ETag": _ETAG, "Location": _LOCATION}}
}
