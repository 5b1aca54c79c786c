"""The audit log endpoint: who changed which master data, when, from what to what, and why."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.audit import service
from app.audit.schemas import AUDIT_RULES, AuditPage, AuditQuery
from app.audit.tables import audit_table
from app.auth.deps import Admin
from app.db import SessionDep
from app.exports.negotiation import Accepted
from app.exports.writers import EXPORT_RESPONSES, export_response
from app.http.responses import model_response
from app.problems import problem_responses

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get(
    "",
    response_model=AuditPage,
    status_code=200,
    summary="Read the audit log",
    description=AUDIT_RULES,
    responses={**EXPORT_RESPONSES, **problem_responses(401, 403, 422)},
)
def list_audit(
    _: Admin,
    session: SessionDep,
    query: Annotated[AuditQuery, Query()],
    accepted: Accepted,
    request: Request,
) -> Response:
    """Changes to master data, newest first, a page at a time; CSV or XLSX downloads them."""
    if export := query.format or accepted:
        return export_response(audit_table(service.export_records(session, query=query)), export)
    items, more = service.list_records(session, query=query)
    following = None
    if more:
        url = request.url.include_query_params(before=items[-1].id)
        following = f"{url.path}?{url.query}"
    return model_response(AuditPage(items=items, limit=query.limit, next=following))
