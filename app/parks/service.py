"""Reading parks with their project counts and investment, aggregated in SQL."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import log
from app.audit.log import Actor, AuditObject
from app.models import TIER_NAMES, Park, Project, Tier, utcnow
from app.parks.schemas import ParkChange, ParkCreate, ParkPublic, ParkUpdate
from app.problems import Conflict, InvalidInput, NotFound, field_error
from app.rollups.queries import project_totals_by
from app.versions import etag, json_body, require_if_match


def _park_query() -> sa.Select[Park, Any, Any]:
    totals = project_totals_by(col(Project.park_id))
    return (
        sa.select(
            Park,
            sa.func.coalesce(totals.c.project_count, 0),
            sa.func.coalesce(totals.c.total_investment_wan, 0),
        )
        .outerjoin(totals, totals.c.key == Park.id)
        .order_by(col(Park.position), col(Park.id))
    )


def _public(park: Park, count: int, total: int) -> ParkPublic:
    tier = Tier(park.tier)
    return ParkPublic(
        id=park.id,
        name=park.name,
        aliases=park.aliases,
        table4_name=park.table4_name,
        tier=tier,
        tier_name=TIER_NAMES[tier],
        project_count=count,
        total_investment_wan=total,
        version=park.version,
        archived_at=park.archived_at,
    )


def list_parks(session: Session) -> list[ParkPublic]:
    """Return every active park with its project count and total investment."""
    query = _park_query().where(col(Park.archived_at).is_(None))
    return [_public(*row) for row in session.execute(query).all()]


def get_park(session: Session, *, park_id: str) -> ParkPublic:
    """Return one park or raise NotFound."""
    row = session.execute(_park_query().where(col(Park.id) == park_id)).first()
    if row is None:
        raise NotFound(f"No park has the id {park_id!r}.")
    return _public(*row)


PARK = "park"


def park_etag(park: ParkPublic) -> str:
    """The ETag a park's answer carries: its version and the bytes of its representation."""
    # The representation holds the library's totals for the park, which change with its
    # projects while the park's own version stays: a strong tag names the bytes sent.
    return etag(PARK, park.id, park.version, body=json_body(park))


def load_park(session: Session, *, park_id: str) -> Park:
    """Load a park or raise NotFound."""
    park = session.get(Park, park_id)
    if park is None:
        raise NotFound(f"No park has the id {park_id!r}.")
    return park


def _check_spellings(session: Session, *, park_id: str, name: str, aliases: list[str]) -> None:
    if len(set(aliases)) != len(aliases) or name in aliases:
        raise InvalidInput(
            "Aliases must differ from each other and from the name.",
            errors=[field_error("body", "aliases", msg="duplicate spelling")],
        )
    taken = {
        spelling: other.id
        for other in session.exec(select(Park).where(col(Park.id) != park_id)).all()
        for spelling in [other.name, *other.aliases]
    }
    clashes = [s for s in [name, *aliases] if s in taken]
    if clashes:
        raise Conflict(
            f"{', '.join(clashes)} already names park {taken[clashes[0]]!r}; "
            "a spelling belongs to one park."
        )


# A park's fields as the audit log compares them.
_AUDITED = ("name", "aliases", "table4_name", "tier")


def _audited(park: Park) -> dict[str, Any]:
    return {name: getattr(park, name) for name in _AUDITED}


def create_park(session: Session, *, data: ParkCreate, actor: Actor) -> ParkPublic:
    """Add a park, recorded in the audit log."""
    if session.get(Park, data.id) is not None:
        raise Conflict(f"A park with the id {data.id!r} exists already.")
    _check_spellings(session, park_id=data.id, name=data.name, aliases=data.aliases)
    position = session.exec(select(sa.func.max(Park.position))).one() or 0
    park = Park(
        id=data.id,
        name=data.name,
        aliases=data.aliases,
        table4_name=data.table4_name or data.name,
        tier=data.tier,
        position=position + 1,
    )
    session.add(park)
    log.record(
        session,
        actor=actor,
        object_type=AuditObject.park,
        object_key=park.id,
        action="create",
        changes=log.created(_audited(park)),
        reason=data.reason,
    )
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"A park with the id {data.id!r} or that name exists already.") from exc
    return get_park(session, park_id=park.id)


def _locked(session: Session, park_id: str, if_match: str | None) -> Park:
    # populate_existing: compare the If-Match against the locked row, not an older copy.
    query = select(Park).where(Park.id == park_id).with_for_update()
    park = session.exec(query.execution_options(populate_existing=True)).first()
    if park is None:
        raise NotFound(f"No park has the id {park_id!r}.")
    require_if_match(if_match, park_etag(get_park(session, park_id=park_id)))
    return park


def update_park(
    session: Session, *, park_id: str, changes: ParkUpdate, if_match: str | None, actor: Actor
) -> ParkPublic:
    """Change a park under the version the client read; the audit log records what changed."""
    park = _locked(session, park_id, if_match)
    if park.archived_at is not None:
        raise Conflict(f"Park {park.id!r} is archived; restore it before changing it.")
    values = changes.model_dump(exclude_unset=True, exclude={"reason"})
    _check_spellings(
        session,
        park_id=park.id,
        name=values.get("name", park.name),
        aliases=values.get("aliases", park.aliases),
    )
    before = _audited(park)
    for name, value in values.items():
        setattr(park, name, value)
    if altered := log.diff(before, _audited(park)):
        log.record(
            session,
            actor=actor,
            object_type=AuditObject.park,
            object_key=park.id,
            action="update",
            changes=altered,
            reason=changes.reason,
        )
    return _bump(session, park)


def archive_park(
    session: Session,
    *,
    park_id: str,
    if_match: str | None,
    archive: bool,
    actor: Actor,
    change: ParkChange | None = None,
) -> ParkPublic:
    """Hide a park without active projects from the park list (or bring it back); audited."""
    park = _locked(session, park_id, if_match)
    if (park.archived_at is not None) == archive:
        raise Conflict(f"Park {park.id!r} is already {'archived' if archive else 'active'}.")
    if archive:
        active = session.exec(
            select(sa.func.count())
            .select_from(Project)
            .where(Project.park_id == park.id, col(Project.archived_at).is_(None))
        ).one()
        if active:
            raise Conflict(
                f"Park {park.id!r} still has {active} active project(s); "
                "archive or move them first."
            )
    before = park.archived_at
    park.archived_at = utcnow() if archive else None
    log.record(
        session,
        actor=actor,
        object_type=AuditObject.park,
        object_key=park.id,
        action="archive" if archive else "restore",
        changes=log.diff({"archived_at": before}, {"archived_at": park.archived_at}),
        reason=change.reason if change else "",
    )
    return _bump(session, park)


def _bump(session: Session, park: Park) -> ParkPublic:
    park.version += 1
    session.add(park)
    name = park.name
    try:
        session.commit()
    except IntegrityError as exc:
        # Another admin gave a park this name between our check and our write.
        session.rollback()
        raise Conflict(f"Another park is named {name!r} already.") from exc
    return get_park(session, park_id=park.id)
