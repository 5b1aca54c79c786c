"""Web pages for planners and officers, on the same services as the API."""

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile
from pydantic import ValidationError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.auth.deps import require_scopes
from app.auth.policy import Principal, ensure_can_report
from app.auth.scopes import Scope
from app.auth.tokens import verify
from app.config import get_settings
from app.db import SessionDep, StatementsDep
from app.exports.writers import XLSX_MEDIA_TYPE, ExportFormat, export_response
from app.http import metrics
from app.http.caching import data_version_in
from app.http.rate_limits import RateLimiter
from app.models import Project, ReviewState
from app.problems import AppError, Conflict, InvalidInput, NotFound
from app.progress import idempotency
from app.progress import service as progress
from app.progress.schemas import ApproveRequest, ReturnRequest
from app.projects import service as projects
from app.projects import tables as project_tables
from app.projects.schemas import MAX_PAGE, ProjectListQuery
from app.reports import service as reports
from app.rollups.router import rollup_cache
from app.rollups.schemas import Dim
from app.spreadsheets import service as spreadsheets
from app.spreadsheets.schemas import PERIOD_PATTERN, UploadSummary
from app.web import audit, blockers, editions, i18n, reviews, views
from app.web.pages import PageRoute, language, redirect, render, safe_next
from app.web.session import (
    COOKIE_MAX_AGE,
    LANG_COOKIE,
    CsrfChecked,
    MaybeUser,
    WebUser,
    set_cookie,
    sign_in,
    sign_out,
)

router = APIRouter(prefix="/web", route_class=PageRoute, include_in_schema=False)
root = APIRouter(include_in_schema=False)
router.include_router(editions.router)
router.include_router(audit.router)
router.include_router(reviews.router)
router.include_router(blockers.router)


def _allowance(kind: str) -> Any:
    # The API's per-token limits hold for the same token signed in here.
    def count(request: Request, user: WebUser) -> None:
        limiter: RateLimiter = request.app.state.rate_limiter
        limiter.hit(kind, token_id=user.token_id)

    return Depends(count)


Writes = _allowance("writes")
Exports = _allowance("exports")
ProjectCode = Annotated[str, Path(max_length=16, pattern=r"^[A-Za-z]{3}-\d{1,6}$")]
Next = Annotated[str, Form(max_length=2000)]


@root.get("/", response_model=None)
def home() -> Response:
    """People who open the service's address land on the overview."""
    return redirect("/web/")


@router.get("/login", response_model=None)
def login_page(request: Request, user: MaybeUser, next: str = "/web/") -> Response:
    """The sign-in form."""
    return render(request, "login.html", {"next": safe_next(next)}, user=user)


@router.post("/login", response_model=None, dependencies=[CsrfChecked])
async def login(
    request: Request,
    statements: StatementsDep,
    token: Annotated[str, Form(max_length=200)] = "",
    next: Next = "/web/",
) -> Response:
    """Check the pasted token and keep it in the cookie."""
    found, _ = await verify(statements, token.strip()) if token.strip() else (None, None)
    if found is None:
        return render(
            request,
            "login.html",
            {"next": safe_next(next), "error": i18n.message(language(request), "token_invalid")},
            user=None,
            status_code=401,
        )
    response = redirect(safe_next(next))
    sign_in(request, response, token.strip())
    return response


@router.post("/logout", response_model=None, dependencies=[CsrfChecked])
def logout(request: Request) -> Response:
    """Forget the token."""
    response = redirect("/web/login")
    sign_out(request, response)
    return response


@router.post("/lang", response_model=None, dependencies=[CsrfChecked])
def choose_language(
    request: Request, lang: Annotated[i18n.Lang, Form()], next: Next = "/web/"
) -> Response:
    """Switch the pages between Chinese and English."""
    response = redirect(safe_next(next))
    set_cookie(request, response, LANG_COOKIE, lang, max_age=COOKIE_MAX_AGE)
    return response


