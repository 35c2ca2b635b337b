"""Rows grouped by their integer codes: combinations numbered densely, and counts per unit and value.

A combination of several coded columns is one key in mixed radix (each column's code times the
product of the cardinalities after it). A key whose span is narrow is counted directly; a wider one
is renumbered over the keys present, through a lookup table or, wider still, a hash table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from huiliu.policy.codes import Codes, renumbering
from huiliu.row_passes import looked_up, mark_present, numbered_combinations, pair_counts

DIRECT_KEYS = 1 << 22
"""Group keys below this span are counted directly; wider ones are compacted first."""
LOOKUP_SPAN = 1 << 25
"""Keys below this span are compacted through a lookup table; wider ones are hashed (pandas)."""
LOOKUP_PER_ROW = 4
"""Nor above this many times the number of keys: a sparse lookup table costs more than hashing
(a few keys, which pandas' hash table holds in cache, are hashed whatever their span)."""
UnitCounts = npt.NDArray[np.int32]
"""Rows per unit (row) and code (column), in 32-bit counts."""


def compact(key: npt.NDArray[np.int64], span: int) -> tuple[npt.NDArray[np.int64], int]:
    """The keys renumbered 0..n-1 over the values present, and n."""
    if span <= min(LOOKUP_SPAN, LOOKUP_PER_ROW * len(key)):
        present = np.zeros(span, dtype=bool)
        mark_present(key, 0, present)
        renumber = renumbering(present)
        return looked_up(renumber, key).astype(np.int64), int(renumber[-1]) + 1 if span else 0
    dense, uniques = pd.factorize(key, sort=False)
    return dense.astype(np.int64), len(uniques)


def dense(
    lead: Codes, columns: Sequence[Codes], cardinalities: Sequence[int]
) -> tuple[npt.NDArray[np.int64], int]:
    """Each row's combination of ``lead`` (its unit, or a column whose value always lies in one
    unit) and codes, numbered 0..n-1 over the combinations present; n.

    The codes are combined in mixed radix, compacted whenever the key grows wide, the widest column
    first: that is usually the unit's own column (a unit holds few of its values), so the unit and
    it combine into few keys and the key stays narrow enough for a lookup table, not a hash.
    """
    key = lead.astype(np.int64)
    span = int(key.max(initial=0)) + 1
    for i in sorted(range(len(columns)), key=lambda i: -cardinalities[i]):
        if span * cardinalities[i] >= DIRECT_KEYS:
            key, span = compact(key, span)
        key *= cardinalities[i]
        key += columns[i]
        span *= cardinalities[i]
    return compact(key, int(key.max(initial=-1)) + 1)


def representatives(groups: npt.NDArray[np.integer], count: int) -> npt.NDArray[np.int64]:
    """One member of each group (any: the members of a group share its unit and codes)."""
    member = np.zeros(count, dtype=np.int64)
    member[groups] = np.arange(len(groups), dtype=np.int64)
    return member


def counted(
    columns: Sequence[Codes], cardinalities: Sequence[int]
) -> tuple[Codes, list[Codes], npt.NDArray[np.int64]] | None:
    """The rows' combinations of these columns counted directly, when their key is narrow: each
    row's combination (numbered 0..n-1), and per combination its code of each column and its rows
    (None: the key spans more than :data:`DIRECT_KEYS`)."""
    span = np.prod(cardinalities, dtype=np.float64)
    if not columns or span > DIRECT_KEYS or len(columns[0]) >= 2**31:  # counted in 32-bit slots
        return None
    groups, present, rows = numbered_combinations(
        tuple(np.ascontiguousarray(c, dtype=np.int32) for c in columns),
        np.array(cardinalities, dtype=np.int64),
        int(span),
    )
    codes_of: list[Codes] = []
    left = present.astype(np.int32)
    for width in reversed(cardinalities):
        codes_of.append(left % width)
        left //= width
    return groups, codes_of[::-1], rows


def unit_counts(unit_index: Codes, codes: Codes, cardinality: int, units: int) -> UnitCounts | None:
    """Rows per unit and code, as a (units, cardinality) table (None: wider than :data:`DIRECT_KEYS`)."""
    span = units * cardinality
    if span > DIRECT_KEYS:
        return None
    return pair_counts(unit_index, codes, cardinality, span).reshape(units, cardinality)


def unit_of(counts: UnitCounts) -> Codes | None:
    """Per code, its unit, when each code's rows (``counts``: :func:`unit_counts`) lie in one unit
    (None: a code's rows lie in two)."""
    if ((counts > 0).sum(axis=0) > 1).any():
        return None
    return np.asarray(counts.argmax(axis=0), dtype=np.int32)
