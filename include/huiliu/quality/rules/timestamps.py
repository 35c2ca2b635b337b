"""Dates and timestamps against a reference time: not in the future, not older than a window.

The lake's naive timestamps are wall-clock times in Asia/Shanghai. Time-zone-aware values (and a
time-zone-aware ``as_of``) are converted to Shanghai wall time first, so every comparison is between
naive Shanghai times. Date columns are compared by calendar day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from huiliu.arrow_text import is_plain_text
from huiliu.quality.rules.arrays import ArrayLike, as_arrow, null_mask, to_numpy_bool

SHANGHAI = ZoneInfo("Asia/Shanghai")
_OFFSET_PATTERN = r"\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$"  # after a time, not a date's day


def shanghai_wall_time(moment: datetime) -> datetime:
    """A naive Shanghai wall-clock time; naive input is taken to be one already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(SHANGHAI).replace(tzinfo=None)


def as_of_datetime(value: str | date | None) -> datetime:
    """A reference time from an ISO string, a date (midnight) or a datetime, as naive Shanghai time.

    None means now.
    """
    if value is None:
        return datetime.now(SHANGHAI).replace(tzinfo=None)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return shanghai_wall_time(value)


def as_of_date(value: str | date | None) -> date:
    """The Shanghai calendar day of a reference time given as for ``as_of_datetime``."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return as_of_datetime(value).date()


def _parse_strings(strings: pa.Array) -> npt.NDArray[np.datetime64]:
    """ISO 8601 strings as naive Shanghai times (NaT where unparseable); offsets are honoured."""
    text = pd.Series(strings.to_pandas(), dtype=object)
    with_offset = to_numpy_bool(pc.match_substring_regex(strings, _OFFSET_PATTERN), null_as=False)
    naive = pd.to_datetime(text.where(~with_offset), format="ISO8601", errors="coerce")
    out: npt.NDArray[np.datetime64] = naive.to_numpy(dtype="datetime64[us]", copy=True)
    if with_offset.any():
        aware = pd.to_datetime(text[with_offset], format="ISO8601", errors="coerce", utc=True)
        out[with_offset] = aware.dt.tz_convert(SHANGHAI).dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    return out


def wall_clock_times(values: ArrayLike) -> tuple[npt.NDArray[np.datetime64], bool]:
    """Values as naive Shanghai ``datetime64[us]`` (NaT for nulls and unparseable strings).

    Returns:
        ``(times, is_date)``: the times, and whether the column holds calendar dates.
    """
    return _arrow_wall_clock_times(as_arrow(values))


def _arrow_wall_clock_times(array: pa.Array) -> tuple[npt.NDArray[np.datetime64], bool]:
    kind = array.type
    if pa.types.is_null(kind):
        return np.full(len(array), np.datetime64("NaT", "us")), False
    if pa.types.is_dictionary(kind):
        return _arrow_wall_clock_times(array.dictionary_decode())
    if pa.types.is_date(kind):
        return array.cast(pa.date32()).to_numpy(zero_copy_only=False).astype("datetime64[us]"), True
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:
            array = pc.local_timestamp(array.cast(pa.timestamp(kind.unit, "Asia/Shanghai")))
        return pc.cast(array, pa.timestamp("us"), safe=False).to_numpy(zero_copy_only=False), False
    if is_plain_text(kind):
        return _parse_strings(array), False
    raise TypeError(f"expected dates, timestamps or ISO 8601 strings, got Arrow type {kind}")


def within_window(
    values: ArrayLike,
    *,
    as_of: datetime,
    max_age_days: int | None,
    future_tolerance: timedelta = timedelta(minutes=5),
) -> npt.NDArray[np.bool_]:
    """Which values lie between ``as_of - max_age_days`` and ``as_of + future_tolerance``.

    Args:
        values: a date, timestamp or ISO 8601 string column.
        as_of: the reference time (naive means Shanghai wall time).
        max_age_days: the oldest allowed age in days; None checks only that nothing is in the future.
        future_tolerance: clock skew allowed for timestamps (dates may be as late as ``as_of``'s day).

    Returns:
        A bool array, True inside the window and for nulls; unparseable strings are False.
    """
    array = as_arrow(values)
    times, is_date = _arrow_wall_clock_times(array)
    reference = shanghai_wall_time(as_of)
    if is_date:
        latest = np.datetime64(reference.date(), "us")  # not tomorrow, even five minutes before it
        earliest = np.datetime64(reference.date() - timedelta(days=max_age_days or 0), "us")
    else:
        latest = np.datetime64(reference + future_tolerance, "us")
        earliest = np.datetime64(reference - timedelta(days=max_age_days or 0), "us")
    inside = times <= latest
    if max_age_days is not None:
        inside &= times >= earliest
    return null_mask(array) | inside


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (28 February for a 29 February that year lacks)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def not_in_future(
    values: ArrayLike, *, as_of: datetime, max_age_years: int | None = None
) -> npt.NDArray[np.bool_]:
    """Which values are not after ``as_of`` (dates may be its own day, timestamps five minutes
    ahead) and, with ``max_age_years``, not more than that many calendar years before it.

    Returns:
        A bool array, True for such values and nulls; unparseable strings are False.
    """
    reference = shanghai_wall_time(as_of)
    days = None
    if max_age_years is not None:
        days = (reference.date() - years_before(reference.date(), max_age_years)).days
    return within_window(values, as_of=reference, max_age_days=days)