@router.get("/", response_model=None)
def overview_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    """Headline figures and charts of the filtered portfolio, and the year's 调度 round."""
    filters = views.filters_of(request.query_params)
    year = views.year_of(request.query_params)
    overview = views.overview(
        session,
        filters=filters,
        year=year,
        cache=rollup_cache(request),
        version=data_version_in(session),
    )
    lang = language(request)
    charts = {
        dim.value: [
            {
                "label": views.row_label(row, lang),
                "status": row.status,
                "project_count": row.project_count,
                "total_investment_wan": row.total_investment_wan,
                "invested_to_date_wan": row.invested_to_date_wan,
                "link": views.web_link(row.projects),
            }
            for row in rollup.rows
        ]
        for dim, rollup in overview.rollups.items()
    }
    return render(
        request,
        "overview.html",
        {
            "overview": overview,
            "totals": overview.rollups[Dim.park].totals,
            "seen_at": overview.rollups[Dim.park].seen_at,
            "charts": charts,
            "series": views.series_points(overview.series, lang),
            "choices": views.choices(session),
            "filters": filters,
            "year": year,
        },
        user=user,
    )


@router.get("/projects", response_model=None)
def projects_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    """The filtered, sorted, paged project list."""
    query = views.list_query(request.query_params)
    items, total = projects.list_projects(session, query=query)
    return render(
        request,
        "projects.html",
        {
            "query": query,
            "items": items,
            "total": total,
            "choices": views.choices(session),
            "export_query": request.url.query,
            "page_link": lambda offset: str(
                request.url.include_query_params(offset=max(offset, 0))
            ).removeprefix(str(request.base_url).rstrip("/")),
        },
        user=user,
    )


@router.get("/exports/projects.{export_format}", response_model=None, dependencies=[Exports])
def export_projects(
    request: Request, session: SessionDep, _: WebUser, export_format: ExportFormat
) -> Response:
    """Every project the list shows under its filters and order, as CSV or XLSX."""
    query = views.list_query(request.query_params)
    return export_response(project_tables.export_table(session, query=query), export_format)


@router.get("/projects/{code}", response_model=None)
def project_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    code: ProjectCode,
    saved: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    reviewed: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    reopened: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
    reopen_error: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
) -> Response:
    """Master data, the progress timeline and invested-to-date over time."""
    project = projects.get_project(session, code=code)
    return _project_page(
        request,
        session,
        user,
        project,
        saved=saved,
        reviewed=reviewed,
        reopened=reopened,
        reopen_error=reopen_error,
    )


def _project_page(
    request: Request,
    session: Session,
    user: Principal,
    project: Project,
    *,
    saved: int | None = None,
    reviewed: int | None = None,
    review_error: tuple[int, str] | None = None,
    reopened: str | None = None,
    reopen_error: str | None = None,
    status_code: int = 200,
) -> Response:
    public = projects.project_public(session, project=project)
    history = [
        progress.to_public(entry, project_code=project.code)
        for entry in progress.list_history(session, project=project)
    ]
    series = [
        {"as_of": e.as_of.isoformat(), "invested_to_date_wan": e.invested_to_date_wan}
        for e in reversed(history)
        # A returned report's amount never counted.
        if e.invested_to_date_wan is not None and e.review_state != ReviewState.returned
    ]
    return render(
        request,
        "project.html",
        {
            "project": public,
            "history": history,
            "series": series,
            "plans": views.plan_years(session, project=project, principal=user, history=history),
            "milestones": views.milestones(session, project=project),
            "can_report": views.can_report(user, project),
            "can_review": Scope.review in user.scopes,
            "saved": next((e for e in history if e.id == saved), None),
            "reviewed": next((e for e in history if e.id == reviewed), None),
            "review_error": review_error,
            "closed": progress.closed_periods(session, project_id=project.id)
            if Scope.review in user.scopes and project.id is not None
            else {},
            "reopened": reopened,
            "reopen_error": reopen_error,
            "blockers": blockers.project_section(request, session, project=project, user=user),
        },
        user=user,
        status_code=status_code,
    )


