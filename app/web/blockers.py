"""The 问题清单 pages: the list with its filters and exports, one blocker with its history and
the form for its next step, the form raising one, and the section of the project page."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request, Response
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import QueryParams

from app.auth.policy import Principal
from app.blockers import service
from app.blockers.schemas import (
    BlockerChange,
    BlockerCreate,
    BlockerFilters,
    BlockerListQuery,
    BlockerSummaryQuery,
    SummaryBy,
)
from app.blockers.tables import blockers_table
from app.categories.service import list_categories
from app.db import SessionDep
from app.exports.writers import ExportFormat, export_response
from app.http.rate_limits import RateLimiter
from app.models import (
    BLOCKER_LEVEL_NAMES,
    BLOCKER_STATE_NAMES,
    BLOCKER_TYPE_NAMES,
    BlockerLevel,
    BlockerState,
    BlockerType,
    Project,
    Role,
)
from app.parks.service import list_parks
from app.problems import AppError, InvalidInput, PreconditionFailed, field_error
from app.projects import service as projects
from app.web import i18n
from app.web.i18n import Lang
from app.web.pages import PageRoute, language, redirect, render
from app.web.session import CsrfChecked, WebUser

# Included in `app.web.router.router`, under its `/web` prefix.
router = APIRouter(route_class=PageRoute, include_in_schema=False)

TYPE_EN = {
    BlockerType.land: "land",
    BlockerType.demolition: "land acquisition and demolition",
    BlockerType.planning: "planning",
    BlockerType.assessments: "environmental and energy assessments",
    BlockerType.funding: "funding",
    BlockerType.approvals: "approvals",
    BlockerType.utilities: "water, power, gas and heating",
    BlockerType.construction: "construction",
    BlockerType.market: "market",
    BlockerType.other: "other",
}
LEVEL_EN = {BlockerLevel.park: "park", BlockerLevel.district: "district", BlockerLevel.city: "city"}
STATE_EN = {
    BlockerState.open: "open",
    BlockerState.in_progress: "in progress",
    BlockerState.resolved: "resolved",
    BlockerState.reopened: "reopened",
}
# The form fields' labels, by the name the API gives them.
_LABELS = {
    "type": "blocker_type",
    "description": "blocker_description",
    "responsible_unit": "blocker_unit",
    "level": "blocker_level",
    "deadline": "blocker_deadline",
    "state": "blocker_state",
    "note": "blocker_note",
    "resolution": "blocker_resolution",
}
BlockerId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ProjectCode = Annotated[str, Path(max_length=16, pattern=r"^[A-Za-z]{3}-\d{1,6}$")]
Text = Annotated[str, Form(max_length=4000)]
Short = Annotated[str, Form(max_length=200)]


def _allowance(kind: str) -> Any:
    # The API's per-token limits hold for the same token signed in here.
    def count(request: Request, user: WebUser) -> None:
        limiter: RateLimiter = request.app.state.rate_limiter
        limiter.hit(kind, token_id=user.token_id)

    return Depends(count)


Writes = _allowance("writes")
Exports = _allowance("exports")


def type_name(lang: Lang, kind: str) -> str:
    """A blocker type in the page's language."""
    value = BlockerType(kind)
    return BLOCKER_TYPE_NAMES[value] if lang == "zh" else TYPE_EN[value]


def level_name(lang: Lang, level: str) -> str:
    """A blocker level in the page's language."""
    value = BlockerLevel(level)
    return BLOCKER_LEVEL_NAMES[value] if lang == "zh" else LEVEL_EN[value]


def state_name(lang: Lang, state: str) -> str:
    """A blocker state in the page's language."""
    value = BlockerState(state)
    return BLOCKER_STATE_NAMES[value] if lang == "zh" else STATE_EN[value]


def _names(lang: Lang) -> dict[str, Any]:
    return {
        "type_name": lambda kind: type_name(lang, kind),
        "level_name": lambda level: level_name(lang, level),
        "state_name": lambda state: state_name(lang, state),
        "change_lines": lambda changes: change_lines(lang, changes),
    }


def change_lines(lang: Lang, changes: dict[str, list[Any]]) -> list[str]:
    """What a step changed, one line per field, in the page's language."""
    shown = {"type": type_name, "level": level_name, "state": state_name}
    lines = []
    for name, (old, new) in changes.items():
        if name == "description":
            continue

        def word(value: Any, name: str = name) -> str:
            if value in (None, ""):
                return "—"
            return shown[name](lang, value) if name in shown else str(value)

        label = i18n.message(lang, _LABELS[name]) if name in _LABELS else name
        lines.append(f"{label}：{word(old)} → {word(new)}")
    return lines


