"""Reading projects: filtering, sorting, paging and the shape the API returns."""

from collections.abc import Iterator, Mapping
from datetime import date
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app.audit import log
from app.audit.log import Actor, AuditObject
from app.config import API_PREFIX
from app.db import ByDialect
from app.editions import service as editions
from app.models import (
    STATUS_NAMES,
    Category,
    Edition,
    Park,
    ProgressEntry,
    Project,
    ProjectStatus,
    utcnow,
)
from app.problems import Conflict, InvalidInput, NotFound, field_error
from app.progress import service as progress_service
from app.progress.current import current_entry_id, project_state
from app.progress.schemas import Figures, ProgressEntryPublic
from app.projects import pages, pages_postgresql
from app.projects.derived import construction_type_expr, start_bucket_expr
from app.projects.pages import APPENDIX_ORDER, sorted_page
from app.projects.schemas import (
    UNSPECIFIED,
    CategoryId,
    ProjectChange,
    ProjectCreate,
    ProjectFilters,
    ProjectListQuery,
    ProjectPublic,
    ProjectUpdate,
)
from app.versions import etag, json_body, require_if_match

PROJECT = "project"  # the kind its ETags name
_CODE_ATTEMPTS = 5

# The list's tuned forms: PostgreSQL's in app/projects/pages_postgresql.py.
APPENDIX_PAGE = ByDialect(pages.appendix_page, postgresql=pages_postgresql.appendix_page)
ONE_OF_IDS = ByDialect(pages.one_of_ids, postgresql=pages_postgresql.one_of_ids)

_SORT_COLUMNS: dict[str, Any] = {
    "code": col(Project.code),
    "total_investment_wan": col(Project.total_investment_wan),
    "start_year": col(Project.start_year),
    "end_year": col(Project.end_year),
}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filter_conditions(session: Session, filters: ProjectFilters) -> list[Any]:
    """Turn filters into SQL conditions on `project`, refusing unknown parks."""
    conditions: list[Any] = [col(Project.archived_at).is_(None)]
    if filters.park:
        known = set(session.exec(select(Park.id).where(col(Park.id).in_(filters.park))).all())
        unknown = [p for p in filters.park if p not in known]
        if unknown:
            raise InvalidInput(f"Unknown park id: {', '.join(unknown)}; see /api/v1/parks.")
        conditions.append(col(Project.park_id).in_(filters.park))
    if filters.category:
        conditions.append(col(Project.category_id).in_(filters.category))
    if filters.start_year:
        conditions.append(col(Project.start_year).in_(filters.start_year))
    if filters.status:
        conditions.append(
            _status_condition(filters.status, filters.figures, filters.as_of, filters.period_end)
        )
    if filters.start_bucket:
        conditions.append(start_bucket_expr().in_(filters.start_bucket))
    if filters.tier:
        tiers = sa.select(col(Park.id)).where(col(Park.tier).in_(filters.tier))
        conditions.append(col(Project.park_id).in_(tiers))
    if filters.construction_type:
        kind = construction_type_expr(filters.effective_reporting_year())
        conditions.append(kind.in_(filters.construction_type))
    if filters.edition:
        known = editions.known_ids(session, filters.edition)
        if unknown := [e for e in filters.edition if e not in known]:
            raise InvalidInput(
                f"Unknown edition id: {', '.join(unknown)}; see /api/v1/editions.",
                errors=[field_error("query", "edition", msg="unknown edition")],
            )
        conditions.append(col(Project.edition_id).in_(filters.edition))
    if filters.unit:
        conditions.append(col(Project.responsible_unit).in_(_named(filters.unit)))
    if filters.leader:
        conditions.append(col(Project.leader).in_(_named(filters.leader)))
    if filters.q:
        pattern = f"%{_escape_like(filters.q.strip().lower())}%"
        conditions.append(
            sa.or_(
                *(
                    sa.func.lower(column).like(pattern, escape="\\")
                    for column in (
                        col(Project.code),
                        col(Project.name),
                        col(Project.content),
                        col(Project.printed_park_name),
                    )
                )
            )
        )
    return conditions


