"""Idempotency-Key handling (IETF httpapi draft): the first answer is stored and replayed."""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.db import Transaction
from app.models import IdempotencyRecord, utcnow
from app.problems import InvalidInput, field_error

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class IdempotentRequest:
    """A request's key and the fingerprint of what it asks for."""

    key: str
    fingerprint: str


def parse_key(header: str | None) -> str | None:
    """Validate an `Idempotency-Key` header; the draft sends it as a quoted string."""
    if header is None:
        return None
    key = header.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidInput(
            "Idempotency-Key must be 1–255 printable ASCII characters.",
            errors=[field_error("header", "Idempotency-Key", msg="invalid idempotency key")],
        )
    return key


def fingerprint(method: str, path: str, body: dict[str, Any]) -> str:
    """Digest of what a request asks for, blind to key order and whitespace."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


_RECORD = IdempotencyRecord.__table__  # type: ignore[attr-defined]
_FIND = sa.select(_RECORD.c.fingerprint, _RECORD.c.response_body).where(
    _RECORD.c.token_id == sa.bindparam("token_id"), _RECORD.c.key == sa.bindparam("key")
)
_REMEMBER = sa.insert(_RECORD).values(
    {column.name: sa.bindparam(column.name) for column in _RECORD.c if column.name != "id"}
)


async def find(
    transaction: Transaction, *, token_id: int, request: IdempotentRequest
) -> dict[str, Any] | None:
    """Return the stored answer to an earlier request with this key, if any."""
    record = await transaction.first(_FIND, {"token_id": token_id, "key": request.key})
    if record is None:
        return None
    if record["fingerprint"] != request.fingerprint:
        raise InvalidInput(
            f"Idempotency-Key {request.key!r} was already used for a different request; "
            "use a new key for a new request.",
            errors=[field_error("header", "Idempotency-Key", msg="key reused with another body")],
        )
    body: dict[str, Any] = record["response_body"]
    return body


async def remember(
    transaction: Transaction,
    *,
    token_id: int,
    request: IdempotentRequest,
    status_code: int,
    body: dict[str, Any],
) -> None:
    """Store the answer in the caller's transaction, so it exists exactly when the write does."""
    await transaction.execute(
        _REMEMBER,
        {
            "token_id": token_id,
            "key": request.key,
            "fingerprint": request.fingerprint,
            "status_code": status_code,
            "response_body": body,
            "created_at": utcnow(),
        },
    )
