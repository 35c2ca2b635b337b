"""Required text: a value that is missing, empty or only whitespace says nothing."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow.compute as pc

from huiliu.arrow_text import is_plain_text
from huiliu.quality.rules.arrays import ArrayLike, as_arrow, null_mask, to_numpy_bool


def not_blank(values: ArrayLike) -> npt.NDArray[np.bool_]:
    """True where a value is present: not null and, for text, holding a non-whitespace character.

    Whitespace is Unicode's, so a full-width space (U+3000) alone is blank too.
    """
    array = as_arrow(values)
    present = ~null_mask(array)
    if not is_plain_text(array.type):
        return present
    blank = pc.or_(pc.equal(pc.binary_length(array), 0), pc.utf8_is_space(array))
    return present & ~to_numpy_bool(blank, null_as=True)
