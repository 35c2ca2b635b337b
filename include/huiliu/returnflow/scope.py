"""Row scope: which granted unit each row belongs to, one tier at a time.

A unit receives the rows of its own subtree: a row's unit code (the contract's ``returns.unit_column``)
starts with the unit's code. Units of one tier never overlap, so per tier every row belongs to at most
one unit; a row belongs to no unit of a tier when its code's prefix is not a granted unit there (or is
not a code at all). Partitioning a batch by that key is what lets one pass serve every unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huiliu.arrow_text import is_plain_text
from huiliu.contracts.model import UNIT_CODE_DIGITS


@dataclass(frozen=True, kw_only=True)
class TierScope:
    """The granted units of one tier (all codes of one length)."""

    level: str
    units: frozenset[str]

    @property
    def digits(self) -> int:
        return UNIT_CODE_DIGITS[self.level]

    def keys(self, codes: pa.Array | pa.ChunkedArray, row_level: str) -> pa.Array:
        """Per row, the granted unit of this tier whose subtree holds it, or null.

        Args:
            codes: the rows' unit codes.
            row_level: the level of those codes (``returns.unit_level``); a code that is not
                exactly a code of that level (its digits, its length) belongs to no unit.
        """
        codes = codes.combine_chunks() if isinstance(codes, pa.ChunkedArray) else codes
        encoded = codes if pa.types.is_dictionary(codes.type) else pc.dictionary_encode(codes)
        return self._units_of(encoded.dictionary, row_level).take(encoded.indices)

    def _units_of(self, distinct: pa.Array, row_level: str) -> pa.Array:
        """Per distinct code (a few hundred, judged once each), its granted unit of this tier, or null."""
        if not is_plain_text(distinct.type):
            distinct = distinct.cast(pa.string())
        well_formed = pc.match_substring_regex(distinct, rf"^\d{{{UNIT_CODE_DIGITS[row_level]}}}$")
        prefix = pc.utf8_slice_codeunits(distinct, 0, self.digits)
        inside = pc.and_(well_formed, pc.is_in(prefix, value_set=pa.array(sorted(self.units), pa.string())))
        return pc.if_else(pc.fill_null(inside, False), prefix, pa.scalar(None, pa.string())).cast(pa.string())


def tiers(units: Iterable[tuple[str, str]]) -> list[TierScope]:
    """The granted units grouped by tier, from ``(unit_code, level)`` pairs; coarsest tier first."""
    by_level: dict[str, set[str]] = {}
    for code, level in units:
        if len(code) != UNIT_CODE_DIGITS[level] or not code.isdigit():
            raise ValueError(f"unit code {code!r} is not a {level} code")
        by_level.setdefault(level, set()).add(code)
    return [
        TierScope(level=level, units=frozenset(codes))
        for level, codes in sorted(by_level.items(), key=lambda item: UNIT_CODE_DIGITS[item[0]])
    ]


@dataclass(frozen=True, kw_only=True)
class UnitRuns:
    """A batch's kept rows grouped by unit: ``positions[starts[i]:starts[i + 1]]`` are ``units[i]``'s rows.

    Within a unit, rows keep their order in the batch.
    """

    positions: np.ndarray
    units: tuple[str, ...]
    starts: np.ndarray

    def __iter__(self) -> Iterator[tuple[str, np.ndarray]]:
        """Each unit with the positions of its rows."""
        for index, unit in enumerate(self.units):
            offset, count = self.rows_of(index)
            yield unit, self.positions[offset : offset + count]

    def rows_of(self, index: int) -> tuple[int, int]:
        """Where unit ``index``'s rows lie in :attr:`positions`: (offset, count)."""
        return int(self.starts[index]), int(self.starts[index + 1] - self.starts[index])


def partition(keys: pa.Array, keep: np.ndarray) -> UnitRuns:
    """The kept rows of a batch grouped by unit (``keep``: rows that may go out at all)."""
    present = pc.fill_null(pc.is_valid(keys), False).to_numpy(zero_copy_only=False) & keep
    positions = np.flatnonzero(present)
    if not len(positions):
        return UnitRuns(positions=positions, units=(), starts=np.zeros(1, dtype=np.int64))
    encoded = pc.dictionary_encode(keys.take(pa.array(positions)))
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")
    grouped = codes[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    names = encoded.dictionary.to_pylist()
    return UnitRuns(
        positions=positions[order],
        units=tuple(str(names[c]) for c in grouped[starts]),
        starts=np.r_[starts, len(order)].astype(np.int64),
    )
