"""Datasets, landing batches and watermarks in the governance store."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from huiliu.contracts.model import DatasetContract
from huiliu.store.db import session_scope
from huiliu.store.models import DatasetRecord, IngestBatch, Watermark, utcnow
from huiliu.store.statuses import BatchStatus


def contract_digest(contract: DatasetContract) -> str:
    return hashlib.sha256(contract.model_dump_json(by_alias=True).encode()).hexdigest()


def register_dataset(contract: DatasetContract, url: str | None = None) -> None:
    """Insert or refresh the dataset's registry entry from its contract.

    Two processes registering a new dataset at once both try to insert it; the one that loses
    finds the other's row and refreshes it.
    """
    for attempt in range(2):
        try:
            with session_scope(url) as session:
                record = session.get(DatasetRecord, contract.name) or DatasetRecord(name=contract.name)
                record.title = contract.title
                record.owner_department = contract.owner.department
                record.department_code = contract.owner.department_code
                record.steward = contract.owner.steward
                record.sharing_class = contract.classification.sharing_class.value
                record.sensitivity = contract.classification.sensitivity.value
                record.contract_sha256 = contract_digest(contract)
                session.add(record)
            return
        except IntegrityError:
            if attempt:
                raise


def get_batch(batch_id: str, url: str | None = None) -> IngestBatch | None:
    with session_scope(url) as session:
        return session.get(IngestBatch, batch_id)


def start_batch(
    batch_id: str,
    dataset: str,
    run_key: str,
    source: str,
    low: str | None,
    high: str | None,
    url: str | None = None,
) -> None:
    """Mark a batch as running (a re-run of the same batch id reuses its row)."""
    with session_scope(url) as session:
        batch = session.get(IngestBatch, batch_id) or IngestBatch(batch_id=batch_id, dataset=dataset)
        batch.run_key = run_key
        batch.source = source
        batch.status = BatchStatus.RUNNING
        batch.low_watermark = low
        batch.high_watermark = high
        batch.attempts = (batch.attempts or 0) + 1
        batch.started_at = utcnow()
        batch.finished_at = None
        batch.message = None
        session.add(batch)


def finish_batch(
    batch_id: str,
    status: BatchStatus,
    *,
    rows: int = 0,
    snapshot_id: int | None = None,
    high: str | None = None,
    drift: dict[str, Any] | None = None,
    message: str | None = None,
    url: str | None = None,
) -> None:
    with session_scope(url) as session:
        batch = session.get(IngestBatch, batch_id)
        if batch is None:
            return
        batch.status = status
        batch.rows = rows
        batch.snapshot_id = snapshot_id
        if high is not None:
            batch.high_watermark = high
        batch.drift = drift or {}
        batch.message = message
        batch.finished_at = utcnow()


def batches_of(dataset: str, url: str | None = None) -> list[IngestBatch]:
    with session_scope(url) as session:
        rows = session.scalars(
            select(IngestBatch).where(IngestBatch.dataset == dataset).order_by(IngestBatch.started_at)
        )
        return list(rows)


def get_watermark(dataset: str, url: str | None = None) -> datetime | None:
    with session_scope(url) as session:
        mark = session.get(Watermark, dataset)
        return datetime.fromisoformat(mark.value) if mark else None


def set_watermark(
    dataset: str, cursor_column: str, value: datetime, batch_id: str, url: str | None = None
) -> None:
    """Advance the watermark (never moves it backwards)."""
    with session_scope(url) as session:
        mark = session.get(Watermark, dataset)
        if mark is not None and datetime.fromisoformat(mark.value) >= value:
            return
        mark = mark or Watermark(dataset=dataset)
        mark.cursor_column = cursor_column
        mark.value = value.isoformat()
        mark.batch_id = batch_id
        session.add(mark)
