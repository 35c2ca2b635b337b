"""Generalisation ladders: each step makes a column coarser, and the policy's `generalize` takes the first.

Birth date → year → 5-year band → decade; age → 5, 10, 20-year bands; address → community →
street; amount → 100, 500, 1000 元 bands. Each step is Arrow kernels over the previous step's
output (so the re-identification guard can climb further), nulls stay null, and a value a step
cannot read becomes null rather than pass through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from huiliu.arrow_text import is_plain_text

Values: TypeAlias = pa.Array | pa.ChunkedArray


@dataclass(frozen=True, kw_only=True)
class Generalisation:
    """One step of a ladder: what it makes of the previous step's values, in both languages."""

    entity_type: str
    level: int
    apply: Callable[[Values], Values]
    label_zh: str
    label_en: str


_YEAR = r"^\s*(?P<year>(?:1[89]|20)\d\d)"
_BAND_START = r"^(?P<start>-?\d+)-"


def _combined(values: Values) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def birth_year(values: Values) -> Values:
    """Dates and timestamps to their year; text to the year it starts with (1990-03-07, 1990年…)."""
    if pa.types.is_temporal(values.type) and not pa.types.is_time(values.type):
        return pc.cast(pc.year(values), pa.int32())
    if is_plain_text(values.type):
        years = pc.struct_field(pc.extract_regex(_combined(values), _YEAR), "year")
        return pc.cast(years, pa.int32())
    return pa.nulls(len(values), pa.int32())


def _whole_numbers(values: Values) -> Values:
    """Numbers (or digit-only text) as int64, rounded down; anything else null."""
    if is_plain_text(values.type):
        text = pc.utf8_trim_whitespace(_combined(values))
        digits = pc.if_else(pc.match_substring_regex(text, r"^-?\d{1,15}(\.\d+)?$"), text, None)
        values = pc.cast(digits, pa.float64())
    elif pa.types.is_decimal(values.type):
        values = pc.cast(values, pa.float64())
    if pa.types.is_floating(values.type):
        values = pc.floor(values)
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)):
        return pa.nulls(len(values), pa.int64())
    return pc.cast(values, pa.int64())


def _band_of(numbers: Values, width: int) -> Values:
    """Whole numbers as the band of ``width`` holding them: 63 → "60-64" for width 5."""
    start = pc.multiply(pc.floor(pc.divide(pc.cast(numbers, pa.float64()), width)), width)
    start = pc.cast(start, pa.int64())
    end = pc.add(start, width - 1)
    return pc.binary_join_element_wise(pc.cast(start, pa.string()), pc.cast(end, pa.string()), "-")


def _band_starts(bands: Values) -> Values:
    """The first number of each band label ("60-64" → 60)."""
    text = pc.cast(_combined(bands), pa.string())
    return pc.cast(pc.struct_field(pc.extract_regex(text, _BAND_START), "start"), pa.int64())


def banded(width: int) -> Callable[[Values], Values]:
    """A step from numbers to bands of ``width``."""
    return lambda values: _band_of(_whole_numbers(values), width)


def rebanded(width: int) -> Callable[[Values], Values]:
    """A step from bands to wider bands of ``width`` (a multiple of the previous width)."""
    return lambda bands: _band_of(_band_starts(bands), width)


def _year_band(width: int) -> Callable[[Values], Values]:
    """Years (or year bands) to bands of ``width`` years."""

    def step(values: Values) -> Values:
        if pa.types.is_integer(values.type):
            return _band_of(values, width)
        return _band_of(_band_starts(values), width)

    return step


_COMMUNITY = r"^(?P<unit>.*?(?:社区|居委会|村委会))"
_VILLAGE = r"^(?P<unit>.*?村)"
_STREET = r"^(?P<unit>.*?(?:街道|镇|乡))"


def _cut(values: Values, *patterns: str) -> Values:
    """Each address up to the end of the first pattern that matches it; null when none does."""
    text = pc.cast(_combined(values), pa.string())
    cuts = [pc.struct_field(pc.extract_regex(text, p), "unit") for p in patterns]
    return pc.coalesce(*cuts) if len(cuts) > 1 else cuts[0]


def address_community(values: Values) -> Values:
    """An address down to its community (社区, 居委会, 村委会, else 村), without what follows."""
    return _cut(values, _COMMUNITY, _VILLAGE)


def address_street(values: Values) -> Values:
    """An address (or community) down to its street office or town (街道, 镇, 乡)."""
    return _cut(values, _STREET)


LADDERS: dict[str, tuple[Generalisation, ...]] = {
    "DATE_OF_BIRTH": (
        Generalisation(
            entity_type="DATE_OF_BIRTH", level=1, apply=birth_year, label_zh="出生年份", label_en="birth year"
        ),
        Generalisation(
            entity_type="DATE_OF_BIRTH",
            level=2,
            apply=_year_band(5),
            label_zh="出生年份（5 年段）",
            label_en="5-year band of birth years",
        ),
        Generalisation(
            entity_type="DATE_OF_BIRTH",
            level=3,
            apply=_year_band(10),
            label_zh="出生年代",
            label_en="decade of birth",
        ),
    ),
    "AGE": tuple(
        Generalisation(
            entity_type="AGE",
            level=level,
            apply=banded(width) if level == 1 else rebanded(width),
            label_zh=f"年龄段（{width} 岁）",
            label_en=f"{width}-year age band",
        )
        for level, width in ((1, 5), (2, 10), (3, 20))
    ),
    "ADDRESS": (
        Generalisation(
            entity_type="ADDRESS", level=1, apply=address_community, label_zh="所在社区", label_en="community"
        ),
        Generalisation(
            entity_type="ADDRESS", level=2, apply=address_street, label_zh="所在街道", label_en="street"
        ),
    ),
    "FINANCIAL": tuple(
        Generalisation(
            entity_type="FINANCIAL",
            level=level,
            apply=banded(width) if level == 1 else rebanded(width),
            label_zh=f"金额区间（{width} 元）",
            label_en=f"{width} yuan amount band",
        )
        for level, width in ((1, 100), (2, 500), (3, 1000))
    ),
}
"""Entity type → its ladder, first (finest) step first."""


def generalise(values: Values, entity_type: str, level: int = 1) -> Values:
    """``values`` taken ``level`` steps along the entity type's ladder."""
    for step in LADDERS[entity_type][:level]:
        values = step.apply(values)
    return values
