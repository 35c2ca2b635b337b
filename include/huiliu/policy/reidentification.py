"""The re-identification guard: k-anonymity (and ℓ-diversity) measured on each unit's own extract.

Rows are grouped by their unit and the values of the dataset's quasi-identifiers (birth year,
gender, ethnicity, community …); a group smaller than k, or with fewer than ℓ distinct values of
the sensitive column, is rare. The unit itself is always part of the combination: with no
quasi-identifier delivered, a unit's whole extract is one group, so a unit of fewer than k rows is
held. A unit whose rare rows exceed the policy's share is generalised one step further along the
policy's ladder and measured again; at the first step where they do not, its rare rows are
suppressed. A unit still over the share after the last step is held for a compliance
officer, who sees its rare combinations as counts, never as rows. All units are measured together,
vectorised, in one pass per ladder step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

RARE_SHOWN = 20
"""At most this many rare combinations are kept per held unit (the largest first)."""


@dataclass(frozen=True, kw_only=True)
class LadderStep:
    """One step of generalisation: a quasi-identifier column made coarser (e.g. birth year → decade)."""

    column: str
    generalise: Callable[[pa.Array], pa.Array]
    label_zh: str
    label_en: str


@dataclass(frozen=True, kw_only=True)
class GuardRule:
    """What each unit's extract must reach, and how it may get there.

    Attributes:
        k: the smallest group of rows sharing one combination of quasi-identifier values.
        l: the fewest distinct values of the sensitive column in each group (1: not measured).
        max_suppressed_share: the share of a unit's rows that may be suppressed; past it the
            unit's extract is held.
        ladder: the generalisation steps, in the order they are taken (cumulative).
    """

    k: int
    l: int = 1  # noqa: E741 - ℓ, as the literature names it
    max_suppressed_share: float
    ladder: tuple[LadderStep, ...] = ()

    def __post_init__(self) -> None:
        if self.k < 1 or self.l < 1 or not 0 <= self.max_suppressed_share <= 1:
            raise ValueError("k and l must be at least 1 and max_suppressed_share within 0..1")


@dataclass(frozen=True, kw_only=True)
class RareCombination:
    """A combination of (generalised) quasi-identifier values that is too rare, and how many rows hold it."""

    values: tuple[tuple[str, str | None], ...]
    rows: int
    distinct_sensitive: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {"values": dict(self.values), "rows": self.rows, "distinct_sensitive": self.distinct_sensitive}


@dataclass(frozen=True, kw_only=True)
class UnitVerdict:
    """The guard's verdict on one unit's extract."""

    unit: str
    rows: int
    steps: int
    """Ladder steps applied to this unit's extract (0: delivered as the policy masked it)."""
    suppressed: int
    smallest_group: int
    """The smallest group left after suppression (0 when nothing is left or the unit is held)."""
    held: bool
    rare: tuple[RareCombination, ...] = ()
    """For a held unit: its rare combinations at the last step, as counts."""
    generalised: tuple[str, ...] = ()
    """What the applied steps did, in words (``label_en`` of each)."""
    released: bool = False
    """Held, then released by a compliance officer: every step taken and every rare row suppressed."""

    def as_dict(self) -> dict[str, object]:
        return {
            "unit": self.unit,
            "rows": self.rows,
            "steps": self.steps,
            "generalised": list(self.generalised),
            "suppressed": self.suppressed,
            "smallest_group": self.smallest_group,
            "held": self.held,
            "released": self.released,
            "rare": [r.as_dict() for r in self.rare],
        }


@dataclass(frozen=True, kw_only=True)
class GuardAssessment:
    """The verdicts of every unit, and which rows each unit may receive.

    ``keep[i]`` is False for a row that is suppressed or whose unit is held (or that has no unit).
    """

    units: dict[str, UnitVerdict]
    keep: npt.NDArray[np.bool_] = field(repr=False)

    @property
    def held(self) -> list[UnitVerdict]:
        return [v for v in self.units.values() if v.held]


def _encode(values: pa.Array | pa.ChunkedArray) -> tuple[npt.NDArray[np.int64], pa.Array]:
    """Dense int64 codes of the values (0 for null, 1.. for the dictionary's entries) and the dictionary."""
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.unify_dictionaries()
        chunks = encoded.chunks
    else:
        chunks = [encoded]
    if not chunks:
        return np.zeros(0, dtype=np.int64), pa.array([], values.type)
    indices = np.concatenate(
        [c.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64) for c in chunks]
    )
    return indices + 1, chunks[0].dictionary


