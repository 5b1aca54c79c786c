"""Field types shared by the request schemas."""

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator


def _no_nul(value: str) -> str:
    # No text the service keeps holds a NUL, and PostgreSQL refuses to store one.
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    return value


NO_NUL = AfterValidator(_no_nul)
Text = Annotated[str, NO_NUL]


def reject_bool(value: object) -> object:
    """A `mode="before"` field validator: JSON true and false are not numbers."""
    # Python would take them for 1 and 0, and pydantic's lax mode does.
    if isinstance(value, bool):
        raise ValueError("Input should be a valid integer, not true or false")
    return value


def not_nullable(
    examples: list[dict[str, Any]],
) -> Callable[[dict[str, Any]], None]:
    """JSON schema of a partial update: each field may be left out, none may be null."""

    def edit(schema: dict[str, Any]) -> None:
        schema["examples"] = examples
        for prop in schema.get("properties", {}).values():
            kinds = [k for k in prop.pop("anyOf", []) if k.get("type") != "null"]
            if len(kinds) == 1:
                prop.update(kinds[0])
            elif kinds:
                prop["anyOf"] = kinds
            if prop.get("default", 0) is None:
                del prop["default"]

    return edit
