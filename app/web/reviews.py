"""The review inbox page: reports waiting for a decision across the portfolio, approved or
returned many at a time; and reopening a closed period from a project's page."""

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request, Response
from pydantic import ValidationError

from app.auth.deps import require_scopes
from app.auth.scopes import Scope
from app.db import SessionDep
from app.parks.service import list_parks
from app.problems import AppError
from app.projects import service as projects
from app.reviews import service
from app.reviews.schemas import (
    BULK_REVIEW,
    PERIOD_PATTERN,
    InboxQuery,
    InboxState,
    ReopenRequest,
)
from app.web import i18n
from app.web.pages import PageRoute, language, redirect, render
from app.web.session import CsrfChecked, WebUser

# Included in `app.web.router.router`, under its `/web` prefix.
router = APIRouter(route_class=PageRoute, include_in_schema=False)
ProjectCode = Annotated[str, Path(max_length=16, pattern=r"^[A-Za-z]{3}-\d{1,6}$")]
PAGE = 100


@router.get("/reviews", response_model=None)
def reviews_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    state: InboxState = InboxState.submitted,
    park: Annotated[str, Query(max_length=32)] = "",
    period: Annotated[str, Query(max_length=7)] = "",
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    done: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> Response:
    """The inbox, oldest first, with the filters and the bulk decision form."""
    query = InboxQuery.model_validate(
        {
            "state": state,
            "park": [park] if park else [],
            "period": [period] if period else [],
            "offset": offset,
            "limit": PAGE,
        }
    )
    return _page(request, session, user, query=query, done=done)


def _page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    *,
    query: InboxQuery,
    done: int = 0,
    error: str = "",
    comment: str = "",
    status_code: int = 200,
) -> Response:
    inbox = service.inbox(session, query=query, principal=user)
    return render(
        request,
        "reviews.html",
        {
            "inbox": inbox,
            "query": query,
            "parks": list_parks(session),
            "can_review": Scope.review in user.scopes,
            "done": done,
            "error": error,
            "comment": comment,
        },
        user=user,
        status_code=status_code,
    )


@router.post("/reviews", response_model=None, dependencies=[CsrfChecked])
def review_selected(
    request: Request,
    session: SessionDep,
    user: WebUser,
    decision: Annotated[Literal["approve", "return"], Form()],
    entry_id: Annotated[list[int], Form(max_length=PAGE)] = [],  # noqa: B006 - FastAPI's form list
    comment: Annotated[str, Form(max_length=4000)] = "",
    state: Annotated[InboxState, Form()] = InboxState.submitted,
    park: Annotated[str, Form(max_length=32)] = "",
    period: Annotated[str, Form(max_length=7)] = "",
) -> Response:
    """Approve or return the ticked reports, all or nothing, as the API's bulk review does."""
    require_scopes(user, [Scope.review])
    lang = language(request)
    query = InboxQuery.model_validate(
        {
            "state": state,
            "park": [park] if park else [],
            "period": [period] if period else [],
            "limit": PAGE,
        }
    )
    if not entry_id:
        return _page(
            request,
            session,
            user,
            query=query,
            error=i18n.message(lang, "reviews_pick"),
            comment=comment,
            status_code=422,
        )
    if decision == "return" and not comment.strip():
        return _page(
            request,
            session,
            user,
            query=query,
            error=i18n.message(lang, "review_comment_help"),
            comment=comment,
            status_code=422,
        )
    try:
        review = BULK_REVIEW.validate_python(
            {"entry_ids": entry_id, "decision": decision, "comment": comment.strip()}
        )
        result = service.decide(session, review=review, principal=user)
    except ValidationError as exc:
        message = "; ".join(i18n.field_message(lang, e) for e in exc.errors())
        return _page(
            request, session, user, query=query, error=message, comment=comment, status_code=422
        )
    except AppError as exc:
        session.rollback()
        message = exc.detail
        return _page(
            request,
            session,
            user,
            query=query,
            error=message,
            comment=comment,
            status_code=exc.status_code,
        )
    back = f"/web/reviews?state={state.value}&done={result.total}"
    back += f"&park={park}" if park else ""
    back += f"&period={period}" if period else ""
    return redirect(back)


@router.post(
    "/projects/{code}/periods/{period}/reopen", response_model=None, dependencies=[CsrfChecked]
)
def reopen_period(
    session: SessionDep,
    user: WebUser,
    code: ProjectCode,
    period: Annotated[str, Path(pattern=PERIOD_PATTERN)],
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Reopen a closed period from the project's page, saying why."""
    require_scopes(user, [Scope.review])
    project = projects.get_project(session, code=code)
    page = f"/web/projects/{project.code}"
    try:
        body = ReopenRequest.model_validate({"reason": reason.strip()})
        service.reopen(session, project=project, period=period, principal=user, reason=body.reason)
    except (ValidationError, AppError):
        # No reason, or nothing to reopen: the page says so beside the form.
        session.rollback()
        return redirect(f"{page}?reopen_error={period}#timeline")
    return redirect(f"{page}?reopened={period}#timeline")