def _named(names: list[str]) -> list[str]:
    # Projects without one store an empty name.
    return ["" if name == UNSPECIFIED else name for name in names]


def _status_condition(
    statuses: list[ProjectStatus], figures: Figures, as_of: date | None, period_end: date | None
) -> Any:
    if as_of is None and period_end is None:
        # The status columns are kept in step with every report and review.
        column = getattr(Project, f"{progress_service.FIGURE_PREFIX[figures]}status")
        return column.in_(statuses)
    current = progress_service.current_entries(figures, as_of=as_of, period_end=period_end)
    matching = (
        sa.select(current.c.project_id)
        .join(ProgressEntry, col(ProgressEntry.id) == current.c.entry_id)
        .where(col(ProgressEntry.status).in_(statuses))
    )
    condition: sa.ColumnElement[bool] = col(Project.id).in_(matching)
    if ProjectStatus.pre_construction in statuses:
        # With no (approved) report by then, a project has not started.
        unreported = sa.select(current.c.project_id).where(current.c.entry_id.is_(None))
        condition = sa.or_(condition, col(Project.id).in_(unreported))
    return condition


def _order_by(sort: str) -> list[Any]:
    if sort == "appendix":
        return list(APPENDIX_ORDER)
    column = _SORT_COLUMNS[sort.removeprefix("-")]
    return [column.desc() if sort.startswith("-") else column.asc(), *APPENDIX_ORDER]


def list_projects(session: Session, *, query: ProjectListQuery) -> tuple[list[ProjectPublic], int]:
    """Return one page of matching projects and the count of all matches."""
    conditions = filter_conditions(session, query)
    total = session.execute(
        sa.select(sa.func.count()).select_from(Project).where(*conditions)
    ).scalar_one()
    dialect = session.get_bind().dialect.name
    if (
        query.sort == "appendix"
        and query.whole_portfolio()
        and (query.offset + query.limit) * WALK_SHARE <= total
    ):
        page = APPENDIX_PAGE(dialect)(conditions, limit=query.limit, offset=query.offset)
    else:
        page = sorted_page(
            conditions, _order_by(query.sort), limit=query.limit, offset=query.offset
        )
    ids = list(session.execute(page).scalars())
    read = _read_page(query.figures, query.as_of, query.period_end, dialect)
    rows = {row.id: row for row in session.execute(read, {"ids": ids})}
    return [to_public(rows[i]._mapping, figures=query.figures) for i in ids], total


# A page of the whole portfolio in appendix order may walk each category's index for up to
# `offset + limit` rows (PostgreSQL's `appendix_page`); past a tenth of the portfolio,
# sorting all of it costs less.
WALK_SHARE = 10


def start_years(session: Session) -> list[int]:
    """The start years the library's active projects have, ascending."""
    query = (
        sa.select(col(Project.start_year))
        .where(col(Project.archived_at).is_(None))
        .distinct()
        .order_by(col(Project.start_year))
    )
    return list(session.execute(query).scalars())


def get_project(session: Session, *, code: str) -> Project:
    """Load a project by code (case-insensitive) or raise NotFound."""
    # Category and park come in the same query: every answer about a project shows them.
    row = session.exec(
        select(Project, Category, Park)
        .join(Category, col(Category.id) == Project.category_id)
        .join(Park, col(Park.id) == Project.park_id)
        .where(Project.code == code.upper())
    ).first()
    if row is None:
        raise NotFound(f"No project has the code {code!r}.")
    project, category, park = row
    set_committed_value(project, "category", category)
    set_committed_value(project, "park", park)
    return project


