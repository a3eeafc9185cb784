"""CSV files that spreadsheets open safely: every CSV faq-bot writes goes through here.

Excel and LibreOffice run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
after a tab or carriage return, whatever follows) as a formula: a visitor's question
``=HYPERLINK("http://evil.example","x")`` would become a live link in the staff's
spreadsheet. Such text cells get a leading apostrophe, which spreadsheets show as
plain text (OWASP's "CSV injection" advice). Numbers we computed are left as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

#: What a spreadsheet may read as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: Excel needs the byte order mark to read UTF-8 (Japanese) text correctly.
BOM = "\ufeff"

Cell = str | int | float | None


def safe_cell(value: Cell) -> str | int | float:
    """The value as a cell no spreadsheet runs as a formula (text starting like one gets a leading ``'``)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_line(row: Sequence[Cell]) -> str:
    """One CSV line (with its line end) of neutralised cells."""
    out = io.StringIO()
    csv.writer(out).writerow([safe_cell(v) for v in row])
    return out.getvalue()


def csv_text(rows: Iterable[Sequence[Cell]]) -> str:
    """A whole CSV file of neutralised cells, with a BOM so that Excel reads it as UTF-8."""
    return BOM + "".join(csv_line(r) for r in rows)
