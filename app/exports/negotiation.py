"""Choosing JSON, CSV or XLSX from `format=` or the `Accept` header."""

from typing import Annotated

from fastapi import Depends, Header

from app.exports.writers import XLSX_MEDIA_TYPE, ExportFormat


def format_from_accept(accept: str | None) -> ExportFormat | None:
    """The export format an `Accept` header asks for, or None for JSON."""
    if accept:
        types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
        if XLSX_MEDIA_TYPE in types:
            return ExportFormat.xlsx
        if "text/csv" in types:
            return ExportFormat.csv
    return None


# Asynchronous, though it awaits nothing: a synchronous dependency takes a worker thread.
async def accepted_format(
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> ExportFormat | None:
    """The export format the `Accept` header asks for, or None for JSON."""
    return format_from_accept(accept)


Accepted = Annotated[ExportFormat | None, Depends(accepted_format)]
