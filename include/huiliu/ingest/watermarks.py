"""Which rows an incremental extraction reads."""

from __future__ import annotations

from datetime import datetime

from pyiceberg.exceptions import NoSuchTableError

from huiliu.contracts.model import DatasetContract
from huiliu.lake.catalog import get_catalog
from huiliu.settings import Settings
from huiliu.sources.sql import WatermarkRange
from huiliu.store import batches as store


def _lake_watermark(contract: DatasetContract, settings: Settings) -> datetime | None:
    """The watermark recorded in the landing table's own snapshots (survives a lost store update)."""
    try:
        table = get_catalog(settings).load_table(contract.landing_table)
    except NoSuchTableError:
        return None
    marks = [
        datetime.fromisoformat(s.summary.additional_properties["huiliu.watermark"])
        for s in table.snapshots()
        if s.summary is not None and "huiliu.watermark" in s.summary.additional_properties
    ]
    return max(marks, default=None)


def incremental_window(contract: DatasetContract, batch_id: str, settings: Settings) -> WatermarkRange:
    """The watermark window of a batch: the original window on a re-run, else past the last mark."""
    if contract.extraction.mode != "incremental":
        return WatermarkRange()
    previous = store.get_batch(batch_id)
    if previous is not None and previous.status == "committed":
        low = datetime.fromisoformat(previous.low_watermark) if previous.low_watermark else None
        high = datetime.fromisoformat(previous.high_watermark) if previous.high_watermark else None
        return WatermarkRange(low, high)
    marks = [m for m in (store.get_watermark(contract.name), _lake_watermark(contract, settings)) if m]
    return WatermarkRange(low=max(marks, default=None))