def _messages(lang: Lang, exc: AppError | ValidationError) -> list[str]:
    """What a refused form is told, field by field, in the page's language."""
    if isinstance(exc, PreconditionFailed):
        return [i18n.message(lang, "blocker_changed")]
    errors = exc.errors() if isinstance(exc, ValidationError) else (exc.errors or [])
    if not errors:
        return [exc.detail] if isinstance(exc, AppError) else []
    lines = []
    for error in errors:
        field = str(error["loc"][-1]) if error["loc"] else ""
        label = i18n.message(lang, _LABELS[field]) if field in _LABELS else field
        lines.append(f"{label}：{i18n.field_message(lang, error)}" if label else error["msg"])
    return lines


def _list_query(query: QueryParams) -> BlockerListQuery:
    # A GET form sends every field, empty ones included: empty means "no filter".
    params: dict[str, Any] = {}
    for name, value in query.multi_items():
        if name in BlockerListQuery.model_fields and name != "format" and value.strip():
            params.setdefault(name, []).append(value.strip())
    values = {
        name: found if name in BlockerFilters.LISTS else found[-1] for name, found in params.items()
    }
    try:
        return BlockerListQuery.model_validate(values)
    except ValidationError as exc:
        raise InvalidInput(
            "Invalid filter.",
            errors=[
                field_error("query", *map(str, e["loc"]), msg=e["msg"], type_=e["type"])
                for e in exc.errors()
            ],
        ) from exc


def _filters(query: BlockerListQuery) -> dict[str, Any]:
    return query.model_dump(include=set(BlockerFilters.model_fields) - {"format"})


@router.get("/blockers", response_model=None)
def blockers_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    """The 问题清单: filters, the counts by type with the 办结率, the list, the exports."""
    query = _list_query(request.query_params)
    listed = service.list_blockers(session, query=query, principal=user)
    summary = service.summarize(
        session,
        query=BlockerSummaryQuery(**_filters(query), by=SummaryBy.type),
        principal=user,
    )
    lang = language(request)
    return render(
        request,
        "blockers.html",
        {
            "query": query,
            "listed": listed,
            "summary": summary,
            "parks": list_parks(session),
            "categories": list_categories(session),
            "types": list(BlockerType),
            "levels": list(BlockerLevel),
            "states": list(BlockerState),
            "officer_park": user.park_id if user.role is Role.officer else None,
            "export_query": request.url.query,
            "page_link": lambda offset: str(
                request.url.include_query_params(offset=max(offset, 0))
            ).removeprefix(str(request.base_url).rstrip("/")),
            **_names(lang),
        },
        user=user,
    )


@router.get("/exports/blockers.{export_format}", response_model=None, dependencies=[Exports])
def export_blockers(
    request: Request, session: SessionDep, user: WebUser, export_format: ExportFormat
) -> Response:
    """Every blocker the list shows under its filters, as CSV or XLSX."""
    query = _list_query(request.query_params)
    items, total = service.export_rows(session, filters=query, principal=user)
    return export_response(blockers_table(items, total), export_format)


def _may_plan(user: Principal) -> bool:
    return user.role in (Role.planner, Role.admin)