@dataclass
class _Encoded:
    """A column as dense codes (0 for null) over its dictionary of distinct values."""

    codes: npt.NDArray[np.int64]
    dictionary: pa.Array

    @classmethod
    def of(cls, values: pa.Array | pa.ChunkedArray) -> _Encoded:
        return cls(*_encode(values))

    @property
    def cardinality(self) -> int:
        return len(self.dictionary) + 1

    def generalised(self, step: LadderStep) -> _Encoded:
        """The column one ladder step coarser, computed on its distinct values only."""
        coarser, dictionary = _encode(step.generalise(self.dictionary))
        mapping = np.concatenate([[0], coarser])  # null stays null
        return _Encoded(mapping[self.codes], dictionary)

    def value(self, code: int) -> str | None:
        return None if code == 0 else str(self.dictionary[code - 1].as_py())


_DIRECT_KEYS = 1 << 22
"""Group keys below this span are counted directly; wider ones are compacted first."""
_LOOKUP_SPAN = 1 << 25
"""Keys below this span are compacted through a lookup table; wider ones are hashed (pandas)."""
_LOOKUP_PER_ROW = 4
"""Nor above this many times the number of keys: a sparse lookup table costs more than hashing."""


def _compact(key: npt.NDArray[np.int64], span: int) -> tuple[npt.NDArray[np.int64], int]:
    """The keys renumbered 0..n-1 over the values present, and n."""
    if span <= min(_LOOKUP_SPAN, max(_DIRECT_KEYS, _LOOKUP_PER_ROW * len(key))):
        present = np.zeros(span, dtype=bool)
        present[key] = True
        renumber = np.cumsum(present, dtype=np.int64) - 1
        return renumber[key], int(renumber[-1]) + 1 if span else 0
    dense, uniques = pd.factorize(key, sort=False)
    return dense.astype(np.int64), len(uniques)


def _groups(
    unit_index: npt.NDArray[np.signedinteger[Any]],
    columns: Sequence[npt.NDArray[np.int64]],
    cardinalities: Sequence[int],
) -> npt.NDArray[np.int64]:
    """A compact group key per row: its unit and its quasi-identifier codes (mixed radix)."""
    key = unit_index.astype(np.int64)
    span = int(key.max(initial=0)) + 1
    for codes, cardinality in zip(columns, cardinalities, strict=True):
        if span * cardinality >= _DIRECT_KEYS:
            key, span = _compact(key, span)
        key = key * cardinality + codes
        span *= cardinality
    if span >= _DIRECT_KEYS:
        key, span = _compact(key, span)
    return key


