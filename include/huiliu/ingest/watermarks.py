"""Which rows an incremental extraction reads.

A batch's window ``(low, high]`` runs from the dataset's watermark to the end of the run's data
interval (never later than now), so a source row dated in the future waits for the batch whose
window holds it instead of moving the watermark past today. The window is fixed by the batch's first
attempt and kept for every re-run of the same batch id, so a re-run re-reads exactly the rows it
landed before, never newer ones (which belong to later batches) and never fewer. The window is
recorded twice: in the governance store and in the summary of the Iceberg snapshot that committed
the batch, which wins when the two disagree (a store update lost after the lake commit).
"""

from __future__ import annotations

import logging
from datetime import datetime

from pyiceberg.exceptions import NoSuchTableError
from pyiceberg.table import Table

from huiliu.contracts.model import DatasetContract
from huiliu.lake.catalog import get_catalog
from huiliu.settings import Settings
from huiliu.sources.sql import WatermarkRange
from huiliu.store import batches as store
from huiliu.store.statuses import BatchStatus

log = logging.getLogger(__name__)
WINDOW_LOW = "huiliu.window-low"
WINDOW_HIGH = "huiliu.window-high"
WATERMARK = "huiliu.watermark"
EMPTY_FLOOR = datetime(1, 1, 1)
"""The ``high`` of an empty first batch: its window ``(None, EMPTY_FLOOR]`` holds no rows."""


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _landing_table(contract: DatasetContract, settings: Settings) -> Table | None:
    try:
        return get_catalog(settings).load_table(contract.landing_table)
    except NoSuchTableError:
        return None


def _summaries(table: Table | None) -> list[dict[str, str]]:
    if table is None:
        return []
    return [s.summary.additional_properties for s in table.snapshots() if s.summary is not None]


def _lake_window(summaries: list[dict[str, str]], batch_id: str) -> WatermarkRange | None:
    """The window recorded by the latest commit of this batch id, if the lake has one."""
    mine = [p for p in summaries if p.get("huiliu.batch_id") == batch_id and WATERMARK in p]
    if not mine:
        return None
    return WatermarkRange(_parse(mine[-1].get(WINDOW_LOW)), _parse(mine[-1][WATERMARK]), landed=True)


def _lake_watermarks(summaries: list[dict[str, str]]) -> list[datetime]:
    return [datetime.fromisoformat(p[WATERMARK]) for p in summaries if WATERMARK in p]


def incremental_window(
    contract: DatasetContract, batch_id: str, settings: Settings, end: datetime
) -> WatermarkRange:
    """The window of a batch: its recorded window on a re-run, else from the last mark to ``end``.

    A mark later than ``end`` (left by a batch landed before windows had an end, from a source
    row dated in the future) is not trusted: the window starts at the latest mark not after ``end``.
    """
    if contract.extraction.mode != "incremental":
        return WatermarkRange()
    summaries = _summaries(_landing_table(contract, settings))
    recorded = _lake_window(summaries, batch_id)
    if recorded is not None:
        return recorded
    previous = store.get_batch(batch_id)
    if previous is not None:
        low, high = _parse(previous.low_watermark), _parse(previous.high_watermark)
        if previous.status == BatchStatus.COMMITTED:
            return WatermarkRange(low, high, landed=True)
        return WatermarkRange(low, high or end)  # an attempt that failed: its end, or this run's
    marks = [m for m in (store.get_watermark(contract.name), *_lake_watermarks(summaries)) if m]
    future = [m for m in marks if m > end]
    if future:
        log.warning(
            "dataset %s: a watermark (%s) is after the window end %s; starting from the latest mark "
            "before it, so rows updated since are landed",
            contract.name,
            max(future).isoformat(),
            end.isoformat(),
        )
    return WatermarkRange(low=max((m for m in marks if m <= end), default=None), high=end)


def closed_high(window: WatermarkRange, landed_max: datetime | None) -> datetime:
    """The ``high`` to record for a batch: the largest cursor landed, or, when it landed nothing,
    the mark it was re-run with or else its ``low`` (an empty batch holds no rows on a re-run)."""
    if landed_max is not None:
        return landed_max if window.high is None else min(landed_max, window.high)
    if window.landed and window.high is not None:
        return window.high
    return window.low or EMPTY_FLOOR
