"""Mainland China mobile numbers, normalised and range-checked vectorised.

Numbers may carry a ``+86``, ``0086`` or ``86`` country prefix and spaces or dashes anywhere. After
normalising they must be 11 digits starting with 1, in a range that phonenumbers assigns to mobile
service. phonenumbers' mainland mobile ranges are decided by the first five digits (e.g. 1740[0-5]),
so it is asked once about a representative number of every prefix, and the verdicts are kept in a
table (on disk between processes, see ``table_cache``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import PhoneNumberType

from huiliu.quality.rules.arrays import (
    ArrayLike,
    as_arrow_strings,
    decimal_number,
    fixed_width_columns,
    null_mask,
    to_numpy_bool,
)
from huiliu.quality.rules.table_cache import cached_arrays

COUNTRY_CODE = 86
NATIONAL_LENGTH = 11
PREFIX_DIGITS = 5
_REST = 10 ** (NATIONAL_LENGTH - PREFIX_DIGITS)
_FIRST_PREFIX = 10 ** (PREFIX_DIGITS - 1)
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


def normalise_mobiles(values: ArrayLike) -> pa.Array:
    """Strip spaces, dashes and a ``+86``/``0086``/``86`` prefix in front of an 11-digit ``1…`` number."""
    compact = pc.replace_substring_regex(as_arrow_strings(values), r"[\s\-]+", "")
    return pc.replace_substring_regex(compact, r"^(?:\+|00)?86(1\d{10})$", r"\1")


def prefix_is_mobile(prefix: int) -> bool:
    """Whether phonenumbers assigns the 5-digit prefix (e.g. 13800) to mainland mobile service."""
    number = phonenumbers.PhoneNumber(country_code=COUNTRY_CODE, national_number=prefix * _REST)
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in _MOBILE_TYPES


@cache
def mobile_prefix_table() -> npt.NDArray[np.bool_]:
    """``table[prefix - 10000]``: the verdict for every 5-digit prefix starting with 1 (cached on disk)."""

    def build() -> dict[str, npt.NDArray[Any]]:
        prefixes = range(_FIRST_PREFIX, 2 * _FIRST_PREFIX)
        return {"mobile": np.array([prefix_is_mobile(p) for p in prefixes], dtype=bool)}

    name = f"cn-mobile-prefixes-phonenumbers-{phonenumbers.__version__}"
    return cached_arrays(name, build, ("mobile",))["mobile"]


def _prefixes_are_mobile(prefixes: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Verdicts for 5-digit prefixes starting with 1."""
    verdicts: npt.NDArray[np.bool_] = mobile_prefix_table()[prefixes - _FIRST_PREFIX]
    return verdicts


def _plain_numbers(strings: pa.Array) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.int64]]:
    """Positions and values of the entries that are exactly 11 ASCII digits starting with 1."""
    rows, columns = fixed_width_columns(strings, NATIONAL_LENGTH)
    digits = columns - np.uint8(ord("0"))
    plain = (digits <= 9).all(axis=0) & (digits[0] == 1)
    return rows[plain], decimal_number(digits[:, plain])


def national_numbers(values: ArrayLike) -> npt.NDArray[np.int64]:
    """The 11-digit national number of each value after normalising, or -1 when there is none."""
    strings = as_arrow_strings(values)
    numbers = np.full(len(strings), -1, dtype=np.int64)
    rows, plain = _plain_numbers(strings)
    numbers[rows] = plain
    rest = numbers < 0
    rest[null_mask(strings)] = False
    if rest.any():
        normalised = normalise_mobiles(strings.filter(pa.array(rest)))
        shaped = to_numpy_bool(pc.match_substring_regex(normalised, r"^1\d{10}$"), null_as=False)
        found = pc.cast(normalised.filter(pa.array(shaped)), pa.int64()).to_numpy()
        numbers[np.flatnonzero(rest)[shaped]] = found
    return numbers


def valid_cn_mobiles(values: ArrayLike) -> npt.NDArray[np.bool_]:
    """Which values are mainland mobile numbers (nulls count as valid).

    Args:
        values: the phone column (strings, or integers).

    Returns:
        A bool array, True for mobile numbers and nulls.
    """
    numbers = national_numbers(values)
    valid = null_mask(as_arrow_strings(values))
    found = np.flatnonzero(numbers >= 0)
    valid[found] = _prefixes_are_mobile(numbers[found] // _REST)
    return valid


_FIXED_LINE_TYPES = frozenset({PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


def _is_fixed_line(value: str) -> bool:
    """Whether phonenumbers reads the text as a valid mainland fixed-line number (area code + number)."""
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return False
    return (
        number.country_code == COUNTRY_CODE
        and phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number) in _FIXED_LINE_TYPES
    )


def valid_cn_phones(values: ArrayLike) -> npt.NDArray[np.bool_]:
    """Which values are mainland mobile numbers or fixed-line numbers with their area code.

    Mobiles are checked vectorised (:func:`valid_cn_mobiles`); the rest are asked of phonenumbers
    once per distinct value, e.g. 0851-85551234, (010)12345678, +86 21 6234 5678. Nulls are valid.
    """
    valid = valid_cn_mobiles(values)
    strings = as_arrow_strings(values)
    rest = np.flatnonzero(~valid)
    if not len(rest):
        return valid
    texts = strings.take(pa.array(rest)).to_pylist()
    verdicts = {text: _is_fixed_line(text) for text in set(texts)}
    valid[rest] = np.fromiter((verdicts[t] for t in texts), dtype=bool, count=len(texts))
    return valid
