"""Opaque bearer tokens: generated here, stored only as SHA-256 digests."""

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.audit import log
from app.audit.log import Actor, AuditObject
from app.db import Statements
from app.models import ApiToken, Park, Role, utcnow
from app.problems import InvalidInput, NotFound

TOKEN_PREFIX = "kp_"
# Tokens carry 256 random bits, so a fast digest is enough: there is nothing to brute-force.
_TOKEN_BYTES = 32
_LAST_USED_RESOLUTION = timedelta(minutes=5)


def generate_secret() -> str:
    """Return a new random token string."""
    return TOKEN_PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)


def hash_secret(secret: str) -> str:
    """Return the hex SHA-256 digest stored for `secret`."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session,
    *,
    name: str,
    role: Role,
    park_id: str | None = None,
    expires_at: datetime | None = None,
    actor: Actor = log.CLI,
) -> tuple[ApiToken, str]:
    """Store a new token (audited, never its secret) and return it with its secret, shown once."""
    name = name.strip()
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput("A token cannot expire in the past.")
    if not name:
        raise InvalidInput("A token needs a name.")
    if role is Role.officer and park_id is None:
        raise InvalidInput("An officer token needs a park.")
    if role is not Role.officer and park_id is not None:
        raise InvalidInput("Only officer tokens are bound to a park.")
    if park_id is not None and session.get(Park, park_id) is None:
        raise InvalidInput(f"No park has the id {park_id!r}.")
    secret = generate_secret()
    token = ApiToken(
        name=name,
        role=role,
        park_id=park_id,
        token_hash=hash_secret(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    assert token.id is not None
    log.record(
        session,
        actor=actor,
        object_type=AuditObject.token,
        object_key=str(token.id),
        action="create",
        changes=log.created(
            {"name": name, "role": role, "park_id": park_id, "expires_at": expires_at}
        ),
    )
    session.commit()
    session.refresh(token)
    return token, secret


@dataclass(frozen=True)
class LiveToken:
    """Who a live token belongs to: all a request needs, without the ORM object."""

    id: int
    name: str
    role: Role
    park_id: str | None


_TOKEN_TABLE = ApiToken.__table__  # type: ignore[attr-defined]
_LOOKUP = sa.select(
    _TOKEN_TABLE.c.id,
    _TOKEN_TABLE.c.name,
    _TOKEN_TABLE.c.role,
    _TOKEN_TABLE.c.park_id,
    _TOKEN_TABLE.c.token_hash,
    _TOKEN_TABLE.c.last_used_at,
    _TOKEN_TABLE.c.revoked_at,
    _TOKEN_TABLE.c.expires_at,
).where(_TOKEN_TABLE.c.token_hash == sa.bindparam("digest"))


_TOUCH = (
    sa.update(_TOKEN_TABLE)
    .where(_TOKEN_TABLE.c.id == sa.bindparam("token_id"))
    .values(last_used_at=sa.bindparam("used_at"))
)


async def verify(
    statements: Statements,
    secret: str,
    read: sa.Select[Any] | None = None,
    params: Mapping[str, Any] | None = None,
) -> tuple[LiveToken | None, Mapping[str, Any] | None]:
    """The live token for `secret` (or None), and the first row `read` finds: the one token
    check of the API, the pages and the command line.

    A route whose answer is one statement sends it with the token check, in one statement.
    The row comes back only with a live token; the caller checks scopes. A token's last use
    is recorded at most every few minutes.
    """
    digest = hash_secret(secret)
    answer = None
    if read is None:
        token = await statements.first(_LOOKUP, {"digest": digest})
    else:
        statement, keys = _with_lookup(read)
        row = await statements.first(statement, {**(params or {}), "digest": digest})
        token = None if row is None else {key: row[_TOKEN_LABEL + key] for key in _LOOKUP_KEYS}
        if row is not None and row[_FOUND]:
            answer = {key: row[key] for key in keys}
    live, touch = _check(token, digest)
    if touch is not None:
        await statements.execute(_TOUCH, touch)
    return live, answer if live is not None else None


_TOKEN_LABEL = "token_"
_FOUND = "read_found"
_LOOKUP_KEYS = tuple(_LOOKUP.selected_columns.keys())


@lru_cache
def _with_lookup(read: sa.Select[Any]) -> tuple[sa.Select[Any], tuple[str, ...]]:
    # The token's row beside whatever `read` finds, or beside NULLs: no row at all means no
    # such token. Built once per read statement (callers build theirs once), so SQLAlchemy
    # compiles it once; with the names of the read's own columns.
    keys = tuple(read.selected_columns.keys())
    assert not any(key.startswith(_TOKEN_LABEL) or key == _FOUND for key in keys)
    answer = read.add_columns(sa.true().label(_FOUND)).subquery("answer")
    token = [column.label(_TOKEN_LABEL + key) for key, column in _LOOKUP.selected_columns.items()]
    statement = (
        sa.select(*token)
        .add_columns(*answer.c)
        .select_from(_TOKEN_TABLE.outerjoin(answer, sa.true()))
        .where(_TOKEN_TABLE.c.token_hash == sa.bindparam("digest"))
    )
    return statement, keys


def _check(
    row: Mapping[Any, Any] | None, digest: str
) -> tuple[LiveToken | None, dict[str, Any] | None]:
    # The live token, and the parameters of `_TOUCH` when its last use is to be recorded.
    if row is None or row["revoked_at"] is not None:
        return None, None
    # The lookup is by digest; compare again in constant time so timing reveals nothing.
    if not hmac.compare_digest(row["token_hash"], digest):
        return None, None
    now = utcnow()
    if row["expires_at"] is not None and row["expires_at"] <= now:
        return None, None
    live = LiveToken(id=row["id"], name=row["name"], role=Role(row["role"]), park_id=row["park_id"])
    last_used = row["last_used_at"]
    if last_used is None or now - last_used > _LAST_USED_RESOLUTION:
        return live, {"token_id": live.id, "used_at": now}
    return live, None


def list_tokens(session: Session, *, include_revoked: bool = False) -> Sequence[ApiToken]:
    """Return the tokens, oldest first."""
    query = select(ApiToken).order_by(col(ApiToken.id))
    if not include_revoked:
        query = query.where(col(ApiToken.revoked_at).is_(None))
    return session.exec(query).all()


def revoke_token(
    session: Session, *, token_id: int, at: datetime | None = None, actor: Actor = log.CLI
) -> ApiToken:
    """Revoke a token, recorded in the audit log; revoking twice keeps the first time."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"No token has the id {token_id}.")
    if token.revoked_at is None:
        token.revoked_at = at or utcnow()
        session.add(token)
        log.record(
            session,
            actor=actor,
            object_type=AuditObject.token,
            object_key=str(token.id),
            action="revoke",
            changes=log.diff({"revoked_at": None}, {"revoked_at": token.revoked_at}),
        )
        session.commit()
        session.refresh(token)
    return token
