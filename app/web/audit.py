"""The audit log page for administrators: the API's records and filters, in the page language."""

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from app.audit import service
from app.audit.log import AuditObject
from app.audit.schemas import ACTION_NAMES, OBJECT_NAMES, AuditQuery
from app.audit.tables import audit_table
from app.auth.deps import require_scopes
from app.auth.scopes import Scope
from app.db import SessionDep
from app.exports.writers import ExportFormat, export_response
from app.http.rate_limits import RateLimiter
from app.problems import InvalidInput, field_error
from app.web.i18n import Lang
from app.web.pages import PageRoute, language, render
from app.web.session import WebUser

# Included in `app.web.router.router`, under its `/web` prefix.
router = APIRouter(route_class=PageRoute, include_in_schema=False)

_FIELDS = frozenset(AuditQuery.model_fields) - {"format"}
OBJECT_EN: dict[str, str] = {
    AuditObject.project: "project",
    AuditObject.park: "park",
    AuditObject.plan: "annual plan",
    AuditObject.milestone: "milestone",
    AuditObject.blocker: "blocker",
    AuditObject.edition: "library edition",
    AuditObject.token: "API token",
    AuditObject.user: "user",
}


def _query(request: Request) -> AuditQuery:
    # A GET form sends every field, empty ones included: empty means "no filter".
    params = {
        name: value.strip()
        for name, value in request.query_params.items()
        if name in _FIELDS and value.strip()
    }
    try:
        return AuditQuery.model_validate(params)
    except ValidationError as exc:
        raise InvalidInput(
            "Invalid filter.",
            errors=[
                field_error("query", *map(str, e["loc"]), msg=e["msg"], type_=e["type"])
                for e in exc.errors()
            ],
        ) from exc


def object_name(lang: Lang, object_type: str) -> str:
    """What changed, in the page's language."""
    names = OBJECT_NAMES if lang == "zh" else OBJECT_EN
    return names.get(object_type, object_type)


def action_name(lang: Lang, action: str) -> str:
    """An action in the page's language (English: as recorded)."""
    return ACTION_NAMES.get(action, action) if lang == "zh" else action


def shown(lang: Lang, value: Any) -> str:
    """A recorded value as the page writes it: lists joined, yes or no, nothing as a dash."""
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


@router.get("/audit", response_model=None)
def audit_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    """Changes to master data, newest first, with the API's filters; administrators only."""
    require_scopes(user, [Scope.admin])
    query = _query(request)
    items, more = service.list_records(session, query=query)
    lang = language(request)
    filters = {
        name: request.query_params.get(name, "").strip()
        for name in ("object_type", "object_key", "actor", "action", "since", "until")
    }
    older = request.url.include_query_params(before=items[-1].id) if more else None
    return render(
        request,
        "audit.html",
        {
            "items": items,
            "filters": filters,
            "object_types": [(t.value, object_name(lang, t.value)) for t in AuditObject],
            "object_name": lambda value: object_name(lang, value),
            "action_name": lambda value: action_name(lang, value),
            "shown": lambda value: shown(lang, value),
            "older": f"{older.path}?{older.query}" if older else None,
            "export_query": request.url.remove_query_params(["before", "limit"]).query,
        },
        user=user,
    )


@router.get("/exports/audit.{export_format}", response_model=None)
def export_audit(
    request: Request, session: SessionDep, user: WebUser, export_format: ExportFormat
) -> Response:
    """The records the page's filters match, as CSV or XLSX."""
    require_scopes(user, [Scope.admin])
    limiter: RateLimiter = request.app.state.rate_limiter
    limiter.hit("exports", token_id=user.token_id)
    records = service.export_records(session, query=_query(request))
    return export_response(audit_table(records), export_format)