_PROJECT_COLUMNS = (
    "id",
    "code",
    "category_id",
    "seq",
    "name",
    "park_id",
    "printed_park_name",
    "content",
    "start_year",
    "end_year",
    "total_investment_wan",
    "owner",
    "responsible_unit",
    "leader",
    "national_code",
    "earlier_national_codes",
    "edition_id",
    "exit_reason",
    "archived_at",
    "version",
)
# An entry's public fields, selected as `entry_<field>` beside the project's columns.
_ENTRY_FIELDS = tuple(name for name in ProgressEntryPublic.model_fields if name != "project_code")


def read_statement(
    figures: Figures, *, as_of: date | None = None, period_end: date | None = None
) -> sa.Select[Any]:
    """Projects as the API shows them, each with its current entry: one row per project."""
    entry = ProgressEntry.__table__.alias("current_entry")  # type: ignore[attr-defined]
    project = Project.__table__  # type: ignore[attr-defined]
    current_id = current_entry_id(
        progress_service.entry_conditions(figures, as_of=as_of, period_end=period_end),
        month=progress_service.month_of(as_of, period_end),
    )
    return (
        sa.select(
            *(project.c[name] for name in _PROJECT_COLUMNS),
            col(Category.name).label("category_name"),
            col(Park.name).label("park_name"),
            col(Edition.name).label("edition_name"),
            *(entry.c[name].label(f"entry_{name}") for name in _ENTRY_FIELDS),
        )
        .join(Category, col(Category.id) == project.c.category_id)
        .join(Park, col(Park.id) == project.c.park_id)
        .outerjoin(Edition, col(Edition.id) == project.c.edition_id)
        .outerjoin(entry, entry.c.id == current_id)
    )


@lru_cache
def _read_one(figures: Figures, key: str) -> sa.Select[Any]:
    # Built once: SQLAlchemy memoizes a statement's cache key on the object, so a reused
    # statement skips both construction and key generation on every request.
    column = col(Project.code) if key == "code" else col(Project.id)
    return read_statement(figures).where(column == sa.bindparam(key))


@lru_cache(maxsize=64)
def _read_page(
    figures: Figures, as_of: date | None, period_end: date | None, dialect: str
) -> sa.Select[Any]:
    """The projects whose ids the parameter `ids` lists, as `to_public` shapes them.

    Built once per figures, date and dialect: constructing the statement costs more than
    running it. The ids go as the dialect's `one_of_ids` takes them.
    """
    one_of = ONE_OF_IDS(dialect)(col(Project.id))
    return read_statement(figures, as_of=as_of, period_end=period_end).where(one_of)


def read_by_code(figures: Figures) -> sa.Select[Any]:
    """One project as `to_public` shapes it, by the parameter `code` (stored upper-case)."""
    return _read_one(figures, "code")


def project_public(
    session: Session, *, project: Project, figures: Figures = Figures.latest
) -> ProjectPublic:
    """Shape one loaded project, with its current entry under `figures`, for the API."""
    row = session.execute(_read_one(figures, "id"), {"id": project.id}).one()
    return to_public(row._mapping, figures=figures)


def to_public(values: Mapping[Any, Any], *, figures: Figures = Figures.latest) -> ProjectPublic:
    """Shape a row of `read_statement`, by column name, for the API."""
    code = values["code"]
    path = f"{API_PREFIX}/projects/{code}"
    latest = None
    if values["entry_id"] is not None:
        latest = ProgressEntryPublic.model_validate(
            {"project_code": code, **{n: values[f"entry_{n}"] for n in _ENTRY_FIELDS}}
        )
    return ProjectPublic(
        code=code,
        category=CategoryId(values["category_id"]),
        category_name=values["category_name"],
        seq=values["seq"],
        name=values["name"],
        park_id=values["park_id"],
        park_name=values["park_name"],
        printed_park_name=values["printed_park_name"],
        content=values["content"],
        start_year=values["start_year"],
        end_year=values["end_year"],
        total_investment_wan=values["total_investment_wan"],
        # Without any (approved) report, a project has not started.
        status=latest.status if latest else ProjectStatus.pre_construction,
        figures=figures,
        latest_progress=latest,
        links={"self": path, "progress": f"{path}/progress"},
        owner=values["owner"],
        responsible_unit=values["responsible_unit"],
        leader=values["leader"],
        national_code=values["national_code"],
        earlier_national_codes=list(values["earlier_national_codes"] or []),
        edition_id=values["edition_id"],
        edition_name=values["edition_name"],
        archived_at=values["archived_at"],
        exit_reason=values["exit_reason"],
    )


