"""Identifiers, generated vectorised: resident ID numbers, mobiles, bank cards, credit codes.

Resident ID numbers follow GB 11643-1999: 6-digit region code, 8-digit birth date, 3-digit
sequence (odd for men) and an ISO 7064 MOD 11-2 check character. The region code is that of the
district that issued the number, which may have been created after its holder's birth (观山湖区
520115, from 2012, issues numbers to people born in the 1950s), so every generated number is valid
under :mod:`huiliu.identity.resident_id`, not necessarily under ``stdnum.cn.ric.validate``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
from stdnum.cn import uscc as stdnum_uscc

from huiliu.city.vocab import BANK_BINS, MOBILE_PREFIXES
from huiliu.divisions import reference
from huiliu.identity.resident_id import FIRST_YEAR as FIRST_YEAR
from huiliu.identity.resident_id import ID_CHECK_CHARS, ID_WEIGHTS, issuable_table, region_table

_ID_CHECK_BYTES = np.frombuffer(ID_CHECK_CHARS.encode(), dtype=np.uint8)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def digit_matrix(values: npt.NDArray[np.integer[Any]], width: int) -> npt.NDArray[np.int64]:
    """Split non-negative integers into a ``(n, width)`` matrix of decimal digits, most significant first."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values.astype(np.int64)[:, None] // powers) % 10


def ascii_rows_to_str(codes: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.str_]:
    """Turn a ``(n, w)`` matrix of ASCII codes into an array of ``n`` strings of width ``w``."""
    width = codes.shape[1]
    raw = np.ascontiguousarray(codes, dtype=np.uint8).view(f"S{width}").ravel()
    return raw.astype(f"U{width}")


def split_dates(
    dates: npt.NDArray[np.datetime64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Year, month and day arrays of a ``datetime64[D]`` array."""
    days = dates.astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (days - months).astype(np.int64) + 1
    return year, month, day


def resident_ids(
    region: npt.NDArray[np.integer[Any]],
    birth: npt.NDArray[np.datetime64],
    sequence: npt.NDArray[np.integer[Any]],
) -> npt.NDArray[np.str_]:
    """Valid 18-character resident ID numbers.

    Args:
        region: 6-digit region codes as integers.
        birth: birth dates (``datetime64[D]``).
        sequence: 3-digit sequence numbers, odd for men and even for women.

    Returns:
        An array of ID number strings.
    """
    year, month, day = split_dates(birth)
    body = np.concatenate(
        [
            digit_matrix(region, 6),
            digit_matrix(year, 4),
            digit_matrix(month, 2),
            digit_matrix(day, 2),
            digit_matrix(sequence, 3),
        ],
        axis=1,
    )
    check = _ID_CHECK_BYTES[(body * ID_WEIGHTS).sum(axis=1) % 11]
    codes = np.empty((len(region), 18), dtype=np.uint8)
    codes[:, :17] = body + ord("0")
    codes[:, 17] = check
    return ascii_rows_to_str(codes)


def id_check_char(body: str) -> str:
    """The check character of the first 17 digits of an ID number."""
    total = sum(int(c) * int(w) for c, w in zip(body[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def corrupt_id(number: str, shift: int) -> str:
    """The same ID number with a wrong check character (``shift`` in 1..10 picks which)."""
    right = ID_CHECK_CHARS.index(id_check_char(number))
    return number[:17] + ID_CHECK_CHARS[(right + shift) % 11]


def mobiles(rng: np.random.Generator, n: int) -> npt.NDArray[np.str_]:
    """``n`` mobile numbers: a real ``1[3-9]x`` prefix and 8 random digits."""
    prefixes = np.array(MOBILE_PREFIXES, dtype=np.int64)[rng.integers(0, len(MOBILE_PREFIXES), n)]
    return (prefixes * 100_000_000 + rng.integers(0, 100_000_000, n)).astype("U11")


def luhn_check_digits(payload: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Luhn check digits of a ``(n, L)`` digit matrix (the digits before the check digit)."""
    doubled = payload[:, ::-1].copy()
    doubled[:, 0::2] *= 2
    doubled[doubled > 9] -= 9
    check: npt.NDArray[np.int64] = (10 - doubled.sum(axis=1) % 10) % 10  # numpy types sum(axis=…) as Any
    return check


def bank_cards(rng: np.random.Generator, n: int) -> npt.NDArray[np.str_]:
    """``n`` Luhn-valid debit card numbers of 16 to 19 digits with real Chinese bank prefixes."""
    out = np.empty(n, dtype="U19")
    choice = rng.integers(0, len(BANK_BINS), n)
    for index, (bin_code, length) in enumerate(BANK_BINS):
        rows = np.flatnonzero(choice == index)
        if len(rows) == 0:
            continue
        prefix = np.tile(np.array([int(c) for c in bin_code], dtype=np.int64), (len(rows), 1))
        account = rng.integers(0, 10, (len(rows), length - 7))
        payload = np.concatenate([prefix, account], axis=1)
        digits = np.concatenate([payload, luhn_check_digits(payload)[:, None]], axis=1)
        out[rows] = ascii_rows_to_str(digits + ord("0"))
    return out


def _org_code(body: str) -> str:
    """An organisation code (GB 11714): 8 characters and their check character."""
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def uscc(rng: np.random.Generator, region: str, kind: str, new_style: bool) -> str:
    """A valid unified social credit code (GB 32100-2015).

    Args:
        rng: random stream.
        region: 6-digit registration region code.
        kind: entity type after the registration authority 9: ``1`` enterprise, ``2`` sole trader,
            ``3`` farmers' cooperative.
        new_style: True for codes issued since 2015 (organisation code starting ``MA``).

    Returns:
        The 18-character code.
    """
    if new_style:
        body = "MA" + "".join(_USCC_ALPHABET[i] for i in rng.integers(0, len(_USCC_ALPHABET), 6))
    else:
        body = "".join(str(d) for d in rng.integers(0, 10, 8))
    head = f"9{kind}{region}{_org_code(body)}"
    return head + stdnum_uscc.calc_check_digit(head + "0")


def corrupt_uscc(code: str, shift: int) -> str:
    """The same credit code with a wrong check character."""
    right = _USCC_ALPHABET.index(code[-1])
    return code[:-1] + _USCC_ALPHABET[(right + shift) % len(_USCC_ALPHABET)]


@lru_cache(maxsize=4)
def issuing_regions(through_year: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Region codes that can be on ID numbers, and for each the birth years it can be issued for.

    Args:
        through_year: the last year of issue (the year the city describes).

    Returns:
        ``(codes, issuable)``: an int array of 6-digit codes that are in the division tables and
        python-stdnum's table, and a bool matrix ``issuable[code_index, year - FIRST_YEAR]``: the
        code was in use in that birth year or any later one up to ``through_year``.
    """
    codes, _ = region_table()
    keep = np.isin(codes, np.array(sorted(int(c) for c in reference.all_region_codes()), dtype=np.int64))
    return codes[keep], issuable_table(through_year)[keep]
