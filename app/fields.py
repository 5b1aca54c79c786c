"""Field types shared by the request schemas."""

from typing import Annotated

from pydantic import AfterValidator


def _no_nul(value: str) -> str:
    # No text the service keeps holds a NUL, and PostgreSQL refuses to store one.
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    return value


NO_NUL = AfterValidator(_no_nul)
Text = Annotated[str, NO_NUL]
