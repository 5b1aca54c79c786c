"""Report endpoints: reconciliation and tracking."""

from fastapi import APIRouter

from app.auth.deps import Reader
from app.config import get_settings
from app.db import SessionDep
from app.problems import problem_responses
from app.reports import service
from app.reports.schemas import Reconciliation

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get(
    "/reconciliation",
    response_model=Reconciliation,
    status_code=200,
    summary="Reconcile the plan's tables 4 and 5 with the library",
    responses=problem_responses(401),
)
def get_reconciliation(_: Reader, session: SessionDep) -> Reconciliation:
    """Each published cell next to the same cell computed from the projects, and the gap."""
    return service.reconcile(session, seed_dir=get_settings().seed_dir)
