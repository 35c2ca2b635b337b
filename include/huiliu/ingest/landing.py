"""Land one batch of a dataset: extract → stage Parquet → one Iceberg commit → bookkeeping.

A batch is identified by ``<dataset>:<run key>``, and landing a run key again replaces that batch
instead of adding rows. A SQL extraction's run key is its Airflow run's logical date
(``YYYYMMDDTHHMMSS``; the run id when it has none); incremental extractions re-read the same
watermark window on a re-run, so an idempotent re-run also sees the same rows.

A dropped file is keyed by its name, not by its content: its run key is ``file-<file name>``. A
corrected file re-sent under the same name replaces the batch of the earlier one; the same content
dropped under another name lands as a batch of its own. The file's SHA-256 is only recorded with its
batch, as provenance (``<path> sha256:<digest>``).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict, final
from zoneinfo import ZoneInfo

import pyarrow as pa

from huiliu import faults
from huiliu.contracts.model import DatasetContract, FileSource, SqlSource
from huiliu.errors import ConfigurationError, FileRejectedError, safe_message
from huiliu.ingest.identifiers import IdentifierNormalizer
from huiliu.ingest.watermarks import WATERMARK, WINDOW_HIGH, WINDOW_LOW, closed_high, incremental_window
from huiliu.lake.catalog import lake_table
from huiliu.lake.schema import landing_schema, with_meta_columns
from huiliu.lake.writer import CommittedBatch, StagedBatchWriter
from huiliu.lineage.emitter import LineageEmitter, track_run
from huiliu.lineage.events import contract_facets, output_statistics_facet, schema_facet
from huiliu.lineage.naming import DatasetRef, file_dataset, job_name, lake_dataset, source_dataset
from huiliu.settings import Settings, get_settings
from huiliu.sources.connections import resolve_connection, resolve_drop_folder
from huiliu.sources.dropbox import accept_file, refuse_link, reject_file, scan_drop_folder
from huiliu.sources.encoding import open_dropped
from huiliu.sources.files import open_file
from huiliu.sources.prefetch import prefetch
from huiliu.sources.sql import SqlExtraction
from huiliu.store import batches as store
from huiliu.store.leases import dataset_lease
from huiliu.store.statuses import BatchStatus

log = logging.getLogger(__name__)
Hook = Callable[[], None]


@final  # no other keys, so ``"batch_id" in landed`` tells it from a drop folder's result
class LandingRecord(TypedDict):
    """One landing run as JSON (what the ``land`` task returns for a SQL source)."""

    dataset: str
    batch_id: str
    status: str
    rows: int
    files: int
    snapshot_id: int | None
    source: str
    seconds: float
    high_watermark: str | None
    drift: dict[str, Any]


@dataclass(frozen=True)
class LandingResult:
    """What one landing run did."""

    dataset: str
    batch_id: str
    status: str
    rows: int
    files: int
    snapshot_id: int | None
    source: str
    seconds: float
    high_watermark: str | None = None
    drift: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> LandingRecord:
        return {
            "dataset": self.dataset,
            "batch_id": self.batch_id,
            "status": self.status,
            "rows": self.rows,
            "files": self.files,
            "snapshot_id": self.snapshot_id,
            "source": self.source,
            "seconds": self.seconds,
            "high_watermark": self.high_watermark,
            "drift": self.drift,
        }


def batch_id_for(dataset: str, run_key: str) -> str:
    return f"{dataset}:{run_key}"


def _stamped(
    batches: Iterable[pa.RecordBatch], schema: pa.Schema, batch_id: str, source: str
) -> Iterator[pa.RecordBatch]:
    ingested_at = datetime.now(UTC)
    for batch in batches:
        yield with_meta_columns(batch, schema, batch_id, ingested_at, source)


def _write_and_commit(plan: _Plan) -> CommittedBatch:
    schema = landing_schema(plan.contract)
    table = lake_table(plan.contract.landing_table, schema, plan.settings)
    source = map(plan.identifiers, plan.batches)
    batches = prefetch(_stamped(source, schema, plan.batch_id, plan.source_label))
    with closing(batches), StagedBatchWriter(table, plan.batch_id, schema) as writer:
        for batch in batches:
            writer.write(batch)
        if plan.before_commit is not None:
            plan.before_commit()
        faults.crash_point("landing.files_written")
        return writer.commit(plan.properties())


def window_end(until: datetime | None, settings: Settings) -> datetime:
    """The upper bound of an incremental window as the lake's naive wall-clock time (never later
    than now)."""
    now = datetime.now(UTC)
    moment = now if until is None else min(until if until.tzinfo else until.replace(tzinfo=UTC), now)
    return moment.astimezone(ZoneInfo(settings.timezone)).replace(tzinfo=None)


def _lake_output(
    contract: DatasetContract, settings: Settings, rows: int | None = None, size: int | None = None
) -> DatasetRef:
    ref = lake_dataset(contract.landing_table, settings)
    facets = {"schema": schema_facet(landing_schema(contract)), **contract_facets(contract)}
    if rows is not None:
        facets["outputStatistics"] = output_statistics_facet(rows, size)
    return ref.with_facets(**facets)


@dataclass
class _Plan:
    """One landing batch, whatever its source: what to read, where from, and the hooks around it."""

    contract: DatasetContract
    batch_id: str
    source_label: str
    input_ref: DatasetRef
    batches: Iterable[pa.RecordBatch]
    settings: Settings
    emitter: LineageEmitter
    parent: tuple[str, str, str] | None
    properties: Callable[[], dict[str, str]] = dict
    before_write: Callable[[], object] | None = None  # a check; what it returns is not used
    before_commit: Hook | None = None
    started: float = field(default_factory=time.perf_counter)
    identifiers: IdentifierNormalizer = field(init=False)

    def __post_init__(self) -> None:
        self.identifiers = IdentifierNormalizer(self.contract)


def _land(plan: _Plan) -> CommittedBatch:
    """Run one batch under lineage tracking; a failure marks the batch failed (or rejected)."""
    contract, settings = plan.contract, plan.settings
    try:
        with track_run(
            plan.emitter,
            job=job_name(contract.name, "land"),
            namespace=settings.lineage_namespace,
            inputs=[plan.input_ref],
            outputs=[_lake_output(contract, settings)],
            parent=plan.parent,
        ) as run:
            if plan.before_write is not None:
                plan.before_write()
            committed = _write_and_commit(plan)
            run.outputs = [_lake_output(contract, settings, committed.rows, committed.bytes)]
    except Exception as exc:
        status = BatchStatus.REJECTED if isinstance(exc, FileRejectedError) else BatchStatus.FAILED
        store.finish_batch(plan.batch_id, status, message=safe_message(exc))
        raise
    return committed


def _committed(
    plan: _Plan, committed: CommittedBatch, high: str | None, drift: dict[str, Any]
) -> LandingResult:
    """Record the batch as committed in the governance store and describe it."""
    store.finish_batch(
        plan.batch_id,
        BatchStatus.COMMITTED,
        rows=committed.rows,
        snapshot_id=committed.snapshot_id,
        high=high,
        drift=drift,
    )
    return LandingResult(
        dataset=plan.contract.name,
        batch_id=plan.batch_id,
        status=BatchStatus.COMMITTED,
        rows=committed.rows,
        files=committed.files,
        snapshot_id=committed.snapshot_id,
        source=plan.source_label,
        seconds=time.perf_counter() - plan.started,
        high_watermark=high,
        drift=drift,
    )


def land_dataset(
    contract: DatasetContract,
    run_key: str,
    *,
    settings: Settings | None = None,
    emitter: LineageEmitter | None = None,
    parent: tuple[str, str, str] | None = None,
    before_commit: Hook | None = None,
    until: datetime | None = None,
) -> LandingResult:
    """Extract a SQL-sourced dataset and commit it as one landing batch.

    An incremental extraction reads rows whose cursor is past the dataset's watermark and at most
    ``until`` (the run's data interval end; now when omitted), so a row dated in the future never
    moves the watermark past today: it lands with the batch whose window holds it.
    """
    if not isinstance(contract.source, SqlSource):
        raise ConfigurationError(
            f"dataset {contract.name} is delivered as files: use land_drop_folder or ingest-file"
        )
    settings = settings or get_settings()
    store.register_dataset(contract)
    url = resolve_connection(contract.source.connection, settings)
    batch_id = batch_id_for(contract.name, run_key)
    with dataset_lease(contract.name, "landing"):
        return _land_sql(contract, batch_id, run_key, url, settings, emitter, parent, before_commit, until)


def _land_sql(
    contract: DatasetContract,
    batch_id: str,
    run_key: str,
    url: str,
    settings: Settings,
    emitter: LineageEmitter | None,
    parent: tuple[str, str, str] | None,
    before_commit: Hook | None,
    until: datetime | None,
) -> LandingResult:
    window = incremental_window(contract, batch_id, settings, window_end(until, settings))
    extraction = SqlExtraction(contract, url, settings.batch_rows, window, settings.timezone)

    incremental = contract.extraction.mode == "incremental"

    def properties() -> dict[str, str]:
        """The batch's window, recorded in the Iceberg snapshot that commits it."""
        if not incremental:
            return {}
        recorded = {WATERMARK: closed_high(window, extraction.high_watermark).isoformat()}
        if window.low is not None:
            recorded[WINDOW_LOW] = window.low.isoformat()
        if window.high is not None:
            recorded[WINDOW_HIGH] = window.high.isoformat()
        return recorded

    low, high = (m.isoformat() if m else None for m in (window.low, window.high))
    store.start_batch(batch_id, contract.name, run_key, extraction.where, low, high)
    source_ref = source_dataset(url, extraction.qualified_table or f"{contract.name}_query")
    plan = _Plan(
        contract,
        batch_id,
        extraction.where,
        source_ref,
        extraction,
        settings,
        emitter or LineageEmitter(),
        parent,
        properties=properties,
        before_write=extraction.check,
        before_commit=before_commit,
    )
    committed = _land(plan)
    faults.crash_point("landing.lake_committed")
    landed_max = extraction.high_watermark
    cursor = contract.extraction.cursor_column
    if landed_max is not None and cursor is not None:
        store.set_watermark(contract.name, cursor, closed_high(window, landed_max), batch_id)
    high = closed_high(window, landed_max).isoformat() if incremental else None
    drift = {**extraction.drift.as_dict(), **plan.identifiers.drift()}
    if extraction.rows_after_window:
        drift["rows_after_window"] = extraction.rows_after_window
        log.warning(
            "dataset %s: %d source rows have %s after this batch's window end %s; they land with "
            "the batch whose window holds them",
            contract.name,
            extraction.rows_after_window,
            cursor,
            window.high.isoformat() if window.high else None,
        )
    if not extraction.drift.empty or plan.identifiers.changed:
        log.warning("dataset %s: source drift recorded: %s", contract.name, drift)
    return _committed(plan, committed, high, drift)


def file_run_key(path: Path) -> str:
    """A delivery is identified by its file name: a corrected re-send of the same file replaces it."""
    return "file-" + path.name


def file_digest(path: Path) -> str:
    """The SHA-256 of a delivered file, kept with its batch as provenance.

    The file is opened as the readers open it (:func:`~huiliu.sources.encoding.open_dropped`).

    Raises:
        FileRejectedError: the path is a symbolic link (never followed).
        ConfigurationError: there is no such file, or it is a folder, a pipe or a device.
    """
    digest = hashlib.sha256()
    with open_dropped(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def land_file(
    contract: DatasetContract,
    path: Path,
    *,
    settings: Settings | None = None,
    emitter: LineageEmitter | None = None,
    parent: tuple[str, str, str] | None = None,
    move_rejected: bool = True,
    before_commit: Hook | None = None,
) -> LandingResult:
    """Land one dropped CSV/XLSX file; a bad file is moved to ``rejected/`` and nothing is written.

    Raises:
        FileRejectedError: the file cannot be landed (its reason names file, line and column).
    """
    if not isinstance(contract.source, FileSource):
        raise ConfigurationError(f"dataset {contract.name} is read from a database, not from files")
    settings = settings or get_settings()
    store.register_dataset(contract)
    try:
        digest = file_digest(path)
    except FileRejectedError as exc:
        if move_rejected:
            reject_file(path, exc)
        raise
    with dataset_lease(contract.name, "landing"):
        return _land_one_file(contract, path, digest, settings, emitter, parent, move_rejected, before_commit)


def _land_one_file(
    contract: DatasetContract,
    path: Path,
    digest: str,
    settings: Settings,
    emitter: LineageEmitter | None,
    parent: tuple[str, str, str] | None,
    move_rejected: bool,
    before_commit: Hook | None,
) -> LandingResult:
    run_key = file_run_key(path)
    batch_id = batch_id_for(contract.name, run_key)
    extraction = open_file(path, contract, settings.batch_rows)
    provenance = f"{path} sha256:{digest}"
    store.start_batch(batch_id, contract.name, run_key, provenance, None, None)
    plan = _Plan(
        contract,
        batch_id,
        path.name,
        file_dataset(path),
        extraction,
        settings,
        emitter or LineageEmitter(),
        parent,
        before_commit=before_commit,
    )
    try:
        committed = _land(plan)
    except FileRejectedError as exc:
        if move_rejected:
            reject_file(path, exc)
        raise
    drift = {**(extraction.report.drift() if extraction.report else {}), **plan.identifiers.drift()}
    return _committed(plan, committed, None, drift)


@dataclass
class DropFolderResult:
    """Files landed and files rejected in one pass over a drop folder."""

    landed: list[LandingResult] = field(default_factory=list)
    rejected: list[FileRejectedError] = field(default_factory=list)


def land_drop_folder(
    contract: DatasetContract,
    *,
    settings: Settings | None = None,
    emitter: LineageEmitter | None = None,
    parent: tuple[str, str, str] | None = None,
) -> DropFolderResult:
    """Land every pending file of a file-drop dataset; landed files move to ``processed/``."""
    if not isinstance(contract.source, FileSource):
        raise ConfigurationError(f"dataset {contract.name} is read from a database, not from files")
    settings = settings or get_settings()
    folder = resolve_drop_folder(contract.source.connection, settings)
    outcome = DropFolderResult()
    scan = scan_drop_folder(folder, contract.source.pattern)
    for link in scan.links:
        outcome.rejected.append(refuse_link(link))
    for path in scan.files:
        try:
            outcome.landed.append(
                land_file(contract, path, settings=settings, emitter=emitter, parent=parent)
            )
        except FileRejectedError as exc:
            log.error("dataset %s: %s", contract.name, exc)
            outcome.rejected.append(exc)
            continue
        accept_file(path)
    return outcome


__all__ = ["DropFolderResult", "LandingResult", "land_dataset", "land_drop_folder", "land_file"]
