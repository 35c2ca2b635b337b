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

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from huiliu import row_passes
from huiliu.policy.codes import Codes, encode
from huiliu.policy.grouping import UnitCounts, counted, dense, representatives, unit_counts, unit_of

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


@dataclass
class EncodedColumn:
    """A column as dense codes (0 for null) over its dictionary of distinct values."""

    codes: Codes
    dictionary: pa.Array

    @classmethod
    def of(cls, values: pa.Array | pa.ChunkedArray) -> EncodedColumn:
        return cls(*encode(values))

    @property
    def cardinality(self) -> int:
        return len(self.dictionary) + 1

    def generalised(self, step: LadderStep) -> EncodedColumn:
        """The column one ladder step coarser, computed on its distinct values only."""
        return self.mapped(step.generalise)

    def mapped(self, function: Callable[[pa.Array], pa.Array]) -> EncodedColumn:
        """The column with a function of one value applied to each row's value, computed on its
        distinct values only (nulls stay null; values the function makes equal share one code)."""
        return self.recoded(function(self.dictionary))

    def recoded(self, values: pa.Array) -> EncodedColumn:
        """The column with each entry of its dictionary replaced by the entry of ``values`` at its
        place, spread over the rows (nulls stay null; equal new values share one code)."""
        mapping, dictionary = self.recoding(values)
        return EncodedColumn(row_passes.looked_up(mapping, self.codes), dictionary)

    def recoding(self, values: pa.Array) -> tuple[Codes, pa.Array]:
        """Per code of this column, its code in :meth:`recoded` (0 for 0: null stays null), and
        the distinct new values."""
        coarser, dictionary = encode(values)
        return np.concatenate([np.zeros(1, dtype=coarser.dtype), coarser]), dictionary

    def value(self, code: int) -> str | None:
        return None if code == 0 else str(self.dictionary[code - 1].as_py())

    def ranks(self) -> npt.NDArray[np.int64]:
        """Each code's place when the values are ordered as text (null first)."""
        texts = [str(v) for v in self.dictionary.to_pylist()]
        ranks = np.zeros(len(texts) + 1, dtype=np.int64)
        ranks[np.array(sorted(range(len(texts)), key=texts.__getitem__), dtype=np.int64) + 1] = np.arange(
            1, len(texts) + 1
        )
        return ranks


_SAMPLE_ROWS = 1 << 16
"""A column is counted per unit in full only if its values lie in one unit each among this many rows."""


@dataclass(frozen=True)
class _Combinations:
    """The combinations of unit and quasi-identifier values at one ladder step, one entry each.

    ``pairs`` are the distinct (combination, sensitive value) pairs, as ``combination * width +
    value`` (present only when ℓ-diversity is measured).
    """

    unit: Codes
    columns: dict[str, EncodedColumn]
    rows: npt.NDArray[np.int64]
    pairs: npt.NDArray[np.int64] | None = None
    width: int = 1

    @classmethod
    def of_rows(
        cls,
        unit_index: Codes,
        columns: dict[str, EncodedColumn],
        sensitive: Codes | None,
        *,
        units: int,
        unit_of: tuple[str, Codes] | None = None,
    ) -> tuple[_Combinations, npt.NDArray[np.integer[Any]]]:
        """The combinations of the rows given, and each row's combination.

        ``units`` is the number of units and ``unit_of``, when one column's value always lies in one
        unit, that column's name and the unit of each of its codes.
        """
        groups: npt.NDArray[np.integer[Any]]
        codes: list[Codes]
        names = list(columns)
        parts = [c.codes for c in columns.values()]
        widths = [c.cardinality for c in columns.values()]
        found = counted(parts, widths) if unit_of else counted([unit_index, *parts], [units, *widths])
        if found is not None:
            groups, codes, rows = found
            unit = unit_of[1][codes[names.index(unit_of[0])]] if unit_of else codes.pop(0)
        else:
            groups, count = dense(unit_index, parts, widths)
            member = representatives(groups, count)
            unit, codes = unit_index[member], [c[member] for c in parts]
            rows = row_passes.counts(groups, count)
        pairs, width = None, 1
        if sensitive is not None:
            width = int(sensitive.max(initial=0)) + 1
            pairs = np.unique(groups.astype(np.int64) * width + sensitive)
        combinations = cls(
            unit=unit,
            columns={
                name: EncodedColumn(c, column.dictionary)
                for (name, column), c in zip(columns.items(), codes, strict=True)
            },
            rows=rows,
            pairs=pairs,
            width=width,
        )
        return combinations, groups

    def coarser(
        self, step: LadderStep, telling: str | None = None
    ) -> tuple[_Combinations, npt.NDArray[np.int64]]:
        """The combinations one ladder step coarser, and the coarser combination of each of these.

        ``telling`` names a column whose value always lies in one unit (not the one the step
        generalises): it then leads the key in place of the unit.
        """
        columns = dict(self.columns)
        columns[step.column] = columns[step.column].generalised(step)
        lead = self.unit if telling is None else columns[telling].codes
        rest = [c for name, c in columns.items() if name != telling]
        parent, count = dense(lead, [c.codes for c in rest], [c.cardinality for c in rest])
        member = representatives(parent, count)
        pairs = None
        if self.pairs is not None:
            pairs = np.unique(parent[self.pairs // self.width] * self.width + self.pairs % self.width)
        combinations = _Combinations(
            unit=self.unit[member],
            columns={name: EncodedColumn(c.codes[member], c.dictionary) for name, c in columns.items()},
            rows=np.bincount(parent, weights=self.rows, minlength=count).astype(np.int64),
            pairs=pairs,
            width=self.width,
        )
        return combinations, parent

    def distinct_sensitive(self) -> npt.NDArray[np.int64]:
        """Each combination's count of distinct sensitive values (empty when not measured)."""
        if self.pairs is None:
            return np.zeros(0, dtype=np.int64)
        return np.bincount(self.pairs // self.width, minlength=len(self.rows)).astype(np.int64)

    def rare(self, rule: GuardRule) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
        """Which combinations are rare, and each one's count of distinct sensitive values (or empty)."""
        rare = self.rows < rule.k
        distinct = self.distinct_sensitive()
        if len(distinct) and rule.l > 1:
            rare |= distinct < rule.l
        return rare, distinct

    def rare_of(
        self,
        units: npt.NDArray[np.intp],
        rare: npt.NDArray[np.bool_],
        distinct: npt.NDArray[np.int64],
    ) -> dict[int, tuple[RareCombination, ...]]:
        """Each of these units' rare combinations, the largest first (then by value), as counts only."""
        candidates = np.flatnonzero(rare & np.isin(self.unit, units))
        ranks = [column.ranks()[column.codes[candidates]] for column in reversed(self.columns.values())]
        order = candidates[
            np.lexsort((*ranks, -self.rows[candidates], self.unit[candidates].astype(np.int64)))
        ]
        unit_of = self.unit[order]
        found: dict[int, tuple[RareCombination, ...]] = {}
        for u in units:
            lo, hi = np.searchsorted(unit_of, [u, u + 1])
            found[int(u)] = tuple(
                RareCombination(
                    values=tuple(
                        (name, column.value(int(column.codes[g]))) for name, column in self.columns.items()
                    ),
                    rows=int(self.rows[g]),
                    distinct_sensitive=int(distinct[g]) if len(distinct) else None,
                )
                for g in order[lo : min(hi, lo + RARE_SHOWN)]
            )
        return found


def _certainly_rare(counts: UnitCounts, k: int) -> npt.NDArray[np.int64]:
    """Per unit, its rows whose value of a column (``counts``: rows per unit and value) fewer than
    k of the unit's rows share: rare whatever their other columns hold (a group is never larger
    than the group of fewer columns)."""
    return row_passes.sums_below(counts, k)


def _some_may_pass(
    unit_index: Codes,
    columns: dict[str, EncodedColumn],
    counted: dict[str, UnitCounts | None],
    rule: GuardRule,
    unit_rows: npt.NDArray[np.int64],
) -> bool:
    """Whether some unit with rows may pass at a step: a bound, not the measure.

    A unit with more certainly rare rows (:func:`_certainly_rare`) in one column than its share
    cannot pass. The columns are counted per unit widest first, into ``counted``, and only while
    every unit still open could be kept from passing by one of them: a unit's rare rows of a column
    hold fewer than k rows of each of its values.
    """
    allowed = rule.max_suppressed_share * unit_rows
    open_units = unit_rows > 0
    for name, column in sorted(columns.items(), key=lambda item: -item[1].cardinality):
        if not open_units.any():
            return False
        if (allowed[open_units] >= column.cardinality * (rule.k - 1)).any():
            return True  # neither this column nor a narrower one can keep that unit from passing
        if name not in counted:
            counted[name] = unit_counts(unit_index, column.codes, column.cardinality, len(unit_rows))
        table = counted[name]
        if table is not None:
            open_units &= _certainly_rare(table, rule.k) <= allowed
    return bool(open_units.any())


def _determining(
    unit_index: Codes,
    columns: dict[str, EncodedColumn],
    unit_rows: npt.NDArray[np.int64],
    counted: dict[str, UnitCounts | None],
) -> tuple[str, Codes] | None:
    """A column whose every value lies in one unit, and the unit of each of its codes (None: none).

    The columns already counted per unit (``counted``) are looked at first; another column is
    counted only when it has as many values as units with rows and no two units share a value
    among its first :data:`_SAMPLE_ROWS` rows.
    """
    for name, table in counted.items():
        if table is not None and (found := unit_of(table)) is not None:
            return name, found
    units, with_rows = len(unit_rows), int(np.count_nonzero(unit_rows))
    for name, column in sorted(columns.items(), key=lambda item: item[1].cardinality):
        if name in counted or column.cardinality < with_rows:
            continue
        sample = unit_counts(
            unit_index[:_SAMPLE_ROWS], column.codes[:_SAMPLE_ROWS], column.cardinality, units
        )
        if sample is None or unit_of(sample) is None:
            continue
        table = unit_counts(unit_index, column.codes, column.cardinality, units)
        if table is not None and (found := unit_of(table)) is not None:
            return name, found
    return None


@dataclass(frozen=True)
class GuardRows:
    """Rows as the guard groups them: per row, the codes of its unit and quasi-identifier values.

    Encoding rows does not depend on which of them are measured: :meth:`only` leaves rows out
    afterwards, so rows can be encoded before that is known.
    """

    unit_codes: Codes
    """Per row, 0 for no unit, else 1 + the index of its unit in :attr:`labels`."""
    labels: list[str]
    """The units (one may have no rows: it gets no verdict)."""
    columns: dict[str, EncodedColumn]
    sensitive: Codes | None = None
    """Per row, the code of its sensitive value (None: ℓ-diversity is not measured)."""
    determining: tuple[str, Codes] | None = None
    """A column whose every value lies in one unit, and per code of it the index of that unit
    (``unit_codes - 1``; any index for a code of no unit), when the caller knows one."""

    @classmethod
    def of(
        cls,
        quasi: pa.Table,
        units: pa.Array | pa.ChunkedArray,
        *,
        sensitive: pa.Array | pa.ChunkedArray | None,
    ) -> GuardRows:
        """The rows of ``quasi``, each in the unit ``units`` names (null: none); ``sensitive`` for ℓ."""
        if len(units) != quasi.num_rows or (sensitive is not None and len(sensitive) != quasi.num_rows):
            raise ValueError("units and sensitive must have one value per row of quasi")
        unit_codes, dictionary = encode(units)
        return cls(
            unit_codes=unit_codes,
            labels=[str(u) for u in dictionary.to_pylist()],
            columns={name: EncodedColumn.of(quasi.column(name)) for name in quasi.column_names},
            sensitive=None if sensitive is None else encode(sensitive)[0],
        )

    def only(self, rows: npt.NDArray[np.bool_]) -> GuardRows:
        """The same rows, those not in ``rows`` belonging to no unit."""
        return self if rows.all() else replace(self, unit_codes=np.where(rows, self.unit_codes, 0))


def assess(
    quasi: pa.Table,
    units: pa.Array | pa.ChunkedArray,
    rule: GuardRule,
    *,
    sensitive: pa.Array | pa.ChunkedArray | None = None,
    released: frozenset[str] = frozenset(),
) -> GuardAssessment:
    """Measure every unit's extract and decide its generalisation step, suppressions or hold.

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
    if sensitive is not None and len(sensitive) != quasi.num_rows:
        raise ValueError("units and sensitive must have one value per row of quasi")
    rows = GuardRows.of(quasi, units, sensitive=sensitive if rule.l > 1 else None)
    return assess_rows(rows, rule, released=released)


def assess_rows(
    rows: GuardRows, rule: GuardRule, *, released: frozenset[str] = frozenset()
) -> GuardAssessment:
    """:func:`assess` of encoded rows.

    Rows are grouped once, into the combinations of their unit and quasi-identifier values; the
    ladder then climbs over those combinations (a step merges them), never over the rows again.
    A ladder step generalises a column's distinct values, not its rows, so its generaliser must
    work value by value (as every generalisation of the policy does).
    """
    labels = rows.labels
    per_code = row_passes.counts(rows.unit_codes, len(labels) + 1)  # code 0: rows of no unit
    unit_rows = per_code[1:]
    if not unit_rows.any():
        return GuardAssessment(units={}, keep=np.zeros(len(rows.unit_codes), dtype=bool))
    has_unit = None if not per_code[0] else rows.unit_codes > 0  # None: every row has a unit

    def within(codes: Codes) -> Codes:
        return codes if has_unit is None else codes[has_unit]

    unit_index = within(rows.unit_codes) - 1
    sensitive_codes = None if rows.sensitive is None or rule.l == 1 else within(rows.sensitive)
    columns = {name: EncodedColumn(within(c.codes), c.dictionary) for name, c in rows.columns.items()}
    top = len(rule.ladder)
    first = 0  # no unit can pass before this step: its rows need not be grouped finer
    counts: dict[str, UnitCounts | None] = {}  # rows per unit and value, of the columns counted
    while first < top and not _some_may_pass(unit_index, columns, counts, rule, unit_rows):
        ladder = rule.ladder[first]
        columns[ladder.column] = columns[ladder.column].generalised(ladder)
        counts.pop(ladder.column, None)
        first += 1
    known = rows.determining
    if known is not None and known[0] in columns and known[0] not in {s.column for s in rule.ladder[:first]}:
        unit_of: tuple[str, Codes] | None = known
    else:
        unit_of = _determining(unit_index, columns, unit_rows, counts)
    level, finest_of_row = _Combinations.of_rows(
        unit_index, columns, sensitive_codes, units=len(labels), unit_of=unit_of
    )
    finest = level  # the combinations at the first step measured
    at_level = np.arange(len(finest.rows))  # each finest combination's combination at this step
    finest_rare = np.zeros(len(finest.rows), dtype=bool)

    chosen = np.full(len(labels), -1)
    lifted = np.zeros(len(labels), dtype=bool)
    smallest = np.zeros(len(labels), dtype=np.int64)
    held_rare: dict[int, tuple[RareCombination, ...]] = {}
    for step in range(first, top + 1):
        pending = chosen < 0
        if not pending.any():
            break
        if step > first:
            ladder = rule.ladder[step - 1]
            telling = None if unit_of is None or unit_of[0] == ladder.column else unit_of[0]
            unit_of = unit_of if telling else None  # a coarser value of it may lie in two units
            level, parent = level.coarser(ladder, telling)
            at_level = parent[at_level]
        rare, distinct = level.rare(rule)
        rare_rows = np.bincount(level.unit, weights=level.rows * rare, minlength=len(labels))
        passes = pending & (rare_rows <= rule.max_suppressed_share * unit_rows)
        least = row_passes.least_per_unit(level.unit, level.rows, rare, len(labels))
        if step == top:
            lifted = pending & ~passes & np.isin(np.array(labels, dtype=object), list(released))
            passes |= lifted
            held_rare = level.rare_of(np.flatnonzero(pending & ~passes), rare, distinct)
        chosen[passes], smallest[passes] = step, least[passes]
        decided = passes[finest.unit]
        finest_rare[decided] = rare[at_level[decided]]

    kept = ~(finest_rare | (chosen < 0)[finest.unit])  # per finest combination: its rows go out
    if has_unit is None:
        keep = row_passes.looked_up(kept, finest_of_row)
    else:
        keep = np.zeros(len(rows.unit_codes), dtype=bool)
        keep[has_unit] = row_passes.looked_up(kept, finest_of_row)
    suppressed = np.bincount(finest.unit, weights=finest.rows * finest_rare, minlength=len(labels))
    return GuardAssessment(
        units=_verdicts(labels, rule, unit_rows, chosen, suppressed, smallest, lifted, held_rare),
        keep=keep,
    )


def _verdicts(
    labels: list[str],
    rule: GuardRule,
    unit_rows: npt.NDArray[np.generic],
    chosen: npt.NDArray[np.generic],
    suppressed: npt.NDArray[np.generic],
    smallest: npt.NDArray[np.generic],
    lifted: npt.NDArray[np.generic],
    held_rare: dict[int, tuple[RareCombination, ...]],
) -> dict[str, UnitVerdict]:
    """The verdict of each unit with rows (``chosen``: its step, -1 when held), read from the
    per-unit arrays as Python values once."""
    top, none = len(rule.ladder), np.iinfo(np.int64).max
    per_unit = zip(
        unit_rows.tolist(),
        chosen.tolist(),
        suppressed.tolist(),
        smallest.tolist(),
        lifted.tolist(),
        strict=True,
    )
    verdicts = {}
    for u, (rows, step, dropped, least, released) in enumerate(per_unit):
        if not rows:
            continue
        held = step < 0
        verdicts[labels[u]] = UnitVerdict(
            unit=labels[u],
            rows=int(rows),
            steps=top if held else int(step),
            suppressed=0 if held else int(dropped),
            smallest_group=0 if held or least == none else int(least),
            held=held,
            released=bool(released),
            rare=held_rare.get(u, ()),
            generalised=tuple(s.label_en for s in rule.ladder[: top if held else step]),
        )
    return verdicts


def generalise(table: pa.Table, steps: int, rule: GuardRule) -> pa.Table:
    """The table with the first ``steps`` ladder steps applied to its quasi-identifier columns.

    Each step is a function of one value, so a column's steps are taken on its distinct values
    only and spread back over the rows once (nulls stay null).
    """
    by_column: dict[str, list[LadderStep]] = {}
    for ladder in rule.ladder[:steps]:
        by_column.setdefault(ladder.column, []).append(ladder)
    for name, ladders in by_column.items():
        index = table.schema.get_field_index(name)
        if index < 0:
            continue
        encoded = pc.dictionary_encode(table.column(index).combine_chunks())
        distinct = encoded.dictionary
        for ladder in ladders:
            distinct = ladder.generalise(distinct)
        column = pc.take(distinct, encoded.indices)
        table = table.set_column(index, pa.field(name, column.type), column)
    return table