@router.post(
    "/projects/{code}/progress/{entry_id}/review",
    response_model=None,
    dependencies=[CsrfChecked, Writes],
)
def review_report(
    request: Request,
    session: SessionDep,
    user: WebUser,
    code: ProjectCode,
    entry_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    decision: Annotated[Literal["approve", "return"], Form()],
    comment: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Approve a submitted report, or return it with a comment, as the API's review does."""
    project = projects.get_project(session, code=code)
    require_scopes(user, [Scope.review])
    try:
        body = (ApproveRequest if decision == "approve" else ReturnRequest).model_validate(
            {"comment": comment.strip()}
        )
        progress.review_entry(
            session,
            project=project,
            entry_id=entry_id,
            principal=user,
            decision=ReviewState.approved if decision == "approve" else ReviewState.returned,
            comment=body.comment,
        )
    except ValidationError as exc:
        lang = language(request)
        message = "; ".join(i18n.field_message(lang, e) for e in exc.errors())
        return _project_page(
            request, session, user, project, review_error=(entry_id, message), status_code=422
        )
    except (Conflict, NotFound) as exc:
        session.rollback()
        return _project_page(
            request,
            session,
            user,
            project,
            review_error=(entry_id, exc.detail),
            status_code=exc.status_code,
        )
    return redirect(f"/web/projects/{project.code}?reviewed={entry_id}")


@router.get("/projects/{code}/report", response_model=None)
def report_page(
    request: Request, session: SessionDep, user: WebUser, code: ProjectCode
) -> Response:
    """The report form, prefilled from the project's current figures."""
    project = projects.get_project(session, code=code)
    require_scopes(user, [Scope.progress_write])
    ensure_can_report(user, project)
    public = projects.project_public(session, project=project)
    form = views.ReportForm(values=views.prefill(session, project=project, public=public))
    return render(
        request,
        "report.html",
        {
            "project": public,
            "form": form,
            "request_key": uuid.uuid4().hex,
            "milestones": views.milestones(session, project=project),
        },
        user=user,
    )


@router.post("/projects/{code}/report", response_model=None, dependencies=[CsrfChecked, Writes])
async def submit_report(
    request: Request,
    session: SessionDep,
    statements: StatementsDep,
    user: WebUser,
    code: ProjectCode,
    as_of: Annotated[str, Form(max_length=40)] = "",
    status: Annotated[str, Form(max_length=40)] = "",
    percent_complete: Annotated[str, Form(max_length=40)] = "",
    invested_to_date_wan: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
    issues: Annotated[str, Form(max_length=4000)] = "",
    milestone_filing: Annotated[str, Form(max_length=40)] = "",
    milestone_permits: Annotated[str, Form(max_length=40)] = "",
    milestone_start: Annotated[str, Form(max_length=40)] = "",
    milestone_completion: Annotated[str, Form(max_length=40)] = "",
    milestone_operation: Annotated[str, Form(max_length=40)] = "",
    no_change_confirmed: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
    request_key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Store the report through the API's rules, or show their messages by the fields."""
    require_scopes(user, [Scope.progress_write])
    form = views.ReportForm(
        values={
            "as_of": as_of,
            "status": status,
            "percent_complete": percent_complete,
            "invested_to_date_wan": invested_to_date_wan,
            "note": note,
            "issues": issues,
            "milestone_filing": milestone_filing,
            "milestone_permits": milestone_permits,
            "milestone_start": milestone_start,
            "milestone_completion": milestone_completion,
            "milestone_operation": milestone_operation,
            "no_change_confirmed": no_change_confirmed,
            "reason": reason,
        }
    )
    report = views.parse_report(form, language(request))
    # Stored before the session reads anything: on SQLite a session's first statement holds
    # the database's write lock until the request ends (`app.db`).
    if report is not None:
        try:
            result = await progress.create_progress(
                statements,
                code=code,
                report=report,
                principal=user,
                # The form's own key: a second click or a reload of the answer stores nothing
                # twice.
                idempotency_key=idempotency.parse_key(request_key) if request_key else None,
            )
        except InvalidInput as exc:
            views.add_rule_errors(form, exc, language(request))
        except Conflict as exc:
            # An approved period closed to reports, or an archived project.
            lang = language(request)
            closed = "reopen" in exc.detail
            period = report.as_of.strftime("%Y-%m")
            text = i18n.message(lang, "period_locked", period=period) if closed else exc.detail
            form.add("as_of" if closed else "form", text)
        else:
            if not result.replayed:
                metrics.reports_stored(1, source="api")
            return redirect(f"/web/projects/{result.entry.project_code}?saved={result.entry.id}")
    project = await run_in_threadpool(projects.get_project, session, code=code)
    public = await run_in_threadpool(projects.project_public, session, project=project)
    stored = await run_in_threadpool(views.milestones, session, project=project)
    return render(
        request,
        "report.html",
        {
            "project": public,
            "form": form,
            "request_key": uuid.uuid4().hex,
            "milestones": stored,
        },
        user=user,
        status_code=422,
    )


@router.get("/my", response_model=None)
def officer_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    park: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z0-9_-]*$")] = None,
) -> Response:
    """A park's projects with what is due this period: the officer's own park."""
    park_id = views.officer_park(user) or park or None
    due = views.period_due()
    context: dict[str, object] = {
        "period": due.period,
        "due": due.due,
        "overdue": due.overdue,
        "park_id": park_id,
    }
    if park_id is not None:
        query = ProjectListQuery(park=[park_id], limit=MAX_PAGE)
        items, total = projects.list_projects(session, query=query)
        context |= {
            "items": items,
            "total": total,
            "compliance": views.park_compliance(session, park_id=park_id, period=due.period),
        }
    context["choices"] = views.choices(session)
    return render(request, "officer.html", context, user=user)


