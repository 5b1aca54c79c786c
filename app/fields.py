"""Field types shared by the request schemas."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

# C0 controls but tab, line feed and carriage return; DEL; C1 controls. PostgreSQL cannot
# store a NUL, an XLSX cell cannot hold most of the C0 set, and an escape sequence in a note
# is nobody's text but a terminal's.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _plain(value: str) -> str:
    if found := CONTROL_CHARACTERS.search(value):
        raise PydanticCustomError(
            "control_characters",
            "text may not contain control characters (found {char} at position {position})",
            {"char": f"U+{ord(found.group()):04X}", "position": found.start() + 1},
        )
    return value


# The same rule as the OpenAPI document states it (ECMA-262 regex, as JSON Schema reads it).
PLAIN_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"


@dataclass(frozen=True)
class _Plain:
    """Refuses control characters (`_plain`), and says so in the JSON schema as a pattern."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_plain, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        # A field with a pattern of its own (an id, say) already admits no control character.
        json_schema.setdefault("pattern", PLAIN_PATTERN)
        return json_schema


PLAIN = _Plain()
# Every text a request carries is `Text` (or carries `PLAIN`): one rule for every input.
Text = Annotated[str, PLAIN]


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
