"""Land one batch of a dataset: extract → stage Parquet → one Iceberg commit → bookkeeping.

A batch is identified by ``<dataset>:<run key>``; the run key is the Airflow logical date for
scheduled SQL extractions and a content hash for dropped files, so re-running the same run key
replaces that batch instead of adding rows. Incremental extractions re-read the same watermark
window on a re-run, so an idempotent re-run also sees the same rows.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from huiliu.contracts.model import DatasetContract, FileSource, SqlSource
from huiliu.errors import ConfigurationError, FileRejectedError
from huiliu.ingest.watermarks import incremental_window
from huiliu.lake.catalog import lake_table
from huiliu.lake.schema import landing_schema, with_meta_columns
from huiliu.lake.writer import StagedBatchWriter
from huiliu.lineage.emitter import LineageEmitter, track_run
from huiliu.lineage.events import contract_facets, output_statistics_facet, schema_facet
from huiliu.lineage.naming import DatasetRef, file_dataset, job_name, lake_dataset, source_dataset
from huiliu.settings import Settings, get_settings
from huiliu.sources.connections import resolve_connection, resolve_drop_folder
from huiliu.sources.dropbox import accept_file, pending_files, reject_file
from huiliu.sources.files import open_file
from huiliu.sources.prefetch import prefetch
from huiliu.sources.sql import SqlExtraction, redact_url
from huiliu.store import batches as store

log = logging.getLogger(__name__)
Hook = Callable[[], None]


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

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def batch_id_for(dataset: str, run_key: str) -> str:
    return f"{dataset}:{run_key}"


def _stamped(
    batches: Iterable[pa.RecordBatch], schema: pa.Schema, batch_id: str, source: str
) -> Iterator[pa.RecordBatch]:
    ingested_at = datetime.now(UTC)
    for batch in batches:
        yield with_meta_columns(batch, schema, batch_id, ingested_at, source)


def _write_and_commit(
    contract: DatasetContract,
    batch_id: str,
    source_label: str,
    batches: Iterable[pa.RecordBatch],
    settings: Settings,
    properties: Callable[[], dict[str, str]],
    before_commit: Hook | None,
) -> tuple[int, int, int | None, int]:
    schema = landing_schema(contract)
    table = lake_table(contract.landing_table, schema, settings)
    with StagedBatchWriter(table, batch_id, schema) as writer:
        for batch in prefetch(_stamped(batches, schema, batch_id, source_label)):
            writer.write(batch)
        if before_commit is not None:
            before_commit()
        committed = writer.commit(properties())
    return committed.rows, committed.files, committed.snapshot_id, committed.bytes


def _lake_output(
    contract: DatasetContract, settings: Settings, rows: int | None = None, size: int | None = None
) -> DatasetRef:
    ref = lake_dataset(contract.landing_table, settings)
    facets = {"schema": schema_facet(landing_schema(contract)), **contract_facets(contract)}
    if rows is not None:
        facets["outputStatistics"] = output_statistics_facet(rows, size)
    return ref.with_facets(**facets)


def land_dataset(
    contract: DatasetContract,
    run_key: str,
    *,
    settings: Settings | None = None,
    emitter: LineageEmitter | None = None,
    parent: tuple[str, str, str] | None = None,
    before_commit: Hook | None = None,
) -> LandingResult:
    """Extract a SQL-sourced dataset and commit it as one landing batch."""
    if not isinstance(contract.source, SqlSource):
        raise ConfigurationError(
            f"dataset {contract.name} is delivered as files: use land_drop_folder or ingest-file"
        )
    settings = settings or get_settings()
    store.register_dataset(contract)
    url = resolve_connection(contract.source.connection, settings)
    batch_id = batch_id_for(contract.name, run_key)
    window = incremental_window(contract, batch_id, settings)
    extraction = SqlExtraction(contract, url, settings.batch_rows, window)
    source_ref = source_dataset(url, contract.source.table or f"{contract.name}_query")
    low = window.low.isoformat() if window.low else None
    high = window.high.isoformat() if window.high else None
    store.start_batch(batch_id, contract.name, run_key, extraction.where, low, high)
    started = time.perf_counter()
    emitter = emitter or LineageEmitter()

    def properties() -> dict[str, str]:
        mark = extraction.high_watermark
        return {"huiliu.watermark": mark.isoformat()} if mark is not None else {}

    try:
        with track_run(
            emitter,
            job=job_name(contract.name, "land"),
            namespace=settings.lineage_namespace,
            inputs=[source_ref],
            outputs=[_lake_output(contract, settings)],
            parent=parent,
        ) as run:
            extraction.check()
            rows, files, snapshot_id, size = _write_and_commit(
                contract, batch_id, extraction.where, extraction, settings, properties, before_commit
            )
            run.outputs = [_lake_output(contract, settings, rows, size)]
    except Exception as exc:
        store.finish_batch(batch_id, "failed", message=str(exc)[:2000])
        raise
    mark = extraction.high_watermark
    if mark is not None and contract.extraction.cursor_column is not None:
        store.set_watermark(contract.name, contract.extraction.cursor_column, mark, batch_id)
    store.finish_batch(
        batch_id,
        "committed",
        rows=rows,
        snapshot_id=snapshot_id,
        high=mark.isoformat() if mark else high,
        drift=extraction.drift.as_dict(),
    )
    if not extraction.drift.empty:
        log.warning("dataset %s: source drift recorded: %s", contract.name, extraction.drift.as_dict())
    return LandingResult(
        contract.name,
        batch_id,
        "committed",
        rows,
        files,
        snapshot_id,
        extraction.where,
        time.perf_counter() - started,
        mark.isoformat() if mark else None,
        extraction.drift.as_dict(),
    )


def file_run_key(path: Path) -> str:
    """A delivery is identified by its file name: a corrected re-send of the same file replaces it."""
    return "file-" + path.name


def file_digest(path: Path) -> str:
    """The SHA-256 of a delivered file, kept with its batch as provenance."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
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
    if not path.is_file():
        raise FileRejectedError(str(path), "file not found")
    run_key = file_run_key(path)
    batch_id = batch_id_for(contract.name, run_key)
    extraction = open_file(path, contract, settings.batch_rows)
    provenance = f"{path} sha256:{file_digest(path)}"
    store.start_batch(batch_id, contract.name, run_key, provenance, None, None)
    started = time.perf_counter()
    emitter = emitter or LineageEmitter()
    try:
        with track_run(
            emitter,
            job=job_name(contract.name, "land"),
            namespace=settings.lineage_namespace,
            inputs=[file_dataset(path)],
            outputs=[_lake_output(contract, settings)],
            parent=parent,
        ) as run:
            rows, files, snapshot_id, size = _write_and_commit(
                contract, batch_id, path.name, extraction, settings, dict, before_commit
            )
            run.outputs = [_lake_output(contract, settings, rows, size)]
    except FileRejectedError as exc:
        store.finish_batch(batch_id, "rejected", message=str(exc))
        if move_rejected:
            reject_file(path, exc)
        raise
    except Exception as exc:
        store.finish_batch(batch_id, "failed", message=str(exc)[:2000])
        raise
    report = extraction.report
    drift = {
        "extra_columns": list(report.extra_columns) if report else [],
        "missing_optional_columns": list(report.missing_optional_columns) if report else [],
    }
    store.finish_batch(batch_id, "committed", rows=rows, snapshot_id=snapshot_id, drift=drift)
    return LandingResult(
        contract.name,
        batch_id,
        "committed",
        rows,
        files,
        snapshot_id,
        path.name,
        time.perf_counter() - started,
        None,
        drift,
    )


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
    for path in pending_files(folder, contract.source.pattern):
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


__all__ = ["DropFolderResult", "LandingResult", "land_dataset", "land_drop_folder", "land_file", "redact_url"]
