"""Entity tags for optimistic concurrency: `ETag` on reads, `If-Match` required on changes."""

import hashlib
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import Response
from pydantic import BaseModel

from app.problems import IF_MATCH_REQUIRED, PreconditionFailed, PreconditionRequired

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


def etag(kind: str, key: str, version: int, *, body: bytes | None = None) -> str:
    """The strong ETag of one version of an entity, and of the bytes sent for it if given."""
    if body is None:
        return f'"{kind}-{key}-v{version}"'
    # The version alone is not enough where the representation shows more than the entity's
    # own columns (a project's current report and its review): a strong tag names the bytes.
    return f'"{kind}-{key}-v{version}-{hashlib.blake2b(body, digest_size=8).hexdigest()}"'


def json_body(model: BaseModel) -> bytes:
    """The JSON a versioned answer sends for `model`: the bytes its ETag digests."""
    return model.__pydantic_serializer__.to_json(model)


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


def require_if_match(if_match: str | None, current: str) -> None:
    """Refuse a change without `If-Match` (428) or made against another version (412)."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(IF_MATCH_REQUIRED)
    # Strong comparison (RFC 9110 §13.1.1): a weak tag never matches, even one naming the
    # current tag, since it promises only an equivalent representation, not the same one.
    candidates = {tag.strip() for tag in if_match.split(",")}
    if "*" not in candidates and current not in candidates:
        raise PreconditionFailed(
            f"The resource changed since you read it (now {current}); fetch it again and "
            "reapply your change."
        )


_ETAG = {"description": "The version read; send it back as If-Match to change the resource."}
_LOCATION = {"description": "Where the new resource is."}
VERSIONED: dict[int | str, dict[str, Any]] = {200: {"headers": {"ETag": _ETAG}}}
CREATED: dict[int | str, dict[str, Any]] = {
    201: {"headers": {"ETag": _ETAG, "Location": _LOCATION}}
}