@router.get("/spreadsheet", response_model=None)
def spreadsheet_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    """Template download and upload of a filled spreadsheet."""
    return render(
        request,
        "spreadsheet.html",
        {
            "choices": views.choices(session),
            "period": views.period_due().period,
            "park_id": views.officer_park(user),
        },
        user=user,
    )


@router.get("/spreadsheet/template", response_model=None, dependencies=[Exports])
def spreadsheet_template(
    session: SessionDep,
    user: WebUser,
    park: Annotated[str, Query(max_length=32, pattern=r"^[a-z0-9_-]+$")],
    period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
) -> Response:
    """The park's XLSX template, as the API's template endpoint gives it."""
    template = spreadsheets.report_template(
        session, park_id=park, period=period or None, principal=user
    )
    return Response(
        template.content,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": template.content_disposition},
    )


@router.post("/spreadsheet", response_model=None, dependencies=[CsrfChecked, Writes, Exports])
async def upload_spreadsheet(
    request: Request,
    session: SessionDep,
    statements: StatementsDep,
    user: WebUser,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = False,
) -> Response:
    """Store a filled spreadsheet (all rows or none), or show each row's errors."""
    require_scopes(user, [Scope.progress_write])
    # Stored before the session reads anything: on SQLite a session's first statement holds
    # the database's write lock until the request ends (`app.db`).
    summary: UploadSummary | AppError
    try:
        summary = await spreadsheets.upload_progress(
            statements, stream=file.file, size=file.size, dry_run=dry_run, principal=user
        )
    except AppError as exc:
        summary = exc
    context: dict[str, object] = {
        "choices": await run_in_threadpool(views.choices, session),
        "period": views.period_due().period,
        "park_id": views.officer_park(user),
        "filename": file.filename,
    }
    if isinstance(summary, AppError):
        errors = views.row_errors(summary, language(request))
        context |= {"failure": summary.detail, "errors": errors}
        return render(
            request, "spreadsheet.html", context, user=user, status_code=summary.status_code
        )
    if not dry_run:
        metrics.reports_stored(len(summary.entry_ids), source="spreadsheet")
    context["summary"] = summary
    return render(request, "spreadsheet.html", context, user=user)


@router.get("/reconciliation", response_model=None)
def reconciliation_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    """Tables 4 and 5 of the plan against the library, cell by cell."""
    result = reports.reconcile(session, seed_dir=get_settings().seed_dir)
    columns = views.column_names(session, language(request))
    return render(
        request, "reconciliation.html", {"result": result, "column_names": columns}, user=user
    )
