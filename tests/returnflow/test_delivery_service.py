"""Delivering a dataset to its active grants: records, lineage, unchanged re-runs, lapsed grants withdrawn."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.helpers.deliveries import (
    COMMUNITIES,
    KEY,
    ParquetWriter,
    append_curated,
    approved_grant,
    approvers,
    plan,
    residents,
)
from typer.testing import CliRunner

from huiliu.cli.main import app
from huiliu.contracts import load_contract
from huiliu.contracts.model import DatasetContract
from huiliu.lineage.naming import lake_dataset
from huiliu.lineage.queries import downstream
from huiliu.policy.grants import GrantView, revoke_grant
from huiliu.returnflow.delivery import ExtractOpening, ExtractPlan
from huiliu.returnflow.lineage import unit_namespace
from huiliu.returnflow.records import Delivery, DeliveryStatus, deliveries
from huiliu.returnflow.service import DeliveryRun, deliver_dataset
from huiliu.settings import Settings

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


@pytest.fixture
def granted(huiliu_home: Settings) -> dict[str, GrantView]:
    """resident_registry in curated, and approved grants for two communities (one expiring soon)."""
    contract = load_contract("resident_registry")
    append_curated(contract, residents(6, COMMUNITIES[0], 0), "b1", datetime(2026, 11, 1, tzinfo=UTC))
    append_curated(contract, residents(6, COMMUNITIES[1], 100), "b1", datetime(2026, 11, 1, tzinfo=UTC))
    approvers()
    return {
        community: approved_grant(contract, community, NOW, days=30 if i else 365)
        for i, community in enumerate(COMMUNITIES[:2])
    }


def _deliver(tmp_path: Path, now: datetime = NOW, withdrawn: list[Delivery] | None = None) -> DeliveryRun:
    def plan_grants(_contract: DatasetContract, grants: Sequence[GrantView]) -> list[ExtractPlan]:
        return [plan(g) for g in grants]

    def open_writer(o: ExtractOpening) -> ParquetWriter:
        return ParquetWriter(tmp_path / o.plan.grant.unit_code / o.delivery_id, o.schema)

    def withdraw(delivery: Delivery) -> None:
        (withdrawn if withdrawn is not None else []).append(delivery)
        shutil.rmtree(delivery.outbox_path or "", ignore_errors=True)

    return deliver_dataset(
        load_contract("resident_registry"),
        plan_grants=plan_grants,
        open_writer=open_writer,
        withdraw=withdraw,
        fingerprint_key=KEY,
        now=now,
    )


def test_a_run_delivers_records_and_traces_every_active_grant(
    granted: dict[str, GrantView], tmp_path: Path
) -> None:
    run = _deliver(tmp_path)

    assert {o.plan.grant.unit_code: (o.status, o.rows) for o in run.outcomes} == {
        COMMUNITIES[0]: (DeliveryStatus.DELIVERED, 6),
        COMMUNITIES[1]: (DeliveryStatus.DELIVERED, 6),
    }
    stored = {d.unit_code: d for d in deliveries(dataset="resident_registry")}
    assert (
        stored[COMMUNITIES[0]].snapshot_id == run.snapshot_id
        and stored[COMMUNITIES[0]].policy_version == "test-1"
    )
    assert Path(stored[COMMUNITIES[0]].outbox_path or "").is_dir()

    curated = lake_dataset("curated.resident_registry")
    reached = {ref.namespace for ref in downstream(curated.namespace, curated.name)}
    assert {unit_namespace(c) for c in COMMUNITIES[:2]} <= reached


def test_a_rerun_without_changes_delivers_nothing_new(granted: dict[str, GrantView], tmp_path: Path) -> None:
    _deliver(tmp_path / "one")
    again = _deliver(tmp_path / "two")

    assert {o.status for o in again.outcomes} == {DeliveryStatus.UNCHANGED}
    assert not (tmp_path / "two").exists()
    statuses = sorted(d.status.value for d in deliveries(dataset="resident_registry"))
    assert statuses == ["delivered", "delivered", "unchanged", "unchanged"]


def test_revoked_and_expired_grants_get_nothing_and_their_files_are_withdrawn(
    granted: dict[str, GrantView], tmp_path: Path
) -> None:
    first = _deliver(tmp_path)
    revoke_grant(granted[COMMUNITIES[0]].id, load_contract, by="officer", reason="社区合并", now=NOW)
    later = NOW + timedelta(days=31)  # the second grant has expired by then
    withdrawn: list[Delivery] = []

    run = _deliver(tmp_path, now=later, withdrawn=withdrawn)

    assert run.outcomes == () and len(run.withdrawn) == 2
    assert {d.unit_code for d in withdrawn} == set(COMMUNITIES[:2])
    assert not any(Path(o.outbox_path or "x").exists() for o in first.outcomes)
    assert {d.status for d in deliveries(dataset="resident_registry")} == {DeliveryStatus.WITHDRAWN}


def test_deliveries_are_listed_and_shown_with_the_guards_counts(
    granted: dict[str, GrantView], tmp_path: Path
) -> None:
    run = _deliver(tmp_path)
    runner = CliRunner()
    listed = runner.invoke(app, ["deliveries", "list", "--unit", "520102016", "--json"])
    assert listed.exit_code == 0, listed.output
    assert {d["id"] for d in json.loads(listed.stdout)} == {o.delivery_id for o in run.outcomes}
    shown = runner.invoke(app, ["deliveries", "show", run.outcomes[0].delivery_id])
    assert shown.exit_code == 0 and "已交付" in shown.stdout and "再识别防护" in shown.stdout
    missing = runner.invoke(app, ["deliveries", "show", "Dnope"])
    assert missing.exit_code == 1 and "no delivery Dnope" in missing.stderr
