"""PII drift: how two classifications of the same dataset differ.

A column that starts carrying phone numbers, an entity type that disappears from a column (a
department started masking, or the column was repurposed), a share of matching values that moves a
lot, checksums that stop holding, columns that come or go: each is a :class:`DriftChange`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias, TypedDict

from huiliu.pii.classify import ColumnClassification, EntityMatch, TableClassification

ChangeKind: TypeAlias = Literal[
    "column_added",
    "column_removed",
    "entity_appeared",
    "entity_disappeared",
    "ratio_changed",
    "checksum_dropped",
]


class DriftChangeRecord(TypedDict):
    """A :class:`DriftChange` as JSON (shares rounded to 4 places)."""

    column: str
    kind: ChangeKind
    entity_type: str | None
    before: float | None
    after: float | None
    message: str


class DriftRecord(TypedDict, total=False):
    """A :class:`DriftReport` as JSON, which always has both keys; a dataset's first batch, compared
    with nothing, stores an empty one (``{}``)."""

    drifted: bool
    changes: list[DriftChangeRecord]


@dataclass(frozen=True)
class DriftChange:
    """One difference between two classifications of a dataset.

    Attributes:
        column: the column.
        kind: what changed.
        entity_type: the entity type concerned, if any.
        before: the share (of values, or of valid checksums) before, if any.
        after: the share after, if any.
        message: the change in words.
    """

    column: str
    kind: ChangeKind
    entity_type: str | None
    before: float | None
    after: float | None
    message: str

    def as_dict(self) -> DriftChangeRecord:
        return {
            "column": self.column,
            "kind": self.kind,
            "entity_type": self.entity_type,
            "before": None if self.before is None else round(self.before, 4),
            "after": None if self.after is None else round(self.after, 4),
            "message": self.message,
        }


@dataclass(frozen=True)
class DriftReport:
    """All differences between two classifications."""

    changes: tuple[DriftChange, ...]

    @property
    def drifted(self) -> bool:
        return bool(self.changes)

    def as_dict(self) -> DriftRecord:
        return {"drifted": self.drifted, "changes": [c.as_dict() for c in self.changes]}


def compare_classifications(
    before: TableClassification,
    after: TableClassification,
    ratio_tolerance: float = 0.2,
    checksum_tolerance: float = 0.05,
) -> DriftReport:
    """Differences from ``before`` to ``after``, column by column, in ``after``'s column order.

    Args:
        before: the earlier classification.
        after: the later one.
        ratio_tolerance: a classified entity whose share of matching values moves by more than
            this is reported.
        checksum_tolerance: a share of valid checksums that drops by more than this is reported.
    """
    old = {c.name: c for c in before.columns}
    new = {c.name: c for c in after.columns}
    changes: list[DriftChange] = []
    for name, column in new.items():
        if name not in old:
            changes.append(_added(column))
        else:
            changes += _column_changes(old[name], column, ratio_tolerance, checksum_tolerance)
    changes += [_removed(column) for name, column in old.items() if name not in new]
    return DriftReport(tuple(changes))


def _added(column: ColumnClassification) -> DriftChange:
    types = ", ".join(column.entity_types) or "no personal information"
    return DriftChange(column.name, "column_added", None, None, None, f"new column {column.name!r}: {types}")


def _removed(column: ColumnClassification) -> DriftChange:
    return DriftChange(column.name, "column_removed", None, None, None, f"column {column.name!r} is gone")


def _column_changes(
    old: ColumnClassification, new: ColumnClassification, ratio_tolerance: float, checksum_tolerance: float
) -> list[DriftChange]:
    before = {m.entity_type: m for m in old.entities}
    after = {m.entity_type: m for m in new.entities}
    changes = [_appeared(new.name, m, _share(old, t)) for t, m in after.items() if t not in before]
    changes += [_disappeared(old.name, m, _share(new, t)) for t, m in before.items() if t not in after]
    for entity in before.keys() & after.keys():
        changes += _moved(new.name, before[entity], after[entity], ratio_tolerance, checksum_tolerance)
    return changes


def _share(column: ColumnClassification, entity: str) -> float:
    """The share of values of an entity type in a column, classified or only observed."""
    return next((m.match_ratio for m in column.observed if m.entity_type == entity), 0.0)


def _appeared(column: str, match: EntityMatch, before: float) -> DriftChange:
    return DriftChange(
        column,
        "entity_appeared",
        match.entity_type,
        before,
        match.match_ratio,
        f"column {column!r} now carries {match.entity_type} "
        f"({before:.0%} → {match.match_ratio:.0%} of values)",
    )


def _disappeared(column: str, match: EntityMatch, after: float) -> DriftChange:
    return DriftChange(
        column,
        "entity_disappeared",
        match.entity_type,
        match.match_ratio,
        after,
        f"column {column!r} no longer carries {match.entity_type} "
        f"({match.match_ratio:.0%} → {after:.0%} of values)",
    )


def _moved(
    column: str, old: EntityMatch, new: EntityMatch, ratio_tolerance: float, checksum_tolerance: float
) -> list[DriftChange]:
    changes = []
    if abs(new.match_ratio - old.match_ratio) > ratio_tolerance:
        changes.append(
            DriftChange(
                column,
                "ratio_changed",
                new.entity_type,
                old.match_ratio,
                new.match_ratio,
                f"{new.entity_type} in {column!r}: {old.match_ratio:.0%} → {new.match_ratio:.0%} of values",
            )
        )
    was, now = old.checksum_valid_ratio, new.checksum_valid_ratio
    if was is not None and now is not None and was - now > checksum_tolerance:
        changes.append(
            DriftChange(
                column,
                "checksum_dropped",
                new.entity_type,
                was,
                now,
                f"{new.entity_type} in {column!r}: valid checksums {was:.0%} → {now:.0%}",
            )
        )
    return changes
