"""How every CSV field and XLSX cell the service writes holds text: as text, never a formula."""

import re
from typing import Any

from openpyxl.cell.cell import Cell, MergedCell

from app.fields import CONTROL_CHARACTERS

# What a worksheet cannot hold, beyond the control characters no input may carry: XML 1.0 has
# no lone surrogates and no U+FFFE or U+FFFF. Stored text predating the input rules (or loaded
# by `portfolio import`) may hold any of them; an export drops them rather than failing.
_UNWRITABLE = re.compile(CONTROL_CHARACTERS.pattern + r"|[\ud800-\udfff\ufffe\uffff]")
# Text a spreadsheet would run as a formula when opening a CSV file (OWASP, CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean_text(text: str) -> str:
    """The text without the characters a worksheet cannot hold."""
    return _UNWRITABLE.sub("", text)


def csv_field(value: Any) -> Any:
    """A value as a CSV field: text cleaned and, where a spreadsheet would evaluate it, quoted."""
    if not isinstance(value, str):
        return value
    text = clean_text(value)
    # The leading apostrophe makes Excel and LibreOffice take the field as text; numbers are
    # never str here, so they stay numbers.
    return "'" + text if text.startswith(_FORMULA_START) else text


def put(cell: Cell | MergedCell, value: Any) -> Cell | MergedCell:
    """Set an XLSX cell: text cleaned and typed as a string, so "=…" stays the text typed."""
    if isinstance(value, str):
        # openpyxl takes text starting with "=" for a formula; the type set afterwards wins.
        cell.value = clean_text(value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell
