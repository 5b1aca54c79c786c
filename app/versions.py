"""An entity's version as a strong entity tag, and the precondition a change must meet.

Services check `If-Match` against the current tag inside the transaction that locks the
entity; `app.http.etags` sends the tags and documents the headers.
"""

import hashlib

from pydantic import BaseModel

from app.problems import IF_MATCH_REQUIRED, PreconditionFailed, PreconditionRequired


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