def _blocker_page(
    request: Request,
    session: Session,
    user: Principal,
    blocker_id: int,
    *,
    saved: bool = False,
    errors: list[str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    answer = service.get_blocker(session, blocker_id=blocker_id, principal=user)
    blocker = answer.blocker
    moves = sorted(service.MOVES[blocker.state], key=list(BlockerState).index)
    if not _may_plan(user):
        moves = [m for m in moves if m is BlockerState.in_progress]
    return render(
        request,
        "blocker.html",
        {
            "blocker": blocker,
            "etag": service.blocker_etag(answer),
            "moves": moves,
            "may_plan": _may_plan(user),
            "types": list(BlockerType),
            "levels": list(BlockerLevel),
            "saved": saved,
            "errors": errors or [],
            "values": values or {},
            **_names(language(request)),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/blockers/{blocker_id}", response_model=None)
def blocker_page(
    request: Request, session: SessionDep, user: WebUser, blocker_id: BlockerId, saved: int = 0
) -> Response:
    """One blocker: what it is, its history, and the form for its next step."""
    return _blocker_page(request, session, user, blocker_id, saved=bool(saved))


@router.post("/blockers/{blocker_id}", response_model=None, dependencies=[CsrfChecked, Writes])
def take_step(
    request: Request,
    session: SessionDep,
    user: WebUser,
    blocker_id: BlockerId,
    etag: Short = "",
    note: Text = "",
    state: Short = "",
    type: Short = "",
    responsible_unit: Short = "",
    level: Short = "",
    deadline: Short = "",
    resolution: Text = "",
    fields: Short = "",
) -> Response:
    """Take the step the form states, by the API's rules, or show why it was refused."""
    values: dict[str, Any] = {
        name: value
        for name, value in {"note": note, "state": state, "resolution": resolution}.items()
        if value.strip()
    }
    if fields == "planner":
        # The planners' form sends these filled with the blocker's values: only those that
        # differ change; an emptied unit unassigns it, an emptied deadline clears it.
        values |= {
            "type": type,
            "responsible_unit": responsible_unit,
            "level": level,
            "deadline": deadline.strip() or None,
        }
    lang = language(request)
    try:
        change = BlockerChange.model_validate(values)
        service.change_blocker(
            session, blocker_id=blocker_id, change=change, principal=user, if_match=etag
        )
    except (ValidationError, AppError) as exc:
        if isinstance(exc, AppError) and exc.status_code in (403, 404) and not exc.errors:
            raise
        status = 422 if isinstance(exc, ValidationError) else exc.status_code
        kept = {"note": note, "resolution": resolution}
        return _blocker_page(
            request,
            session,
            user,
            blocker_id,
            errors=_messages(lang, exc),
            values=kept,
            status_code=status,
        )
    return redirect(f"/web/blockers/{blocker_id}?saved=1")


def _project_for(session: Session, user: Principal, code: str) -> Project:
    project = projects.get_project(session, code=code)
    service.ensure_can_see(user, park_id=project.park_id)
    return project


def _raise_page(
    request: Request,
    session: Session,
    user: Principal,
    project: Project,
    *,
    errors: list[str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "blocker_new.html",
        {
            "project": project,
            "types": list(BlockerType),
            "levels": list(BlockerLevel),
            "errors": errors or [],
            "values": values or {"level": BlockerLevel.park.value},
            **_names(language(request)),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/projects/{code}/blockers/new", response_model=None)
def raise_page(request: Request, session: SessionDep, user: WebUser, code: ProjectCode) -> Response:
    """The form raising a blocker on a project (officers: their own park's)."""
    return _raise_page(request, session, user, _project_for(session, user, code))


@router.post("/projects/{code}/blockers", response_model=None, dependencies=[CsrfChecked, Writes])
def raise_blocker(
    request: Request,
    session: SessionDep,
    user: WebUser,
    code: ProjectCode,
    type: Short = "",
    description: Text = "",
    responsible_unit: Short = "",
    level: Short = "",
    deadline: Short = "",
) -> Response:
    """Raise the blocker the form states, or show the fields to correct."""
    project = _project_for(session, user, code)
    sent = {
        "type": type,
        "description": description,
        "responsible_unit": responsible_unit,
        "level": level,
        "deadline": deadline,
    }
    values = {name: value for name, value in sent.items() if value.strip()}
    try:
        data = BlockerCreate.model_validate(values)
        answer = service.raise_blocker(session, project=project, data=data, principal=user)
    except (ValidationError, AppError) as exc:
        if isinstance(exc, AppError) and not exc.errors:
            raise
        status = 422 if isinstance(exc, ValidationError) else exc.status_code
        return _raise_page(
            request,
            session,
            user,
            project,
            errors=_messages(language(request), exc),
            values=sent,
            status_code=status,
        )
    return redirect(f"/web/blockers/{answer.blocker.id}?saved=1")


def project_section(
    request: Request, session: Session, *, project: Project, user: Principal
) -> dict[str, Any] | None:
    """The project page's 问题清单 section: its blockers, and whether the user may raise one;
    None for an officer of another park, who sees no other park's blockers."""
    if user.role is Role.officer and user.park_id != project.park_id:
        return None
    return {
        "rows": service.project_blockers(session, project=project),
        "may_raise": project.archived_at is None,
        **_names(language(request)),
    }
