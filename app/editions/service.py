"""Editions of the library: the plan's own (its appendix) and the batches added after it."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import log
from app.audit.log import Actor, AuditObject
from app.config import API_PREFIX
from app.editions.schemas import EDITION_KIND_NAMES, EditionCreate, EditionPublic
from app.models import Edition, EditionKind, Project
from app.problems import Conflict, InvalidInput, NotFound, field_error

# The plan's edition: the 178 rows of Appendix 3 as `portfolio seed` loads them. Tables 4 and 5
# describe it, so the reconciliation compares it and nothing else; no project joins or leaves
# it through the API.
PLAN = "plan"
# Where a project added without naming its batch goes: an admin may move it into a batch
# with a document later.
ADDITIONS = "additions"
SEED_AUTHOR = "portfolio seed"

# The editions every library has, added by `portfolio seed`. The plan prints neither a
# document number nor a date of its own; its newest progress notes are of September 2019.
STANDING: tuple[dict[str, Any], ...] = (
    {
        "id": PLAN,
        "name": "示范区建设方案附件3（2019）",
        "kind": EditionKind.plan.value,
        "document": "",
        "document_date": None,
        "note": "《大连沿海产业转型升级示范区建设方案》附件3 产业转型升级示范区重点项目库，"
        "178个项目；方案未印文号和日期，所列进展截至2019年9月末。表4、表5的数据核对只对照本版本。",
    },
    {
        "id": ADDITIONS,
        "name": "后续入库（未注明批次）",
        "kind": EditionKind.batch.value,
        "document": "",
        "document_date": None,
        "note": "方案印发后入库、入库时未注明批次的项目；管理员可将其改入有文号的批次。",
    },
)


def add_standing(session: Session) -> int:
    """Add the standing editions a database lacks (the caller commits); how many were added."""
    known = set(session.exec(select(Edition.id)).all())
    missing = [e for e in STANDING if e["id"] not in known]
    session.add_all(Edition(**values, created_by=SEED_AUTHOR) for values in missing)
    return len(missing)


def _totals() -> sa.Subquery:
    archived = col(Project.archived_at).is_not(None)
    return (
        sa.select(
            col(Project.edition_id).label("edition_id"),
            sa.func.count().filter(~archived).label("project_count"),
            sa.func.count().filter(archived).label("archived_count"),
            sa.func.coalesce(
                sa.func.sum(col(Project.total_investment_wan)).filter(~archived), 0
            ).label("total_investment_wan"),
        )
        .where(col(Project.edition_id).is_not(None))
        .group_by(col(Project.edition_id))
        .subquery()
    )


def _query() -> sa.Select[Edition, Any, Any, Any]:
    totals = _totals()
    return (
        sa.select(
            Edition,
            sa.func.coalesce(totals.c.project_count, 0),
            sa.func.coalesce(totals.c.archived_count, 0),
            sa.func.coalesce(totals.c.total_investment_wan, 0),
        )
        .outerjoin(totals, totals.c.edition_id == Edition.id)
        .order_by(
            sa.case((col(Edition.kind) == EditionKind.plan.value, 0), else_=1),
            col(Edition.created_at),
            col(Edition.id),
        )
    )


def _public(edition: Edition, count: int, archived: int, total: int) -> EditionPublic:
    kind = EditionKind(edition.kind)
    path = f"{API_PREFIX}/editions/{edition.id}"
    return EditionPublic(
        id=edition.id,
        name=edition.name,
        kind=kind,
        kind_name=EDITION_KIND_NAMES[kind],
        document=edition.document,
        document_date=edition.document_date,
        note=edition.note,
        project_count=int(count),
        archived_count=int(archived),
        total_investment_wan=int(total),
        created_by=edition.created_by,
        created_at=edition.created_at,
        links={"self": path, "projects": f"{API_PREFIX}/projects?edition={edition.id}"},
    )


def list_editions(session: Session) -> list[EditionPublic]:
    """Every edition with its project count and planned investment, the plan's first."""
    return [_public(*row) for row in session.execute(_query()).all()]


def get_edition(session: Session, *, edition_id: str) -> EditionPublic:
    """One edition with its totals, or NotFound."""
    row = session.execute(_query().where(col(Edition.id) == edition_id)).first()
    if row is None:
        raise NotFound(f"No edition has the id {edition_id!r}; see /api/v1/editions.")
    return _public(*row)


def known_ids(session: Session, edition_ids: list[str]) -> set[str]:
    """Which of `edition_ids` name an edition."""
    return set(session.exec(select(Edition.id).where(col(Edition.id).in_(edition_ids))).all())


def require(session: Session, edition_id: str, *, loc: tuple[str, ...]) -> Edition:
    """The edition `edition_id` names, or InvalidInput (422) at the field `loc`."""
    edition = session.get(Edition, edition_id)
    if edition is None:
        raise InvalidInput(
            f"No edition has the id {edition_id!r}; see /api/v1/editions.",
            errors=[field_error(*loc, msg="unknown edition", type_="unknown_edition")],
        )
    return edition


# An edition's fields as the audit log keeps them.
_AUDITED = ("name", "kind", "document", "document_date", "note")


def create_edition(session: Session, *, data: EditionCreate, actor: Actor) -> EditionPublic:
    """Add a batch of the library, recorded in the audit log."""
    if session.get(Edition, data.id) is not None:
        raise Conflict(f"An edition with the id {data.id!r} exists already.")
    if session.exec(select(Edition.id).where(Edition.name == data.name)).first() is not None:
        raise Conflict(f"An edition is named {data.name!r} already.")
    edition = Edition(
        id=data.id,
        name=data.name,
        kind=EditionKind.batch.value,
        document=data.document,
        document_date=data.document_date,
        note=data.note,
        created_by=actor.name,
    )
    session.add(edition)
    values = {name: getattr(edition, name) for name in _AUDITED}
    log.record(
        session,
        actor=actor,
        object_type=AuditObject.edition,
        object_key=data.id,
        action="create",
        changes=log.created(values),
    )
    try:
        session.commit()
    except IntegrityError as exc:
        # Another admin added the same id or name between our checks and our write.
        session.rollback()
        raise Conflict(f"An edition with the id {data.id!r} or that name exists already.") from exc
    return get_edition(session, edition_id=data.id)
