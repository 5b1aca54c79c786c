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


def _plain(value: object) -> object:
    if isinstance(value, str) and (found := CONTROL_CHARACTERS.search(value)):
        raise PydanticCustomError(
            "control_characters",
            "text may not contain control characters (found {char} at position {position})",
            {"char": f"U+{ord(found.group()):04X}", "position": found.start() + 1},
        )
    return value


# The characters `_plain` refuses, as a character class a JSON Schema (ECMA-262) pattern and
# Python's `re` (hypothesis, schemathesis) read alike.
_CONTROLS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
# What `strip_whitespace` takes off the ends (pydantic-core trims Unicode White_Space), but
# for the controls already in `_CONTROLS`.
_BLANKS = r"\u0009\u000a\u000d\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# The rule as the OpenAPI document states it.
PLAIN_PATTERN = rf"^[^{_CONTROLS}]*$"
# The same for text stripped before a `min_length` of 1: one character is neither control nor
# blank, since blanks alone strip to nothing and are refused.
NON_BLANK_PATTERN = rf"^[^{_CONTROLS}]*[^{_CONTROLS}{_BLANKS}][^{_CONTROLS}]*$"


@dataclass(frozen=True)
class _Plain:
    """Refuses control characters (`_plain`), and says so in the JSON schema as `pattern`."""

    pattern: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # Before the type's own steps: a strip would take a control at either end (VT, FF, NEL)
        # away unseen, and accept text the document refuses. Other types fail in the type's.
        return core_schema.no_info_before_validator_function(_plain, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        # A field with a pattern of its own (an id, say) already admits no control character.
        json_schema.setdefault("pattern", self.pattern)
        return json_schema


PLAIN = _Plain(PLAIN_PATTERN)
# Only where the text is stripped (`strip_whitespace`, `str_strip_whitespace`) and has a
# `min_length` of 1; elsewhere the document would refuse blanks the service takes.
NON_BLANK = _Plain(NON_BLANK_PATTERN)
# Every text a request carries is `Text` or `NonBlankText` (or carries `PLAIN` or `NON_BLANK`):
# one rule for every input.
Text = Annotated[str, PLAIN]
NonBlankText = Annotated[str, NON_BLANK]


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
