"""Text a spreadsheet would run as a formula, and how the outbox keeps it inert.

Excel, WPS and LibreOffice read a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (after any
tabs, carriage returns or line feeds) as a formula: a DDE payload such as ``=cmd|' /C calc'!A0``
runs a program, ``=HYPERLINK(…)`` leaks data when clicked. The outbox never writes a formula:

* CSV: such a text value gets one leading single quote (OWASP's advice), which every spreadsheet
  shows as text. So that the prefix can be undone exactly, a value that already starts with quotes
  before a trigger gets one more: a program re-importing the CSV drops the first character of every
  text value matching :data:`NEUTRALISED` and gets the original back.
* XLSX: every text value is a text cell (never a formula cell) in the text number format ``@``,
  so editing it in Excel keeps it text; a formula-like one also carries the quote-prefix flag.

Unlike the quality rule ``formula_like_text`` this neutralises plain numbers held as text
(``-12.5``) too: one rule, applied the same to every text cell, is what an importer can reverse.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huiliu import row_passes
from huiliu.arrow_text import is_plain_text, text_buffers

QUOTE = "'"
TRIGGER = r"^'*[\t\r\n]*[=+\-@]"
"""Text to neutralise: optional quotes, then optional tabs/CR/LF, then = + - or @."""
NEUTRALISED = r"^'+[\t\r\n]*[=+\-@]"
"""A CSV text value the outbox prefixed: drop its first character to get the original back."""


def is_text(type_: pa.DataType) -> bool:
    return bool(is_plain_text(type_) or pa.types.is_string_view(type_))


_STARTS = np.zeros(256, dtype=bool)
_STARTS[[ord(c) for c in "'\t\r\n=+-@"]] = True
"""The first bytes a formula-like text can start with (each one character in UTF-8)."""


def _may_be_formula_like(values: pa.Array) -> bool:
    """False when no text value starts with a byte a formula-like one starts with (read off the
    Arrow buffers, without the regular expression); True when one may (or the layout is not plain)."""
    if not is_plain_text(values.type):
        return True
    if isinstance(values, pa.ChunkedArray):
        return any(_may_be_formula_like(chunk) for chunk in values.chunks)
    if not len(values):
        return False
    offsets, data = text_buffers(values)
    return row_passes.any_leading(offsets, data, _STARTS)


def formula_like(values: pa.Array) -> np.ndarray:
    """Per value, whether it is text a spreadsheet would run (nulls and non-text: False)."""
    if not is_text(values.type) or not _may_be_formula_like(values):
        return np.zeros(len(values), dtype=bool)
    matched = pc.match_substring_regex(values, TRIGGER)
    return np.asarray(matched.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def neutralise_for_csv(values: pa.Array) -> pa.Array:
    """The text values with a quote before every formula-like one; other values unchanged."""
    if not is_text(values.type) or not _may_be_formula_like(values):
        return values
    flagged = pc.match_substring_regex(values, TRIGGER)
    if not pc.any(flagged).as_py():
        return values
    quoted = pc.binary_join_element_wise(pa.scalar(QUOTE, values.type), values, pa.scalar("", values.type))
    return pc.if_else(flagged, quoted, values)