def _rare_rows(
    groups: npt.NDArray[np.int64], sensitive: npt.NDArray[np.int64] | None, rule: GuardRule
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """Which rows are in a rare group, and each group's count of distinct sensitive values (or empty)."""
    sizes = np.bincount(groups)
    rare = sizes[groups] < rule.k
    distinct = np.zeros(0, dtype=np.int64)
    if sensitive is not None and rule.l > 1:
        width = int(sensitive.max(initial=0)) + 1
        pairs = np.unique(groups * width + sensitive)
        distinct = np.bincount(pairs // width, minlength=len(sizes))
        rare |= distinct[groups] < rule.l
    return rare, distinct


def _rare_combinations(
    columns: dict[str, _Encoded],
    rows: npt.NDArray[np.intp],
    groups: npt.NDArray[np.int64],
    rare: npt.NDArray[np.bool_],
    distinct: npt.NDArray[np.int64],
) -> tuple[RareCombination, ...]:
    """The rare combinations among ``rows`` (one unit's positions), largest first, as counts only."""
    mine = rows[rare[rows]]
    if not len(mine):
        return ()
    found, first, counts = np.unique(groups[mine], return_index=True, return_counts=True)
    combinations = [
        RareCombination(
            values=tuple(
                (name, column.value(int(column.codes[mine[first[o]]]))) for name, column in columns.items()
            ),
            rows=int(counts[o]),
            distinct_sensitive=int(distinct[found[o]]) if len(distinct) else None,
        )
        for o in range(len(found))
    ]
    combinations.sort(key=lambda c: (-c.rows, [(v is not None, v or "") for _, v in c.values]))
    return tuple(combinations[:RARE_SHOWN])


def assess(
    quasi: pa.Table,
    units: pa.Array | pa.ChunkedArray,
    rule: GuardRule,
    *,
    sensitive: pa.Array | pa.ChunkedArray | None = None,
    released: frozenset[str] = frozenset(),
) -> GuardAssessment:
    """Measure every unit's extract and decide its generalisation step, suppressions or hold.

    Columns are encoded once; a ladder step generalises a column's distinct values, not its rows,
    so its generaliser must work value by value (as every generalisation of the policy does).

    Args:
        quasi: the quasi-identifier columns of all rows, as the policy returns them.
        units: per row, the unit whose extract the row belongs to (null: none).
        rule: k, ℓ, the suppression share and the ladder.
        sensitive: the sensitive column per row, for ℓ-diversity.
        released: units a compliance officer released from a hold: past the last step they get
            what is left after every rare row is suppressed, instead of nothing.

    Returns:
        The verdict of every unit with rows, and the rows each may receive.
    """
    rows = quasi.num_rows
    if len(units) != rows or (sensitive is not None and len(sensitive) != rows):
        raise ValueError("units and sensitive must have one value per row of quasi")
    unit_codes, dictionary = _encode(units)
    labels = [str(u) for u in dictionary.to_pylist()]
    if not labels:
        return GuardAssessment(units={}, keep=np.zeros(rows, dtype=bool))
    has_unit = unit_codes > 0
    unit_index = np.where(has_unit, unit_codes - 1, 0)
    unit_rows = np.bincount(unit_index[has_unit], minlength=len(labels))
    sensitive_codes = _encode(sensitive)[0] if sensitive is not None and rule.l > 1 else None

    columns = {name: _Encoded.of(quasi.column(name)) for name in quasi.column_names}
    chosen = np.full(len(labels), -1)
    rare_of_row = np.zeros(rows, dtype=bool)
    lifted = np.zeros(len(labels), dtype=bool)
    smallest = np.zeros(len(labels), dtype=np.int64)
    held_rare: dict[int, tuple[RareCombination, ...]] = {}
    for step in range(len(rule.ladder) + 1):
        pending = chosen < 0
        if not pending.any():
            break
        if step:
            ladder = rule.ladder[step - 1]
            columns[ladder.column] = columns[ladder.column].generalised(ladder)
        now = has_unit & pending[unit_index]
        index = unit_index[now]
        groups = _groups(
            index, [c.codes[now] for c in columns.values()], [c.cardinality for c in columns.values()]
        )
        rare, distinct = _rare_rows(
            groups, sensitive_codes[now] if sensitive_codes is not None else None, rule
        )
        rare_per_unit = np.bincount(index, weights=rare, minlength=len(labels))
        passes = pending & (rare_per_unit <= rule.max_suppressed_share * unit_rows)
        chosen[passes] = step
        rare_of_row[now] = rare
        group_sizes = np.bincount(groups)[groups]
        least = np.full(len(labels), np.iinfo(np.int64).max)
        np.minimum.at(least, index[~rare], group_sizes[~rare])
        smallest[passes] = least[passes]
        if step == len(rule.ladder):
            lifted = pending & ~passes & np.isin(np.array(labels, dtype=object), list(released))
            chosen[lifted], smallest[lifted] = step, least[lifted]
            passes |= lifted
            local = {name: _Encoded(c.codes[now], c.dictionary) for name, c in columns.items()}
            for u in np.flatnonzero(pending & ~passes):
                held_rare[int(u)] = _rare_combinations(
                    local, np.flatnonzero(index == u), groups, rare, distinct
                )

    held = chosen < 0
    keep = has_unit & ~held[unit_index] & ~rare_of_row
    suppressed = np.bincount(unit_index[has_unit & rare_of_row & ~held[unit_index]], minlength=len(labels))
    top = len(rule.ladder)
    return GuardAssessment(
        units={
            label: UnitVerdict(
                unit=label,
                rows=int(unit_rows[u]),
                steps=top if held[u] else int(chosen[u]),
                suppressed=0 if held[u] else int(suppressed[u]),
                smallest_group=0 if held[u] or smallest[u] == np.iinfo(np.int64).max else int(smallest[u]),
                held=bool(held[u]),
                released=bool(lifted[u]),
                rare=held_rare.get(u, ()),
                generalised=tuple(s.label_en for s in rule.ladder[: top if held[u] else chosen[u]]),
            )
            for u, label in enumerate(labels)
            if unit_rows[u]
        },
        keep=keep,
    )


def generalise(table: pa.Table, steps: int, rule: GuardRule) -> pa.Table:
    """The table with the first ``steps`` ladder steps applied to its quasi-identifier columns."""
    for ladder in rule.ladder[:steps]:
        index = table.schema.get_field_index(ladder.column)
        if index >= 0:
            column = ladder.generalise(table.column(index))
            table = table.set_column(index, pa.field(ladder.column, column.type), column)
    return table