def export_rows(session: Session, *, query: ProjectListQuery) -> Iterator[tuple[Any, ...]]:
    """Every matching project with its current figures, streamed from the cursor."""
    conditions = filter_conditions(session, query)
    state = project_state(
        progress_service.current_entries(
            query.figures, as_of=query.as_of, period_end=query.period_end
        )
    )
    entry = state.entry
    statement = (
        state.select_from(
            sa.select(
                col(Project.code),
                col(Category.name),
                col(Project.seq),
                col(Project.name),
                col(Park.name),
                col(Project.printed_park_name),
                col(Project.content),
                col(Project.start_year),
                col(Project.end_year),
                col(Project.total_investment_wan),
                state.status,
                entry.percent_complete,
                entry.invested_to_date_wan,
                entry.as_of,
                entry.note,
                entry.issues,
                col(Project.national_code),
                col(Project.owner),
                col(Project.responsible_unit),
                col(Project.leader),
                col(Edition.name),
            )
        )
        .outerjoin(Edition, col(Edition.id) == col(Project.edition_id))
        .where(*conditions)
        .order_by(*_order_by(query.sort))
        .execution_options(yield_per=1000)
    )
    for row in session.execute(statement):
        yield (*row[:10], STATUS_NAMES[ProjectStatus(row[10])], *row[11:])


def export_totals(session: Session, *, query: ProjectListQuery) -> tuple[int, int, int]:
    """Count, planned and reported investment of every matching project, from the database."""
    conditions = filter_conditions(session, query)
    state = project_state(
        progress_service.current_entries(
            query.figures, as_of=query.as_of, period_end=query.period_end
        )
    )
    count, planned, invested = session.execute(
        state.select_from(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(col(Project.total_investment_wan)), 0),
                sa.func.coalesce(sa.func.sum(state.entry.invested_to_date_wan), 0),
            )
        ).where(*conditions)
    ).one()
    return int(count), int(planned), int(invested)


def project_etag(session: Session, *, project: Project) -> str:
    """The ETag GET answers for the project now: its version and its representation's bytes."""
    body = json_body(project_public(session, project=project))
    return etag(PROJECT, project.code, project.version, body=body)


def _active_park(session: Session, park_id: str, field: str) -> Park:
    # A shared lock until commit: a park being archived meanwhile either waits for this project
    # (and then counts it) or is seen archived here.
    query = select(Park).where(Park.id == park_id).with_for_update(read=True)
    park = session.exec(query.execution_options(populate_existing=True)).first()
    if park is None or park.archived_at is not None:
        raise InvalidInput(
            f"No active park has the id {park_id!r}; see /api/v1/parks.",
            errors=[field_error("body", field, msg="unknown or archived park")],
        )
    return park


def _check_years(start_year: int, end_year: int) -> None:
    if start_year > end_year:
        raise InvalidInput(
            f"end_year {end_year} is before start_year {start_year}.",
            errors=[field_error("body", "end_year", msg="must not be before start_year")],
        )


# A project's master data as the audit log compares it.
_AUDITED = (
    "name",
    "park_id",
    "printed_park_name",
    "content",
    "start_year",
    "end_year",
    "total_investment_wan",
    "owner",
    "responsible_unit",
    "leader",
    "national_code",
    "edition_id",
)


def _audited(project: Project) -> dict[str, Any]:
    return {name: getattr(project, name) for name in _AUDITED}


