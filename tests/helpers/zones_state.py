"""What a reader sees of one batch in curated and quarantine, and which commit each zone shows."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow.compute as pc

from huiliu.contracts import DatasetContract
from huiliu.errors import LakeError
from huiliu.lake.catalog import lake_table
from huiliu.quality.gate import GATE_RUN_PROPERTY
from huiliu.quality.records import curated_row_filter
from huiliu.settings import Settings


@dataclass(frozen=True)
class ZoneState:
    """The gate run whose commit each zone shows for a batch, and the batch's rows in each."""

    curated_run: str | None
    quarantine_run: str | None
    curated_rows: int
    quarantine_rows: int

    @property
    def mixed(self) -> bool:
        """The two zones show different gate runs of the batch (one changed without the other)."""
        return self.curated_run != self.quarantine_run


def _latest_run(identifier: str, batch_id: str, settings: Settings) -> tuple[str | None, int]:
    try:
        table = lake_table(identifier, settings=settings)
    except LakeError:
        return None, 0
    snapshot = table.current_snapshot()
    run = None
    while snapshot is not None:
        properties = snapshot.summary.additional_properties if snapshot.summary else {}
        if properties.get("huiliu.batch_id") == batch_id:
            run = properties.get(GATE_RUN_PROPERTY)
            break
        snapshot = table.snapshot_by_id(snapshot.parent_snapshot_id) if snapshot.parent_snapshot_id else None
    data = table.scan(selected_fields=("_batch_id",)).to_arrow()
    return run, pc.sum(pc.equal(data["_batch_id"], batch_id)).as_py() or 0


def zone_state(contract: DatasetContract, batch_id: str, settings: Settings) -> ZoneState:
    curated_run, curated_rows = _latest_run(contract.curated_table, batch_id, settings)
    quarantine_run, quarantine_rows = _latest_run(contract.quarantine_table, batch_id, settings)
    return ZoneState(curated_run, quarantine_run, curated_rows, quarantine_rows)


def curated_ids(contract: DatasetContract, settings: Settings) -> list[str]:
    """The key values a reader of curated sees (releases in flight left out)."""
    table = lake_table(contract.curated_table, settings=settings)
    key = contract.schema_.primary_key[0]
    return (
        table.scan(row_filter=curated_row_filter(contract.name), selected_fields=(key,))
        .to_arrow()[key]
        .to_pylist()
    )
