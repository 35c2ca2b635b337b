"""Has a source delivered in time? Each contract states its expected update interval.

The last delivery is the newest cursor value landed for incremental datasets (when the department
last changed a record), and the end of the last non-empty landing batch for full snapshots and
file drops. A dataset is ``stale`` when that is older than the interval at the reference time.
When nothing was ever delivered it is ``stale`` once huiliu has been asking for longer than the
interval (its first landing run), ``unknown`` before that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypedDict
from zoneinfo import ZoneInfo

from huiliu.contracts.model import DatasetContract
from huiliu.settings import Settings, get_settings
from huiliu.store.statuses import BatchStatus


class FreshnessStatus(StrEnum):
    """Whether a dataset delivered within its contract's interval."""

    FRESH = "fresh"
    STALE = "stale"
    UNKNOWN = "unknown"
    """Nothing delivered yet, and huiliu has not been asking for longer than the interval."""
    NOT_TRACKED = "not_tracked"
    """The contract states no interval."""


class FreshnessRecord(TypedDict):
    """A dataset's freshness as task results, quality runs and the scorecard carry it."""

    dataset: str
    status: FreshnessStatus
    last_delivery_at: str | None
    expected_interval_hours: int | None
    age_hours: float | None
    basis: str
    asked_since: str | None


@dataclass(frozen=True)
class Freshness:
    """A dataset's freshness at a reference time."""

    dataset: str
    status: FreshnessStatus
    last_delivery_at: datetime | None
    expected_interval_hours: int | None
    age_hours: float | None
    basis: str  # cursor, batch
    asked_since: datetime | None = None  # the first landing run, when nothing was ever delivered

    @property
    def stale(self) -> bool:
        return self.status == FreshnessStatus.STALE

    def message(self) -> str:
        expected = self.expected_interval_hours
        if self.last_delivery_at is None and self.asked_since is not None:
            return (
                f"dataset {self.dataset}: nothing delivered since the first landing run at "
                f"{self.asked_since:%Y-%m-%d %H:%M} UTC (expected every {expected} h)"
            )
        if self.last_delivery_at is None:
            return f"dataset {self.dataset}: nothing delivered yet (expected every {expected} h)"
        return (
            f"dataset {self.dataset}: last delivery {self.last_delivery_at:%Y-%m-%d %H:%M} UTC, "
            f"{self.age_hours:.1f} h before the check, expected every {self.expected_interval_hours} h"
        )

    def as_dict(self) -> FreshnessRecord:
        return {
            "dataset": self.dataset,
            "status": self.status,
            "last_delivery_at": self.last_delivery_at.isoformat() if self.last_delivery_at else None,
            "expected_interval_hours": self.expected_interval_hours,
            "age_hours": None if self.age_hours is None else round(self.age_hours, 2),
            "basis": self.basis,
            "asked_since": self.asked_since.isoformat() if self.asked_since else None,
        }


def judge(
    contract: DatasetContract,
    last_delivery: datetime | None,
    reference: datetime,
    basis: str,
    asked_since: datetime | None = None,
) -> Freshness:
    """Pure: compare a last delivery (UTC-aware) with the contract's interval at ``reference``;
    with no delivery, compare the first landing run (``asked_since``) instead."""
    interval = contract.freshness.expected_interval_hours if contract.freshness else None
    if interval is None:
        return Freshness(contract.name, FreshnessStatus.NOT_TRACKED, last_delivery, None, None, basis)
    if last_delivery is None:
        if asked_since is None:
            return Freshness(contract.name, FreshnessStatus.UNKNOWN, None, interval, None, basis)
        waited = (reference - asked_since).total_seconds() / 3600
        status = FreshnessStatus.STALE if waited > interval else FreshnessStatus.UNKNOWN
        return Freshness(contract.name, status, None, interval, None, basis, asked_since)
    age = (reference - last_delivery).total_seconds() / 3600
    status = FreshnessStatus.STALE if age > interval else FreshnessStatus.FRESH
    return Freshness(contract.name, status, last_delivery, interval, max(age, 0.0), basis)


def _as_utc(moment: datetime, zone: str) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    return moment.astimezone(UTC)


def last_delivery(contract: DatasetContract, settings: Settings | None = None) -> tuple[datetime | None, str]:
    """The last delivery time (UTC) from the governance store, and what it is based on.

    For incremental sources the newest cursor value landed, but never later than the landing that
    brought it: a row stamped in the future does not make a source look fresh.
    """
    from huiliu.store.batches import batches_of, get_watermark

    settings = settings or get_settings()
    ends = [
        b.finished_at
        for b in batches_of(contract.name)
        if b.status == BatchStatus.COMMITTED and b.rows and b.finished_at
    ]
    landed = _as_utc(max(ends), "UTC") if ends else None
    if contract.extraction.mode != "incremental":
        return landed, "batch"
    mark = get_watermark(contract.name)
    if mark is None or landed is None:
        return None, "cursor"
    return min(_as_utc(mark, settings.timezone), landed), "cursor"


def first_landing_run(contract: DatasetContract) -> datetime | None:
    """When huiliu first tried to land the dataset (UTC), whatever came of it."""
    from huiliu.store.batches import batches_of

    starts = [b.started_at for b in batches_of(contract.name) if b.started_at]
    return _as_utc(min(starts), "UTC") if starts else None


def check_freshness(
    contract: DatasetContract, reference: datetime | None = None, settings: Settings | None = None
) -> Freshness:
    """The dataset's freshness at ``reference`` (now when omitted)."""
    delivered, basis = last_delivery(contract, settings)
    asked = first_landing_run(contract) if delivered is None else None
    return judge(contract, delivered, reference or datetime.now(UTC), basis, asked)
