"""What a reconciliation check returns: the result, the records it flags, and the rows it reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

import pyarrow as pa

from huiliu.reconciliation.masking import mask_record_key
from huiliu.reconciliation.spec import CheckSpec


class CheckStatus(StrEnum):
    """One check's outcome."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    """A side could not be read (a table not there yet): nothing was compared."""


class RunStatus(StrEnum):
    """A reconciliation run's outcome over its checks."""

    PASSED = "passed"
    FAILED = "failed"
    PARTIAL = "partial"
    """No check failed, some were skipped."""
    SKIPPED = "skipped"


_RATE_EPSILON = 1e-12


class Flag(NamedTuple):
    """One record a check flags for its owner to look at: which, where, and why (no data values)."""

    dataset: str
    record_key: str
    detail: str


@dataclass(frozen=True)
class DatasetRows:
    """The current rows of one dataset as the checks read them.

    Attributes:
        name: The dataset name.
        rows: One row per record (its current version), with at least the columns checked.
        key: The primary-key columns; their values joined with ``/`` are the record key.
        personal_key: Key columns holding personal information, masked in samples.
    """

    name: str
    rows: pa.Table
    key: tuple[str, ...]
    personal_key: tuple[str, ...] = ()

    def display_key(self, record_key: str) -> str:
        """The record key fit to show in a report."""
        return mask_record_key(record_key, self.key, self.personal_key)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check.

    Attributes:
        name: The check's name in the spec.
        kind: Its kind (``recipients_in_registry``, ``community_counts``, ``community_exists``).
        title_zh: Chinese title.
        title_en: English title.
        datasets: The datasets compared (the checked dataset first).
        status: ``passed``, ``failed`` or ``skipped``.
        rows_compared: Records (or communities, see ``unit``) compared.
        mismatches: Of those, how many mismatched.
        mismatch_rate: ``mismatches / rows_compared``; ``None`` when nothing was compared.
        tolerance: The largest mismatch rate with which the check passes.
        unit: What was counted: ``records`` or ``communities``.
        samples: A few mismatches, personal data masked.
        flags: Every record to flag (not only the sampled ones).
        breakdown: Further counts, e.g. absent vs dead recipients.
        parameters: Settings of the check shown in the report, e.g. the per-community tolerance.
        reason: Why the check was skipped.
    """

    name: str
    kind: str
    title_zh: str
    title_en: str
    datasets: tuple[str, ...]
    status: CheckStatus
    rows_compared: int = 0
    mismatches: int = 0
    mismatch_rate: float | None = None
    tolerance: float = 0.0
    unit: str = "records"
    samples: tuple[Mapping[str, Any], ...] = ()
    flags: tuple[Flag, ...] = ()
    breakdown: Mapping[str, int] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    reason: str | None = None

    @property
    def passed(self) -> bool | None:
        """Whether the check passed; ``None`` when it was skipped."""
        return None if self.status == CheckStatus.SKIPPED else self.status == CheckStatus.PASSED

    def as_dict(self) -> dict[str, Any]:
        """The result for reports and the store: counts and masked samples, not the flagged keys."""
        return {
            "name": self.name,
            "kind": self.kind,
            "title": {"zh": self.title_zh, "en": self.title_en},
            "datasets": list(self.datasets),
            "status": self.status,
            "passed": self.passed,
            "rows_compared": self.rows_compared,
            "mismatches": self.mismatches,
            "mismatch_rate": self.mismatch_rate,
            "tolerance": self.tolerance,
            "unit": self.unit,
            "flagged": len(self.flags),
            "breakdown": dict(self.breakdown),
            "parameters": dict(self.parameters),
            "samples": [dict(s) for s in self.samples],
            "reason": self.reason,
        }


def skipped(
    check: CheckSpec,
    datasets: Sequence[str],
    reason: str,
    breakdown: Mapping[str, int] | None = None,
    unit: str = "records",
) -> CheckResult:
    """The result of a check that could not run, or found nothing to compare, with the reason."""
    return CheckResult(
        name=check.name,
        kind=check.kind_name,
        title_zh=check.title.zh,
        title_en=check.title.en,
        datasets=tuple(datasets),
        status=CheckStatus.SKIPPED,
        tolerance=check.max_mismatch_rate,
        unit=unit,
        breakdown=dict(breakdown or {}),
        reason=reason,
    )


def make_result(
    check: CheckSpec,
    datasets: tuple[str, ...],
    compared: int,
    mismatches: int,
    samples: Sequence[Mapping[str, Any]],
    flags: Sequence[Flag],
    breakdown: Mapping[str, int],
    *,
    unit: str = "records",
    parameters: Mapping[str, Any] | None = None,
) -> CheckResult:
    """A result that passes when ``mismatches / compared`` is within the check's ``max_mismatch_rate``.

    A check that compared nothing did not pass: it is skipped, saying so.
    """
    if compared == 0:
        reason = f"nothing to compare: no {unit} of {datasets[0]} had a value to check"
        return skipped(check, datasets, reason, breakdown, unit)
    rate = mismatches / compared
    passed = rate <= check.max_mismatch_rate + _RATE_EPSILON
    return CheckResult(
        name=check.name,
        kind=check.kind_name,
        title_zh=check.title.zh,
        title_en=check.title.en,
        datasets=datasets,
        status=CheckStatus.PASSED if passed else CheckStatus.FAILED,
        rows_compared=compared,
        mismatches=mismatches,
        mismatch_rate=rate,
        tolerance=check.max_mismatch_rate,
        unit=unit,
        samples=tuple(samples),
        flags=tuple(flags),
        breakdown=dict(breakdown),
        parameters=dict(parameters or {}),
    )
