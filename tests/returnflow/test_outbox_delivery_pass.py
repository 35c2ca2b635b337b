"""The outbox as the delivery pass's writer: one pass over a real curated table fills each unit's outbox,
each delivery published whole with its manifest, and 'who received record X' finds the units."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from tests.helpers.deliveries import COMMUNITIES, KEY, STREET, append_curated, plan, residents

from huiliu.contracts import load_contract
from huiliu.contracts.model import DatasetContract
from huiliu.returnflow.delivery import (
    ExtractOpening,
    ExtractPlan,
    ExtractWriter,
    deliver_snapshot,
    fingerprint,
)
from huiliu.returnflow.manifest import DeliveredColumn, DeliveryDescription
from huiliu.returnflow.outbox import open_delivery
from huiliu.returnflow.receipts import received
from huiliu.returnflow.records import DeliveryStatus
from huiliu.returnflow.snapshot import CuratedSnapshot
from huiliu.settings import Settings

AT = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def registry(huiliu_home: Settings) -> Iterator[DatasetContract]:
    contract = load_contract("resident_registry")
    append_curated(contract, residents(6, COMMUNITIES[0], 0), "b1", AT)
    append_curated(contract, residents(6, COMMUNITIES[1], 100), "b1", AT)
    yield contract


def _describe(
    p: ExtractPlan, delivery_id: str, schema: pa.Schema, snapshot: CuratedSnapshot
) -> DeliveryDescription:
    actions = {c.name: c for c in p.columns}
    return DeliveryDescription(
        delivery_id=delivery_id,
        grant_id=p.grant.id,
        unit_code=p.grant.unit_code,
        unit_name=p.grant.unit_name,
        dataset="resident_registry",
        dataset_title="人口基础信息",
        department="公安局",
        steward="李管理",
        steward_contact="0851-85550000",
        snapshot_id=snapshot.snapshot_id or 0,
        snapshot_committed_at=snapshot.committed_at or AT,
        policy_version=p.policy_version,
        delivered_at=AT,
        columns=tuple(
            DeliveredColumn(name=n, action=actions[n].action if n in actions else "keep")
            for n in schema.names
        ),
        correction_zh="在门户提交",
        correction_en="on the portal",
    )


def test_one_pass_fills_each_units_outbox(registry: DatasetContract, tmp_path: Path) -> None:
    snapshot = CuratedSnapshot(registry)

    def open_writer(o: ExtractOpening) -> ExtractWriter:
        return open_delivery(
            tmp_path, _describe(o.plan, o.delivery_id, o.schema, snapshot), o.schema, zone="Asia/Shanghai"
        )

    ids = iter(f"D{i}" for i in range(10))
    outcomes = deliver_snapshot(
        snapshot,
        registry,
        [plan(STREET), plan(COMMUNITIES[0])],
        levels={STREET: "street", COMMUNITIES[0]: "community"},
        open_writer=open_writer,
        new_id=lambda: next(ids),
        fingerprint_key=KEY,
    )

    assert [o.status for o in outcomes] == [DeliveryStatus.DELIVERED] * 2
    street, community = outcomes
    assert street.outbox_path == str(tmp_path / STREET / "resident_registry" / street.delivery_id)
    assert pq.read_table(Path(street.outbox_path) / "resident_registry.parquet").num_rows == 12
    assert sorted(p.name for p in Path(community.outbox_path or "").iterdir()) == [
        "fingerprints.parquet",
        "manifest.json",
        "resident_registry.csv",
        "resident_registry.parquet",
        "resident_registry.xlsx",
    ]
    key = list(registry.schema_.primary_key)
    found = snapshot.columns([*key, "community_code"])
    mine = found.filter(pc.equal(found.column("community_code"), COMMUNITIES[0])).select(key).slice(0, 1)
    wanted = fingerprint(mine, KEY)[0].as_py()
    assert [r.unit_code for r in received(tmp_path, wanted)] == [STREET, COMMUNITIES[0]]
