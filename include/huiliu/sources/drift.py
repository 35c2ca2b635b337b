"""Compare what a source offers with what its contract expects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import types as sqltypes

from huiliu.contracts.model import ColumnSpec, DatasetContract
from huiliu.errors import SchemaDriftError

# which source type families each contract type can be landed from without loss
COMPATIBLE: dict[str, frozenset[str]] = {
    "string": frozenset({"string"}),
    "integer": frozenset({"integer"}),
    "float": frozenset({"float", "integer", "decimal"}),
    "decimal": frozenset({"decimal", "integer"}),
    "boolean": frozenset({"boolean", "integer"}),
    "date": frozenset({"date"}),
    "timestamp": frozenset({"timestamp"}),
}


def type_family(sql_type: sqltypes.TypeEngine[Any]) -> str | None:
    """The family of a reflected SQL type, or None when the database does not say."""
    checks: list[tuple[type, str]] = [
        (sqltypes.Boolean, "boolean"),
        (sqltypes.Integer, "integer"),
        (sqltypes.Float, "float"),
        (sqltypes.Numeric, "decimal"),
        (sqltypes.DateTime, "timestamp"),
        (sqltypes.Date, "date"),
        (sqltypes.String, "string"),
        (sqltypes.Enum, "string"),
    ]
    for klass, family in checks:
        if isinstance(sql_type, klass):
            if family == "decimal" and getattr(sql_type, "scale", None) == 0:
                return "integer"
            return family
    return None


def contract_family(column: ColumnSpec) -> str:
    return "decimal" if column.decimal_precision_scale else column.type


@dataclass
class DriftReport:
    """Differences between source and contract that did not stop the run."""

    extra_columns: list[str] = field(default_factory=list)
    missing_optional: list[str] = field(default_factory=list)
    null_cursor_rows: int = 0
    zero_dates: int = 0

    def as_dict(self) -> dict[str, list[str] | int]:
        return {
            "extra_columns": self.extra_columns,
            "missing_optional_columns": self.missing_optional,
            "null_cursor_rows": self.null_cursor_rows,
            "zero_dates": self.zero_dates,
        }

    @property
    def empty(self) -> bool:
        return not (self.extra_columns or self.missing_optional or self.null_cursor_rows or self.zero_dates)


def check_drift(contract: DatasetContract, source_columns: dict[str, str | None], where: str) -> DriftReport:
    """Check reflected source columns (name → type family) against the contract.

    Raises:
        SchemaDriftError: a required column is missing or has an incompatible type.
    """
    by_lower = {name.lower(): name for name in source_columns}
    problems: list[str] = []
    report = DriftReport()
    for column in contract.columns:
        found = by_lower.get(column.source_column.lower())
        if found is None:
            if column.required:
                problems.append(f"column {column.source_column!r} is missing (contract type {column.type})")
            else:
                report.missing_optional.append(column.name)
            continue
        family = source_columns[found]
        if family is not None and family not in COMPATIBLE[contract_family(column)]:
            problems.append(
                f"column {column.source_column!r} has an incompatible type: "
                f"expected {column.type}, found {family}"
            )
    expected = {c.source_column.lower() for c in contract.columns}
    report.extra_columns = sorted(n for n in source_columns if n.lower() not in expected)
    if problems:
        raise SchemaDriftError(
            f"dataset {contract.name}: source {where} no longer matches the contract: "
            + "; ".join(problems)
            + ". Fix the source, or update the contract (include/contracts/"
            + f"{contract.name}.yaml) if the change is intended."
        )
    return report
