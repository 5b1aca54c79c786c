"""Entity tags for optimistic concurrency: `ETag` on reads, `If-Match` required on changes."""

from typing import Annotated, Any

from fastapi import Header

from app.problems import PreconditionFailed, PreconditionRequired

IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description="The ETag from the last GET; required for changes."),
]


def etag(kind: str, key: str, version: int) -> str:
    """The strong ETag of one version of an entity."""
    return f'"{kind}-{key}-v{version}"'


def require_if_match(if_match: str | None, current: str) -> None:
    """Refuse a change without `If-Match` (428) or made against another version (412)."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "Send If-Match with the ETag from the last GET of this resource, so that no one "
            "else's change is overwritten."
        )
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
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