def _who(value: str) -> str:
    # `(未指定)` is how an empty unit or leader reads; written back, it stays empty.
    value = value.strip()
    return "" if value == UNSPECIFIED else value


def _edition_for_new(session: Session, edition_id: str | None) -> str:
    edition_id = edition_id or editions.ADDITIONS
    if edition_id == editions.PLAN:
        raise InvalidInput(
            "The plan's edition holds the appendix's rows only; name a batch "
            "(see /api/v1/editions).",
            errors=[field_error("body", "edition_id", msg="the plan's edition takes no project")],
        )
    return editions.require(session, edition_id, loc=("body", "edition_id")).id


def _check_code_free(session: Session, code: str, *, project_id: int | None) -> None:
    """Refuse (409) a national code another project has now or had before."""
    others = [] if project_id is None else [col(Project.id) != project_id]
    holder = session.exec(
        select(Project.code).where(Project.national_code == code, *others)
    ).first()
    if holder is None:
        # The earlier codes are a JSON list of strings: the code with its quotes is in its text.
        # A code is A–Z, 0–9 and '-' only, so nothing in it needs escaping for LIKE.
        earlier_text = sa.cast(col(Project.earlier_national_codes), sa.Text)
        holder = session.exec(
            select(Project.code).where(earlier_text.like(f'%"{code}"%'), *others)
        ).first()
    if holder is not None:
        raise Conflict(
            f"The national project code {code} is, or was, project {holder}'s; a code belongs "
            "to one project for its whole life."
        )


def create_project(session: Session, *, data: ProjectCreate, actor: Actor) -> Project:
    """Add a project to a batch of the library; its code is its category's prefix and the next
    free seq. Recorded in the audit log."""
    _check_years(data.start_year, data.end_year)
    category = session.get(Category, data.category)
    assert category is not None
    edition_id = _edition_for_new(session, data.edition_id)
    if data.national_code is not None:
        _check_code_free(session, data.national_code, project_id=None)
    for _ in range(_CODE_ATTEMPTS):
        # Inside the loop: a rollback releases the park's lock, so each attempt takes it again.
        park = _active_park(session, data.park_id, "park_id")
        top = session.exec(
            select(sa.func.max(Project.seq)).where(Project.category_id == category.id)
        ).one()
        seq = (top or 0) + 1
        project = Project(
            code=f"{category.code_prefix}-{seq:03d}",
            category_id=category.id,
            seq=seq,
            name=data.name.strip(),
            park_id=park.id,
            printed_park_name=data.printed_park_name or park.name,
            content=data.content.strip(),
            start_year=data.start_year,
            end_year=data.end_year,
            total_investment_wan=data.total_investment_wan,
            status=ProjectStatus.pre_construction,
            owner=data.owner.strip(),
            responsible_unit=_who(data.responsible_unit),
            leader=_who(data.leader),
            national_code=data.national_code,
            edition_id=edition_id,
        )
        session.add(project)
        log.record(
            session,
            actor=actor,
            object_type=AuditObject.project,
            object_key=project.code,
            action="create",
            changes=log.created({"category_id": category.id, **_audited(project)}),
            reason=data.reason,
        )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            if data.national_code is not None:
                # Another admin gave the code to a project at the same moment.
                _check_code_free(session, data.national_code, project_id=None)
            # Another admin took the same seq at the same moment; take the next one.
            continue
        session.refresh(project)
        return project
    raise Conflict("Too many projects created at once in this category; try again.")


def _locked(session: Session, project: Project, if_match: str | None) -> Project:
    # populate_existing: the row was read before the lock was taken, so the object in the
    # session may hold a version another writer has since replaced; compare against the locked
    # row, or both writers pass the check and the second overwrites the first.
    query = select(Project).where(Project.id == project.id).with_for_update()
    locked = session.exec(query.execution_options(populate_existing=True)).one()
    # Compared with what a GET answers now: a report or review since the client read the
    # project changed what it saw, and its tag with it.
    require_if_match(if_match, project_etag(session, project=locked))
    return locked


