"""Resident ID numbers (公民身份号码, GB 11643-1999), checked vectorised.

An ID number is a 6-digit region code, an 8-digit birth date, a 3-digit sequence (odd for men) and
an ISO 7064 MOD 11-2 check character (``0``-``9`` or an uppercase ``X``). What makes one valid is the
rule of :mod:`huiliu.identity.resident_id`, here applied to whole columns with the ``as_of`` day as
today: the region code is where the number was issued, so it must have been in use at some time
from the birth year up to the ``as_of`` year (南明区 520102, in stdnum's table from 1983, is accepted
for someone born in 1950; 崇文区 110103, abolished in 2010, is refused for someone born in 2012), and
the birth date must be a real day, not after ``as_of`` and not more than 120 years before it. Values
here must be written exactly: no spaces or dashes, no lower-case x.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from huiliu.identity.resident_id import (
    FOREIGN_PERMANENT_RESIDENCE,
    ID_CHECK_CHARS,
    ID_LENGTH,
    ID_WEIGHTS,
    LEGACY_LENGTH,
    earliest_birth_date,
    plausible_legacy_id,
    regions_issued,
)
from huiliu.identity.resident_id import load_region_tables as load_region_tables
from huiliu.identity.resident_id import region_table as region_table
from huiliu.quality.rules.arrays import (
    ArrayLike,
    as_arrow,
    as_arrow_strings,
    decimal_number,
    fixed_width_columns,
    null_mask,
    scatter,
    starts_with_any,
    to_numpy_bool,
    weighted_sum,
)
from huiliu.quality.rules.timestamps import as_of_date, wall_clock_times

REASONS = ("length", "format", "checksum", "birth_date", "region", "outside_city")
FIRST_GENERATION = "first_generation"
"""The reason given instead of ``length`` for a first-generation 15-digit number as issued."""
_CHECK_BYTES = np.frombuffer(ID_CHECK_CHARS.encode(), dtype=np.uint8)
_ZERO = ord("0")
_X = ord("X")
GENDER_LABELS = {"男": 1, "女": 2, "m": 1, "f": 2, "male": 1, "female": 2, "1": 1, "2": 2}
_GENDER_CODES = np.array(list(GENDER_LABELS.values()), dtype=np.int8)
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _day_number(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def _birth_parts(
    digits: npt.NDArray[np.uint8],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Year, month, day of digit columns and whether they form a real calendar date."""
    year = decimal_number(digits[6:10])
    month = decimal_number(digits[10:12])
    day = decimal_number(digits[12:14])
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _MONTH_DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    real = (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    return year, month, day, real


def _parse(
    columns: npt.NDArray[np.uint8],
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Digits (non-digits zeroed), format flags and checksum flags of 18-byte values' byte columns."""
    raw = columns[:17] - np.uint8(_ZERO)
    is_digit = raw <= 9
    last = columns[17]
    well_formed = is_digit.all(axis=0) & (((last >= _ZERO) & (last <= _ZERO + 9)) | (last == _X))
    digits = np.where(is_digit, raw, np.uint8(0))
    checksum = last == _CHECK_BYTES[weighted_sum(digits, ID_WEIGHTS) % 11]
    return digits, well_formed, checksum


@dataclass(frozen=True)
class _ParsedIds:
    """The 18-byte values of one string array, split into the parts every ID check reads."""

    length: int
    rows: npt.NDArray[np.intp]  # positions of the 18-byte values
    columns: npt.NDArray[np.uint8]  # their bytes, one row per character position
    digits: npt.NDArray[np.uint8]
    well_formed: npt.NDArray[np.bool_]
    checksum: npt.NDArray[np.bool_]
    year: npt.NDArray[np.int64]
    month: npt.NDArray[np.int64]
    day: npt.NDArray[np.int64]
    real: npt.NDArray[np.bool_]  # the birth digits form a calendar date


class _LastParsed:
    """The last array parsed, kept so that the suite's several ID expectations over one column
    parse it once. The array is held, so its buffers cannot be freed and their addresses reused:
    an array with the same type, length, offset and buffer addresses holds the same values."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entry: tuple[pa.Array, tuple[object, ...], _ParsedIds] | None = None

    @staticmethod
    def _identity(strings: pa.Array) -> tuple[object, ...]:
        addresses = tuple(b.address if b is not None else None for b in strings.buffers())
        return (str(strings.type), len(strings), strings.offset, addresses)

    def get(self, strings: pa.Array) -> _ParsedIds:
        identity = self._identity(strings)
        with self._lock:
            if self._entry is not None and self._entry[1] == identity:
                return self._entry[2]
        parsed = _parse_ids(strings)
        with self._lock:
            self._entry = (strings, identity, parsed)
        return parsed


def _parse_ids(strings: pa.Array) -> _ParsedIds:
    rows, columns = fixed_width_columns(strings, ID_LENGTH)
    digits, well_formed, checksum = _parse(columns)
    year, month, day, real = _birth_parts(digits)
    return _ParsedIds(len(strings), rows, columns, digits, well_formed, checksum, year, month, day, real)


_last_parsed = _LastParsed()


def _code_checks(ids: _ParsedIds, as_of: date, region_prefixes: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Per-rule pass flags (REASONS after ``length``, one column each) of the 18-byte values."""
    born = ids.year * 10_000 + ids.month * 100 + ids.day
    born_ok = ids.real & (born <= _day_number(as_of)) & (born >= _day_number(earliest_birth_date(as_of)))
    region = regions_issued(decimal_number(ids.digits[:6]), ids.year, as_of.year)
    inside = _issued_inside(ids.columns, region_prefixes) if region_prefixes else np.ones(len(ids.year), bool)
    return np.column_stack([ids.well_formed, ids.checksum, born_ok, region, inside])


def _issued_inside(columns: npt.NDArray[np.uint8], region_prefixes: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Which numbers were issued inside the prefixes: their region code starts with one, or, for a
    foreign permanent resident ID (``9`` and the issuing province), its province is a prefix's."""
    foreign: npt.NDArray[np.bool_] = columns[0] == ord(str(FOREIGN_PERMANENT_RESIDENCE))
    provinces = sorted({p[:2] for p in region_prefixes if len(p) >= 2})
    return starts_with_any(columns, region_prefixes) | (foreign & starts_with_any(columns[1:], provinces))


def _rule_checks(
    values: ArrayLike, as_of: date, region_prefixes: Sequence[str]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """``(nulls, passes)``: null flags and an ``(n, len(REASONS))`` matrix of per-rule pass flags."""
    strings = as_arrow_strings(values)
    nulls = null_mask(strings)
    passes = np.zeros((len(strings), len(REASONS)), dtype=bool)
    passes[:, 0] = to_numpy_bool(pc.equal(pc.utf8_length(strings), ID_LENGTH), null_as=False)
    ids = _last_parsed.get(strings)
    passes[ids.rows, 1:] = _code_checks(ids, as_of, tuple(region_prefixes))
    return nulls, passes


def valid_resident_ids(
    values: ArrayLike, *, as_of: date, region_prefixes: Sequence[str] = ()
) -> npt.NDArray[np.bool_]:
    """Which values are valid resident ID numbers (nulls count as valid).

    Args:
        values: the ID column.
        as_of: the day the data describes; birth dates must not be after it nor more than
            120 years before it.
        region_prefixes: when given, the region code must start with one of them (e.g. ``["5201"]``
            for people registered in 贵阳市).

    Returns:
        A bool array, True for valid IDs and nulls.
    """
    nulls, passes = _rule_checks(values, as_of, region_prefixes)
    return nulls | passes.all(axis=1)


def resident_id_reasons(
    values: ArrayLike, *, as_of: date, region_prefixes: Sequence[str] = ()
) -> npt.NDArray[np.object_]:
    """The first rule each value fails (one of REASONS), or None for valid values and nulls.

    A 15-digit number that is a first-generation ID as issued (GB 11643-1989, see
    :func:`~huiliu.identity.resident_id.plausible_legacy_id`) fails ``length`` as
    :data:`FIRST_GENERATION`: the holder has an 18-digit number to ask for.
    """
    nulls, passes = _rule_checks(values, as_of, region_prefixes)
    failing = ~passes
    first = np.argmax(failing, axis=1)
    reasons: npt.NDArray[np.object_] = np.array(REASONS, dtype=object)[first]
    reasons[nulls | ~failing.any(axis=1)] = None
    strings = as_arrow_strings(values)
    legacy_length = to_numpy_bool(pc.equal(pc.utf8_length(strings), LEGACY_LENGTH), null_as=False)
    short = np.flatnonzero((reasons == "length") & legacy_length)
    for row, text in zip(short.tolist(), strings.take(pa.array(short)).to_pylist(), strict=True):
        if plausible_legacy_id(text, as_of):
            reasons[row] = FIRST_GENERATION
    return reasons


def explain_resident_id(
    value: str | None, *, as_of: date | None = None, region_prefixes: Sequence[str] = ()
) -> str | None:
    """Why one value is not a valid resident ID (a REASONS code), or None when it is valid.

    Args:
        value: the ID number.
        as_of: the day the data describes; today in Asia/Shanghai when omitted.
        region_prefixes: as for ``valid_resident_ids``.
    """
    day = as_of if as_of is not None else as_of_date(None)
    reason: str | None = resident_id_reasons([value], as_of=day, region_prefixes=region_prefixes)[0]
    return reason


def _structure(
    values: ArrayLike,
) -> tuple[
    int, npt.NDArray[np.intp], npt.NDArray[np.uint8], npt.NDArray[np.bool_], npt.NDArray[np.datetime64]
]:
    """Length, positions, digit columns, soundness flags and birth dates of the 18-byte values."""
    ids = _last_parsed.get(as_arrow_strings(values))
    months = ((ids.year - 1970) * 12 + np.clip(ids.month, 1, 12) - 1).astype("datetime64[M]")
    birth = months.astype("datetime64[D]") + np.where(ids.real, ids.day - 1, 0).astype("timedelta64[D]")
    return ids.length, ids.rows, ids.digits, ids.well_formed & ids.checksum & ids.real, birth


def structurally_valid_ids(values: ArrayLike) -> npt.NDArray[np.bool_]:
    """True for IDs of the right length and format, with a correct check character and a real birth date.

    These are the checks that do not depend on the day of validation or on the region; nulls are False.
    """
    n, rows, _, sound, _ = _structure(values)
    return scatter(n, rows, sound, False)


def birth_dates_from_ids(values: ArrayLike) -> npt.NDArray[np.datetime64]:
    """Birth dates (``datetime64[D]``) encoded in ID numbers; NaT where the ID is not structurally valid."""
    n, rows, _, sound, birth = _structure(values)
    return scatter(n, rows, np.where(sound, birth, np.datetime64("NaT", "D")), np.datetime64("NaT", "D"))


def _gender_codes_from_ids(values: ArrayLike) -> npt.NDArray[np.int8]:
    """1 (male) or 2 (female) from the 17th digit; 0 where the ID is not structurally valid."""
    n, rows, digits, sound, _ = _structure(values)
    codes = np.where(sound, 2 - digits[16] % 2, 0).astype(np.int8)
    return scatter(n, rows, codes, np.int8(0))


def genders_from_ids(values: ArrayLike) -> npt.NDArray[np.object_]:
    """``男`` where the 17th digit is odd, ``女`` where even; None where the ID is not structurally valid."""
    return np.array([None, "男", "女"], dtype=object)[_gender_codes_from_ids(values)]


def gender_codes(values: ArrayLike) -> npt.NDArray[np.int8]:
    """Gender labels as codes: 1 male, 2 female, 0 unrecognised or null.

    Recognised (ignoring case and surrounding spaces): ``男``/``女``, ``M``/``F``, ``male``/``female``
    and the GB/T 2261.1 codes ``1``/``2``.
    """
    strings = pc.utf8_lower(pc.utf8_trim_whitespace(as_arrow_strings(values)))
    position = pc.index_in(strings, value_set=pa.array(list(GENDER_LABELS), type=strings.type))
    position = pc.fill_null(position, -1).to_numpy(zero_copy_only=False)
    return np.where(position >= 0, _GENDER_CODES[position], 0).astype(np.int8)


def ids_match_genders(ids: ArrayLike, genders: ArrayLike) -> npt.NDArray[np.bool_]:
    """True where the gender label agrees with the ID, the ID is not structurally valid, or either is null.

    An unrecognised label disagrees.
    """
    labels = as_arrow_strings(genders)
    from_ids = _gender_codes_from_ids(ids)
    agree: npt.NDArray[np.bool_] = (from_ids == 0) | null_mask(labels) | (from_ids == gender_codes(labels))
    return agree


def ids_match_birth_dates(ids: ArrayLike, birth_dates: ArrayLike) -> npt.NDArray[np.bool_]:
    """True where the birth date agrees with the ID, the ID is not structurally valid, or either is null.

    Birth dates may be dates, timestamps (their Shanghai calendar day counts) or ISO 8601 strings;
    an unreadable string disagrees.
    """
    given = as_arrow(birth_dates)
    from_ids = birth_dates_from_ids(ids)
    days = wall_clock_times(given)[0].astype("datetime64[D]")
    agree: npt.NDArray[np.bool_] = np.isnat(from_ids) | null_mask(given) | (from_ids == days)
    return agree


def dates_not_before_births(ids: ArrayLike, dates: ArrayLike) -> npt.NDArray[np.bool_]:
    """True where the date is on or after the birth date in the ID, the ID is not structurally
    valid, or either is null: nothing happens to a person before they are born.

    Dates may be dates, timestamps (their Shanghai calendar day counts) or ISO 8601 strings; an
    unreadable string fails.
    """
    given = as_arrow(dates)
    from_ids = birth_dates_from_ids(ids)
    days = wall_clock_times(given)[0].astype("datetime64[D]")
    return np.isnat(from_ids) | null_mask(given) | (days >= from_ids)
