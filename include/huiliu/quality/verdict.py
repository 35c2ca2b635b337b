"""The gate's decision for one batch, from expectation outcomes: which rows fail, and whether to hold.

Severity decides what a failure does (Great Expectations' own ``severity`` field):

* ``warning`` — each failing row is quarantined; the rest of the batch goes on.
* ``critical`` — failing rows are quarantined, and if the expectation as a whole fails (below its
  ``mostly``), the whole batch is held in quarantine.
* ``info`` — reported in the results and Data Docs only.

A batch is also held when more than the contract's ``max_failing_share`` of its rows fail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt

from huiliu.quality.duplicates import DUPLICATE_RULE, DuplicateResolution
from huiliu.quality.validation import ExpectationOutcome
from huiliu.store.statuses import QualityStatus

ROW_SEVERITIES = ("critical", "warning")


class RuleRecord(TypedDict):
    """One rule's result over a batch, as the gate reports it and the governance store keeps it
    (``quality_runs.expectations``)."""

    rule: str
    type: str
    columns: list[str]
    severity: str
    success: bool
    element_count: int
    unexpected_count: int


@dataclass
class RuleResult:
    """One rule summed over every chunk of the batch."""

    rule: str
    type: str
    columns: tuple[str, ...]
    severity: str
    success: bool = True
    element_count: int = 0
    unexpected_count: int = 0
    missing_count: int = 0
    mostly: float = 1.0
    row_level: bool = True
    rows: list[npt.NDArray[np.int64]] = field(default_factory=list, repr=False)
    kwargs: dict[str, Any] = field(default_factory=dict, repr=False)
    """The expectation's arguments, suite parameters resolved (what explains a failing value)."""

    def add(self, outcome: ExpectationOutcome) -> None:
        """Sum one chunk's outcome; a row-level rule is judged on the summed counts, as GX would
        judge the whole batch (``mostly`` applies to the share of non-missing values)."""
        self.element_count += outcome.element_count
        self.unexpected_count += outcome.unexpected_count
        self.missing_count += outcome.missing_count
        self.mostly, self.row_level = outcome.mostly, outcome.row_level
        if self.row_level:
            checked = self.element_count - self.missing_count
            self.success = checked == 0 or (checked - self.unexpected_count) / checked >= self.mostly
        else:
            self.success = self.success and outcome.success
        if outcome.severity in ROW_SEVERITIES and len(outcome.unexpected_rows):
            self.rows.append(outcome.unexpected_rows)

    def as_dict(self) -> RuleRecord:
        return {
            "rule": self.rule,
            "type": self.type,
            "columns": list(self.columns),
            "severity": self.severity,
            "success": self.success,
            "element_count": self.element_count,
            "unexpected_count": self.unexpected_count,
        }


def combine(
    chunks: Sequence[Sequence[ExpectationOutcome]], parameters: Mapping[str, Any] | None = None
) -> list[RuleResult]:
    """Sum each expectation's outcomes over the chunks (same suite, same order in every chunk);
    ``parameters`` are the run's suite parameters, put in place of ``{"$PARAMETER": name}``."""
    rules: list[RuleResult] = []
    for chunk in chunks:
        for index, outcome in enumerate(chunk):
            if index == len(rules):
                kwargs = _resolved(outcome.kwargs, parameters or {})
                rules.append(
                    RuleResult(outcome.rule, outcome.type, outcome.columns, outcome.severity, kwargs=kwargs)
                )
            rules[index].add(outcome)
    return rules


def _resolved(kwargs: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    def value(given: Any) -> Any:
        name = given.get("$PARAMETER") if isinstance(given, Mapping) else None
        return parameters.get(name) if isinstance(name, str) else given

    return {key: value(given) for key, given in kwargs.items()}


def duplicate_rule(resolution: DuplicateResolution, key: Sequence[str], rows_total: int) -> RuleResult:
    """The primary-key rule as a result beside the suite's (always a row-level ``warning``)."""
    rule = f"{DUPLICATE_RULE}({', '.join(key)})"
    result = RuleResult(rule, DUPLICATE_RULE, tuple(key), "warning", element_count=rows_total)
    result.unexpected_count = len(resolution.losers)
    result.success = not len(resolution.losers)
    if len(resolution.losers):
        result.rows.append(resolution.losers)
    return result


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """What happens to the batch."""

    rows_total: int
    failing_positions: npt.NDArray[np.int64]  # ascending positions of rows with a row-level failure
    failures_by_row: dict[int, list[int]]  # position -> indices into ``rules``
    rules: list[RuleResult]
    held: bool
    held_reasons: list[str]

    @property
    def status(self) -> QualityStatus:
        if self.rows_total == 0:
            return QualityStatus.EMPTY
        if self.held:
            return QualityStatus.HELD
        return QualityStatus.QUARANTINED if len(self.failing_positions) else QualityStatus.PASSED

    @property
    def rows_quarantined(self) -> int:
        return self.rows_total if self.held else len(self.failing_positions)

    @property
    def rows_curated(self) -> int:
        return self.rows_total - self.rows_quarantined

    @property
    def pass_rate(self) -> float | None:
        return None if self.rows_total == 0 else self.rows_curated / self.rows_total


def _failures_by_row(rules: Sequence[RuleResult]) -> tuple[npt.NDArray[np.int64], dict[int, list[int]]]:
    parts = [(rows, np.full(len(rows), i)) for i, r in enumerate(rules) for rows in r.rows]
    if not parts:
        return np.empty(0, dtype=np.int64), {}
    positions = np.concatenate([p for p, _ in parts])
    indices = np.concatenate([i for _, i in parts])
    order = np.argsort(positions, kind="stable")
    positions, indices = positions[order], indices[order]
    unique, starts = np.unique(positions, return_index=True)
    groups = np.split(indices, starts[1:])
    return unique, {int(p): sorted(set(g.tolist())) for p, g in zip(unique, groups, strict=True)}


def decide(rules: list[RuleResult], rows_total: int, max_failing_share: float) -> Verdict:
    """Quarantine failing rows; hold the batch on a failed critical rule or too many failing rows."""
    positions, by_row = _failures_by_row(rules)
    reasons = [
        f"critical rule failed: {r.rule} ({r.unexpected_count} of {r.element_count} rows)"
        for r in rules
        if r.severity == "critical" and not r.success
    ]
    share = len(positions) / rows_total if rows_total else 0.0
    if share > max_failing_share:
        reasons.append(
            f"{len(positions)} of {rows_total} rows ({share:.1%}) fail, above the contract's "
            f"max_failing_share of {max_failing_share:.1%}"
        )
    return Verdict(
        rows_total=rows_total,
        failing_positions=positions,
        failures_by_row=by_row,
        rules=rules,
        held=bool(reasons),
        held_reasons=reasons,
    )
