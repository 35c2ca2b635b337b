"""Pulling one unit's extract on demand, with exactly the push path's scope, policy and guard.

:func:`pull_extract` plans the unit's grant under today's policy (:func:`huiliu.returnflow.push.grant_plans`)
and serves the curated snapshot asked for (the current one by default) through the same one-pass
delivery as the push (:func:`huiliu.returnflow.delivery.deliver_snapshot`), into a scratch outbox
that is removed once the file has been sent. When the unit's last push delivery was made from that
very snapshot under that very policy, after the last correction was applied, its published file is
served instead (the same bytes). An
older snapshot is served under today's policy, never the one it was first delivered under.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from huiliu.contracts.model import DatasetContract
from huiliu.errors import ExtractUnavailableError, LakeError, NotFoundError
from huiliu.lineage.emitter import LineageEmitter, track_run
from huiliu.lineage.naming import job_name, lake_dataset
from huiliu.policy.grants import GrantView
from huiliu.policy.rules import ReturnPolicy
from huiliu.returnflow.corrections import applied_notices, last_applied_at, notices_for
from huiliu.returnflow.delivery import ExtractOpening, ExtractPlan, ExtractWriter, deliver_snapshot
from huiliu.returnflow.export_formats import OutputFormat
from huiliu.returnflow.lineage import delivered_files
from huiliu.returnflow.manifest import DeliveryManifest
from huiliu.returnflow.outbox import open_delivery, read_manifest
from huiliu.returnflow.overlay import load_overlay
from huiliu.returnflow.push import describe, fingerprint_key, grant_plans
from huiliu.returnflow.records import DeliveryStatus, last_delivered, new_delivery_id
from huiliu.returnflow.service import standing_releases
from huiliu.returnflow.snapshot import CuratedSnapshot
from huiliu.settings import Settings
from huiliu.store.models import utcnow


@dataclass(frozen=True, kw_only=True)
class PulledExtract:
    """One unit's extract in one format, ready to be sent.

    Attributes:
        plan: the grant's plan under today's policy.
        snapshot_id: the curated snapshot served.
        delivery_id: the push delivery whose file this is, or the pull's own id.
        file: the data file to send.
        format: its format.
        rows: rows in it.
        sha256: its SHA-256 (as the manifest records it).
        scratch: a folder to remove once the file has been sent (None: a published push delivery).
    """

    plan: ExtractPlan
    snapshot_id: int
    delivery_id: str
    file: Path
    format: OutputFormat
    rows: int
    sha256: str
    scratch: Path | None = None

    def discard(self) -> None:
        """Remove the scratch outbox of a pull (a push delivery's files stay)."""
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def _not_found() -> NotFoundError:
    return NotFoundError("没有该数据集或快照 / no such dataset or snapshot for this unit")


def _snapshot(contract: DatasetContract, snapshot_id: int | None) -> CuratedSnapshot:
    try:
        snapshot = CuratedSnapshot(contract, snapshot_id, overlay=load_overlay(contract))
    except LakeError:
        raise _not_found() from None
    if snapshot.snapshot_id is None:
        raise _not_found()
    return snapshot


def _file_of(manifest: DeliveryManifest, folder: Path, fmt: OutputFormat) -> tuple[Path, str] | None:
    for delivered in manifest.files:
        if delivered.format == fmt.value:
            return folder / delivered.name, delivered.sha256
    return None


def _published(
    plan: ExtractPlan, snapshot_id: int, fmt: OutputFormat, settings: Settings
) -> PulledExtract | None:
    """The unit's last push delivery of the same snapshot under the same policy, if it holds ``fmt``."""
    last = last_delivered(plan.grant.id)
    if last is None or last.snapshot_id != snapshot_id or last.policy_version != plan.policy_version:
        return None
    corrected = last_applied_at(last.dataset)
    if corrected is not None and corrected >= last.created_at:
        return None  # a correction was applied since: the published file lacks it
    manifest = read_manifest(settings.outbox_path, last.unit_code, last.dataset, last.id)
    found = _file_of(manifest, Path(last.outbox_path or ""), fmt) if manifest else None
    if manifest is None or found is None or not found[0].is_file():
        return None
    return PulledExtract(
        plan=plan,
        snapshot_id=snapshot_id,
        delivery_id=last.id,
        file=found[0],
        format=fmt,
        rows=manifest.rows,
        sha256=found[1],
    )


def pull_extract(
    contract: DatasetContract,
    grant: GrantView,
    fmt: OutputFormat,
    *,
    settings: Settings,
    policy: ReturnPolicy,
    snapshot_id: int | None = None,
    now: datetime | None = None,
) -> PulledExtract:
    """The grant's extract of a curated snapshot, in one format.

    Args:
        contract: the dataset.
        grant: the unit's active grant of it (the caller checks that it is the unit's and active).
        fmt: the format wanted.
        settings: where the outbox, scratch space and keys are.
        policy: the return policy in force today.
        snapshot_id: a snapshot of the curated table; None for the current one.
        now: the moment of the pull (the 说明's delivery time).

    Raises:
        NotFoundError: no such snapshot, or the policy returns nothing of the dataset to the unit's tier.
        ExtractUnavailableError: the guard holds the unit's extract for a compliance officer, or nothing of
            the unit's area is in the snapshot.
    """
    snapshot = _snapshot(contract, snapshot_id)
    assert snapshot.snapshot_id is not None
    plans = grant_plans(contract, [grant], policy=policy, settings=settings)
    if not plans:
        raise _not_found()
    plan = plans[0]
    published = _published(plan, snapshot.snapshot_id, fmt, settings)
    if published is not None:
        return published
    scratch = settings.home / "portal" / "pulls" / secrets.token_hex(8)
    delivered_at = now or utcnow()

    notices = notices_for(grant.id, applied_notices(contract.name))

    def open_writer(opening: ExtractOpening) -> ExtractWriter:
        description = describe(contract, opening, delivered_at)
        return open_delivery(
            scratch,
            description,
            opening.schema,
            formats=(fmt,),
            zone=settings.timezone,
            notices=notices,
            key_columns=contract.schema_.primary_key,
        )

    try:
        (outcome,) = deliver_snapshot(
            snapshot,
            contract,
            plans,
            levels={grant.unit_code: grant.unit_level},
            open_writer=open_writer,
            new_id=new_delivery_id,
            fingerprint_key=fingerprint_key(settings),
            released=frozenset(standing_releases(plans, snapshot.snapshot_id)),
        )
        if outcome.status is not DeliveryStatus.DELIVERED or outcome.outbox_path is None:
            raise ExtractUnavailableError(dataset=contract.name, held=outcome.status is DeliveryStatus.HELD)
        manifest = read_manifest(scratch, grant.unit_code, contract.name, outcome.delivery_id)
        found = _file_of(manifest, Path(outcome.outbox_path), fmt) if manifest else None
        if found is None:
            raise LakeError(f"the pulled extract of {contract.name} was not written; see the portal's log")
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return PulledExtract(
        plan=plan,
        snapshot_id=snapshot.snapshot_id,
        delivery_id=outcome.delivery_id,
        file=found[0],
        format=fmt,
        rows=outcome.rows,
        sha256=found[1],
        scratch=scratch,
    )


def record_pull_lineage(
    extract: PulledExtract, contract: DatasetContract, emitter: LineageEmitter | None = None
) -> None:
    """The pull as a lineage run: curated → the file in the unit's namespace, with column lineage."""
    unit = extract.plan.grant.unit_code
    source = lake_dataset(contract.curated_table)
    scope = f"单位 {unit} 辖区内各记录的现行版本 / the current records in unit {unit}'s area"
    with track_run(
        emitter or LineageEmitter(), job=job_name(contract.name, "pull", "return"), inputs=[source]
    ) as run:
        for ref in delivered_files(unit, [extract.file], source, extract.plan.columns, scope):
            run.add_output(ref)
