"""Unknown query parameters are refused (422), as unknown body fields are."""

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.problems import InvalidInput, field_error

_known_by_route: dict[int, frozenset[str]] = {}


def refuse_unknown_query_parameters(request: Request) -> None:
    """A misspelt filter must not silently widen the answer: every API route checks this."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _known_by_route.get(id(route))
    if known is None:
        known = _known_by_route[id(route)] = frozenset(_query_names(route.dependant))
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise InvalidInput(
            f"Unknown query parameter{'s' if len(unknown) > 1 else ''}: "
            f"{', '.join(repr(name) for name in unknown)}; "
            "see /docs for this operation's parameters.",
            errors=[
                field_error("query", name, msg="unknown query parameter", type_="extra_forbidden")
                for name in unknown
            ],
        )


def _query_names(dependant: Dependant) -> set[str]:
    names: set[str] = set()
    for param in dependant.query_params:
        annotation = param.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            # A query model (`Annotated[Filters, Query()]`): each of its fields is a parameter.
            names.update(f.alias or n for n, f in annotation.model_fields.items())
        else:
            names.add(param.alias)
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names