def _check_edition_move(session: Session, project: Project, edition_id: str) -> None:
    if edition_id == project.edition_id:
        return
    if project.edition_id == editions.PLAN:
        raise Conflict(
            f"Project {project.code} is a row of the plan's appendix and stays in its edition; "
            "archive it (出库) to take it out of the library."
        )
    if edition_id == editions.PLAN:
        raise InvalidInput(
            "The plan's edition holds the appendix's rows only.",
            errors=[field_error("body", "edition_id", msg="the plan's edition takes no project")],
        )
    editions.require(session, edition_id, loc=("body", "edition_id"))


def update_project(
    session: Session,
    *,
    project: Project,
    changes: ProjectUpdate,
    if_match: str | None,
    actor: Actor,
) -> Project:
    """Change master data, guarded by the version the client read; the fields that changed are
    recorded in the audit log."""
    project = _locked(session, project, if_match)
    if project.archived_at is not None:
        raise Conflict(f"Project {project.code} is archived; restore it before changing it.")
    values = changes.model_dump(exclude_unset=True, exclude={"reason"})
    if values.get("park_id", project.park_id) != project.park_id:
        # The printed spelling belongs to the old park; a move without one takes the new name.
        park = _active_park(session, values["park_id"], "park_id")
        values.setdefault("printed_park_name", park.name)
    _check_years(
        values.get("start_year", project.start_year), values.get("end_year", project.end_year)
    )
    if "edition_id" in values:
        _check_edition_move(session, project, values["edition_id"])
    for name in ("responsible_unit", "leader"):
        if name in values:
            values[name] = _who(values[name])
    before = _audited(project)
    code = values.pop("national_code", project.national_code)
    if code != project.national_code:
        _check_code_free(session, code, project_id=project.id)
        # The code it had stays on record (and with it, out of every other project's reach);
        # one of its own earlier codes taken back leaves that list.
        earlier = [c for c in project.earlier_national_codes if c != code]
        if project.national_code is not None and project.national_code not in earlier:
            earlier.append(project.national_code)
        project.earlier_national_codes = earlier
        project.national_code = code
    for name, value in values.items():
        setattr(project, name, value.strip() if isinstance(value, str) else value)
    if altered := log.diff(before, _audited(project)):
        log.record(
            session,
            actor=actor,
            object_type=AuditObject.project,
            object_key=project.code,
            action="update",
            changes=altered,
            reason=changes.reason or "",
        )
    _bump(session, project)
    return project


def archive_project(
    session: Session,
    *,
    project: Project,
    if_match: str | None,
    archive: bool,
    actor: Actor,
    change: ProjectChange | None = None,
) -> Project:
    """Take a project out of the library (出库: hidden from lists and rollups, the reason kept)
    or bring it back (入库); its history stays. Recorded in the audit log."""
    project = _locked(session, project, if_match)
    if (project.archived_at is not None) == archive:
        state = "archived" if archive else "not archived"
        raise Conflict(f"Project {project.code} is already {state}.")
    reason = change.reason if change else ""
    before = {"archived_at": project.archived_at, "exit_reason": project.exit_reason}
    project.archived_at = utcnow() if archive else None
    project.exit_reason = reason if archive else ""
    log.record(
        session,
        actor=actor,
        object_type=AuditObject.project,
        object_key=project.code,
        action="archive" if archive else "restore",
        changes=log.diff(
            before, {"archived_at": project.archived_at, "exit_reason": project.exit_reason}
        ),
        reason=reason,
    )
    _bump(session, project)
    return project


def _bump(session: Session, project: Project) -> None:
    project.version += 1
    project.updated_at = utcnow()
    session.add(project)
    code = project.national_code
    try:
        session.commit()
    except IntegrityError as exc:
        # Another admin gave the same national code to another project meanwhile.
        session.rollback()
        raise Conflict(f"The national project code {code} belongs to another project.") from exc
    session.refresh(project)
