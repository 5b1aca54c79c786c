"""JSON answers for models the service has built and validated itself."""

from collections.abc import Mapping

from fastapi.responses import Response
from pydantic import BaseModel


def model_response(
    model: BaseModel, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """The model as a JSON response, sent without FastAPI validating it a second time."""
    # A route's response_model validates what the route returns once more, in a worker
    # thread for a synchronous route. Hot routes build their models from rows the database
    # constrained, so they answer directly; their response_model still documents the answer.
    return Response(
        model.__pydantic_serializer__.to_json(model),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )
