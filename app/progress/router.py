"""Progress endpoints, nested under the project they belong to."""

from fastapi import APIRouter

from app.auth.deps import Reader
from app.db import SessionDep
from app.problems import problem_responses
from app.progress import service
from app.progress.schemas import ProgressHistory
from app.projects.deps import ProjectByCode

router = APIRouter(prefix="/projects/{code}/progress", tags=["progress"])


@router.get(
    "",
    response_model=ProgressHistory,
    status_code=200,
    summary="Get a project's progress history",
    responses=problem_responses(401, 404),
)
def list_progress(_: Reader, session: SessionDep, project: ProjectByCode) -> ProgressHistory:
    """Every progress entry of the project, newest first, the printed baseline included."""
    entries = service.list_history(session, project=project)
    items = [service.to_public(e, project_code=project.code) for e in entries]
    return ProgressHistory(project_code=project.code, items=items, total=len(items))
