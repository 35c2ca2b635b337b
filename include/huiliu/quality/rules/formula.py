"""Formula-like text: cells a spreadsheet would run as a formula when the data is opened in one.

Returned data is mostly opened in Excel or WPS by streets and communities. A text cell that starts
with ``=``, ``+``, ``-`` or ``@`` (OWASP's CSV injection triggers), or with tabs or carriage returns
before one, is read as a formula: ``=HYPERLINK(...)`` leaks data when clicked and a DDE payload such
as ``=cmd|' /C calc'!A0`` runs a program. Two kinds of text start that way and are inert, so they
are not flagged: plain numbers and phone numbers (``-12.5``, ``+86 138 0013 8000``: digits with
spaces, dots, commas, dashes or brackets, an optional sign and per cent sign), and cells made of
trigger characters alone (a ``-`` placeholder, a ``-----`` rule).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from huiliu.arrow_text import is_plain_text
from huiliu.quality.rules.arrays import ArrayLike, as_arrow, to_numpy_bool

TRIGGER = r"^[\t\r]*[=+\-@]"
PLAIN_NUMBER = r"^\s*[+\-]?[\d\s.,()\-]*\d[\d\s.,()\-]*%?\s*$"
TRIGGERS_ONLY = r"^[\s=+\-@]*$"


def _matches(strings: pa.Array, pattern: str) -> npt.NDArray[np.bool_]:
    return to_numpy_bool(pc.match_substring_regex(strings, pattern), null_as=False)


def formula_like_text(values: ArrayLike) -> npt.NDArray[np.bool_]:
    """True for text a spreadsheet would run as a formula; False for other text, numbers and nulls.

    Args:
        values: any column; only text values can be formula-like.
    """
    array = as_arrow(values)
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if not is_plain_text(array.type):
        return np.zeros(len(array), dtype=bool)
    flagged = _matches(array, TRIGGER)
    if flagged.any():
        suspects = np.flatnonzero(flagged)
        chosen = array.take(pa.array(suspects))
        inert = _matches(chosen, PLAIN_NUMBER) | _matches(chosen, TRIGGERS_ONLY)
        flagged[suspects[inert]] = False
    return flagged


def not_formula_like(values: ArrayLike) -> npt.NDArray[np.bool_]:
    """True where a value is safe to open in a spreadsheet (nulls and non-text values too)."""
    return ~formula_like_text(values)
