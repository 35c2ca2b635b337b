"""Unified social credit codes (统一社会信用代码, GB 32100-2015), checked vectorised.

A code is 18 characters: the registration authority (a digit, or ``A``, ``N``, ``Y`` for the
military, agriculture and other registrars), the entity type (a digit), a 6-digit region code, a
9-character organisation code and a check character, all from the alphabet ``0-9`` plus the capital
letters other than I, O, S, V and Z. The check character makes the weighted sum (weights
``3**i mod 31``) a multiple of 31. python-stdnum's ``cn.uscc`` checks the same except that it only
knows numeric registration authorities; lowercase letters and separators are not accepted here.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from huiliu.quality.rules.arrays import (
    ArrayLike,
    as_arrow_strings,
    fixed_width_columns,
    null_mask,
    weighted_sum,
)

CODE_LENGTH = 18
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
REGISTRATION_AUTHORITIES = "0123456789ANY"


def _lookup(alphabet: str) -> npt.NDArray[np.int16]:
    """A 256-entry table from byte to alphabet index, -1 for bytes outside the alphabet."""
    table = np.full(256, -1, dtype=np.int16)
    table[np.frombuffer(alphabet.encode("ascii"), dtype=np.uint8)] = np.arange(len(alphabet))
    return table


_INDEX = _lookup(USCC_ALPHABET)
_AUTHORITY = _lookup(REGISTRATION_AUTHORITIES)


def _codes_valid(columns: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """Format and check character of 18-byte values given as byte columns."""
    index: npt.NDArray[np.int16] = _INDEX[columns]
    well_formed = (
        (_AUTHORITY[columns[0]] >= 0)
        & ((index[1:8] >= 0) & (index[1:8] <= 9)).all(axis=0)
        & (index[8:] >= 0).all(axis=0)
    )
    total = weighted_sum(np.maximum(index[:17], 0), USCC_WEIGHTS)
    valid: npt.NDArray[np.bool_] = well_formed & (index[17] == (31 - total % 31) % 31)
    return valid


def valid_credit_codes(values: ArrayLike) -> npt.NDArray[np.bool_]:
    """Which values are valid unified social credit codes (nulls count as valid).

    Args:
        values: the credit code column.

    Returns:
        A bool array, True for valid codes and nulls.
    """
    strings = as_arrow_strings(values)
    valid = null_mask(strings)
    rows, columns = fixed_width_columns(strings, CODE_LENGTH)
    valid[rows] = _codes_valid(columns)
    return valid
