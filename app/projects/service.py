"""Reading projects: filtering, sorting, paging and the shape the API returns."""

from collections.abc import Iterator, Mapping
from datetime import date
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app.config import API_PREFIX
from app.db import ByDialect
from app.models import (
    STATUS_NAMES,
    Category,
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
    CategoryId,
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
            *(entry.c[name].label(f"entry_{name}") for name in _ENTRY_FIELDS),
        )
        .join(Category, col(Category.id) == project.c.category_id)
        .join(Park, col(Park.id) == project.c.park_id)
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
        archived_at=values["archived_at"],
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
            )
        )
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


def create_project(session: Session, *, data: ProjectCreate) -> Project:
    """Add a project; its code is its category's prefix and the next free seq."""
    _check_years(data.start_year, data.end_year)
    category = session.get(Category, data.category)
    assert category is not None
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
        )
        session.add(project)
        try:
            session.commit()
        except IntegrityError:
            # Another admin took the same seq at the same moment; take the next one.
            session.rollback()
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


def update_project(
    session: Session, *, project: Project, changes: ProjectUpdate, if_match: str | None
) -> Project:
    """Change master data, guarded by the version the client read."""
    project = _locked(session, project, if_match)
    if project.archived_at is not None:
        raise Conflict(f"Project {project.code} is archived; restore it before changing it.")
    values = changes.model_dump(exclude_unset=True)
    if values.get("park_id", project.park_id) != project.park_id:
        # The printed spelling belongs to the old park; a move without one takes the new name.
        park = _active_park(session, values["park_id"], "park_id")
        values.setdefault("printed_park_name", park.name)
    _check_years(
        values.get("start_year", project.start_year), values.get("end_year", project.end_year)
    )
    for name, value in values.items():
        setattr(project, name, value.strip() if isinstance(value, str) else value)
    _bump(session, project)
    return project


def archive_project(
    session: Session, *, project: Project, if_match: str | None, archive: bool
) -> Project:
    """Hide a project from lists and rollups (or bring it back); its history stays."""
    project = _locked(session, project, if_match)
    if (project.archived_at is not None) == archive:
        state = "archived" if archive else "not archived"
        raise Conflict(f"Project {project.code} is already {state}.")
    project.archived_at = utcnow() if archive else None
    _bump(session, project)
    return project


def _bump(session: Session, project: Project) -> None:
    project.version += 1
    project.updated_at = utcnow()
    session.add(project)
    session.commit()
    session.refresh(project)
