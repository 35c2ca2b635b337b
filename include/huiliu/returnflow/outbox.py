"""The outbox: one delivery's files written atomically into its unit's folder, and taken back on withdrawal.

Layout: ``<root>/<unit_code>/<dataset>/<delivery_id>/`` holds ``<dataset>.parquet``,
``<dataset>.csv``, ``<dataset>.xlsx`` (:mod:`huiliu.returnflow.export_formats`),
``fingerprints.parquet`` (one keyed primary-key fingerprint per delivered row, column
``fingerprint``) and ``manifest.json`` (:mod:`huiliu.returnflow.manifest`). The rows arrive already
scoped and masked by the policy; the outbox writes them as they are, batch by batch, in flat memory
(a delivery gathers at most :data:`FINGERPRINT_GROUP` fingerprints before writing them).

Publishing is atomic: everything is written into the hidden sibling ``.<delivery_id>.partial/``
(locked while it is written), each file fsynced, the manifest last, then the folder is renamed into
place and its parent fsynced. The Parquet, CSV and fingerprint files are checksummed as they are
written (:mod:`huiliu.returnflow.checksummed`); the XLSX file is read back. The Parquet file is the
delivery's exact copy: its SHA-256 is the delivery's content digest (the same rows in the same order
give the same file), which tells a repeated delivery from a new one.

A reader sees a whole delivery with its manifest or nothing; a writer
killed midway leaves only a hidden ``.partial`` folder, which the next delivery or withdrawal of
that unit and dataset removes. Writing a delivery id that is already published leaves it as it is
and returns its manifest. Withdrawal renames a delivery to a hidden ``.<id>.withdrawn`` (it
disappears at once), then deletes it.

Paths are built only from validated names (unit codes of ASCII digits, the contract's dataset name
pattern, delivery ids of letters, digits, - and _) and folders are opened without following links
(:mod:`huiliu.returnflow.outbox_folders`), so no write or delete escapes the root.

Crash points (:mod:`huiliu.faults`): ``outbox.files_written`` (data and fingerprint files durable,
no manifest), ``outbox.manifest_written`` (manifest durable, not yet renamed), ``outbox.published``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa

from huiliu import faults
from huiliu.returnflow.checksummed import ChecksummedFile
from huiliu.returnflow.export_formats import CsvExport, FormatWriter, OutputFormat, ParquetExport
from huiliu.returnflow.manifest import (
    FINGERPRINTS_FILE,
    MANIFEST_FILE,
    DeliveredFile,
    DeliveryDescription,
    DeliveryManifest,
    FingerprintFile,
    NoticeFile,
    OutboxError,
    checked_dataset,
    checked_delivery_id,
    checked_unit_code,
)
from huiliu.returnflow.notices import NOTICES_FILE, CorrectionNotice, NoticeMatcher
from huiliu.returnflow.outbox_folders import Folder, partial_name, sweep, walk, withdrawn_name
from huiliu.returnflow.xlsx_export import XlsxExport, sheet_spans

DEFAULT_FORMATS: tuple[OutputFormat, ...] = (OutputFormat.PARQUET, OutputFormat.CSV, OutputFormat.XLSX)
FINGERPRINT_COLUMN = "fingerprint"
FINGERPRINT_GROUP = 1 << 16
"""Fingerprints gathered (copied out of the rows' batches) before they are written as one row group
of the fingerprint file, 512 KiB a delivery at most: a unit whose rows arrive in many small runs
gets a few row groups, not one per run."""
READ_CHUNK = 1 << 20

__all__ = [
    "DEFAULT_FORMATS",
    "DeliveryDescription",
    "DeliveryManifest",
    "OutboxDelivery",
    "OutboxError",
    "OutputFormat",
    "delivery_folder",
    "open_delivery",
    "read_manifest",
    "withdraw",
    "write_delivery",
]


def delivery_folder(root: Path, unit_code: str, dataset: str, delivery_id: str) -> Path:
    """Where a published delivery lives (the names are validated)."""
    unit, name = checked_unit_code(unit_code), checked_dataset(dataset)
    return Path(root) / unit / name / checked_delivery_id(delivery_id)


def _seal(folder: Folder, name: str) -> tuple[int, str]:
    """Make a written file durable; return its size and SHA-256 (read back from disk)."""
    digest, size = hashlib.sha256(), 0
    with folder.open_file(name) as file:
        while chunk := file.read(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
        os.fsync(file.fileno())
    return size, digest.hexdigest()


def _load_manifest(dataset: Folder, delivery_id: str) -> tuple[DeliveryManifest, str]:
    """A published delivery's manifest and the SHA-256 of its file."""
    folder = dataset.child(delivery_id)
    if folder is None:
        raise OutboxError(f"{dataset.path / delivery_id} is missing")
    with folder:
        try:
            with folder.open_file(MANIFEST_FILE) as file:
                raw = file.read()
        except FileNotFoundError:
            raise OutboxError(
                f"{folder.path} has no {MANIFEST_FILE}: it was not written by the outbox; move it away "
                "and deliver again"
            ) from None
    return DeliveryManifest.from_dict(json.loads(raw)), hashlib.sha256(raw).hexdigest()


def _check_columns(description: DeliveryDescription, schema: pa.Schema) -> None:
    described = {c.name for c in description.delivered_columns}
    undescribed = [n for n in schema.names if n not in described]
    missing = sorted(described - set(schema.names))
    if undescribed or missing:
        raise OutboxError(
            f"delivery {description.delivery_id} of {description.dataset}: the rows and the description "
            f"disagree (columns not described: {undescribed or 'none'}; described but not in the rows: "
            f"{missing or 'none'}); describe every delivered column, and mark withheld ones action 'drop'"
        )


class OutboxDelivery:
    """A delivery being written into its hidden ``.partial`` folder; :meth:`publish` makes it visible.

    It is the :class:`huiliu.returnflow.delivery.ExtractWriter` of the delivery pass: ``write`` rows
    with their fingerprints, then ``publish`` or ``discard``. Use :func:`open_delivery` to open one.
    """

    def __init__(
        self,
        root: Path,
        description: DeliveryDescription,
        schema: pa.Schema,
        *,
        formats: Sequence[OutputFormat],
        fingerprinted: bool,
        zone: str,
        notices: Sequence[CorrectionNotice] = (),
        key_columns: Sequence[str] = (),
    ) -> None:
        _check_columns(description, schema)
        self._key_columns = tuple(key_columns)
        self._notices = NoticeMatcher(notices)
        self.root, self.description, self.schema = Path(root), description, schema
        self._formats = [OutputFormat(f) for f in dict.fromkeys(formats)]
        self._fingerprinted = fingerprinted
        self._zone = zone
        self._partial = self._open_partial()
        self._files: list[tuple[OutputFormat, str, BinaryIO | ChecksummedFile, FormatWriter]] = []
        self._fingerprints: tuple[ChecksummedFile, ParquetExport] | None = None
        self._sealed: tuple[list[DeliveredFile], FingerprintFile | None] | None = None
        self._fingerprint_count = 0
        self._gathered: list[pa.Array] = []
        self._fingerprint_type: pa.DataType | None = None
        self._gathered_count = 0
        self.rows = 0
        self.manifest: DeliveryManifest | None = None
        """The published delivery's manifest (set by :meth:`publish`)."""
        self._state = "open"
        try:
            for output in self._formats:
                self._files.append(self._open_format(output))
        except BaseException:
            self.discard()
            raise

    # --- opening -------------------------------------------------------------------------------

    def _dataset_folder(self, *, create: bool = False) -> Folder:
        d = self.description
        folder = walk(self.root, d.unit_code, d.dataset, create=create)
        if folder is None:
            raise OutboxError(
                f"{self.root / d.unit_code / d.dataset} vanished while delivery {d.delivery_id} was written"
            )
        return folder

    def _open_partial(self) -> Folder:
        name = partial_name(self.description.delivery_id)
        with self._dataset_folder(create=True) as dataset, dataset.locked():
            sweep(dataset)
            try:
                partial = dataset.make(name)
            except FileExistsError:
                raise OutboxError(
                    f"delivery {self.description.delivery_id} is being written by another process "
                    f"({dataset.path / name}); wait for it to finish"
                ) from None
            if not partial.try_lock():
                partial.close()
                raise OutboxError(f"{dataset.path / name} is locked by another process")
        return partial

    def _open_format(
        self, output: OutputFormat
    ) -> tuple[OutputFormat, str, BinaryIO | ChecksummedFile, FormatWriter]:
        name = f"{self.description.dataset}.{output.value}"
        raw = self._partial.create_file(name)
        file: BinaryIO | ChecksummedFile = raw
        try:
            writer: FormatWriter
            if output is OutputFormat.PARQUET:
                file = ChecksummedFile(raw)
                writer = ParquetExport(file, self.schema)
            elif output is OutputFormat.CSV:
                file = ChecksummedFile(raw)
                writer = CsvExport(file, self.schema, zone=self._zone)
            else:  # XlsxWriter seeks while it writes the zip: read back when sealed
                writer = XlsxExport(
                    raw,
                    self.schema,
                    self.description,
                    scratch=self._partial.path,
                    zone=self._zone,
                    key_columns=self._key_columns,
                )
        except BaseException:
            raw.close()
            raise
        return output, name, file, writer

    # --- writing -------------------------------------------------------------------------------

    def write(self, rows: pa.Table | pa.RecordBatch, fingerprints: pa.Array | None = None) -> None:
        """Append rows (already scoped and masked) and, per row, its primary-key fingerprint."""
        if self._state != "open" or self._sealed is not None:
            raise OutboxError(
                f"delivery {self.description.delivery_id} is {'sealed' if self._sealed else self._state}: "
                "it takes no more rows"
            )
        if not rows.schema.equals(self.schema):
            raise OutboxError(
                f"delivery {self.description.delivery_id}: rows with schema {rows.schema} do not match the "
                f"delivery's {self.schema}"
            )
        self._write_fingerprints(rows.num_rows, fingerprints)
        batches = rows.to_batches() if isinstance(rows, pa.Table) else [rows]
        for batch in batches:
            for _, _, _, writer in self._files:
                writer.write(batch)
        self.rows += rows.num_rows

    def _write_fingerprints(self, count: int, fingerprints: pa.Array | None) -> None:
        if (fingerprints is None) == self._fingerprinted:
            raise OutboxError(
                f"delivery {self.description.delivery_id}: fingerprints "
                + ("missing" if self._fingerprinted else "given to a delivery opened without them")
            )
        if fingerprints is None:
            return
        if isinstance(fingerprints, pa.ChunkedArray):
            fingerprints = fingerprints.combine_chunks()
        if len(fingerprints) != count:
            raise OutboxError(
                f"delivery {self.description.delivery_id}: {len(fingerprints)} fingerprints for {count} rows"
            )
        if self._fingerprints is not None and fingerprints.type != self._fingerprint_type:
            raise OutboxError(
                f"delivery {self.description.delivery_id}: fingerprints of type {fingerprints.type} after "
                f"fingerprints of type {self._fingerprint_type}; give every batch's fingerprints one type"
            )
        self._fingerprint_writer(fingerprints.type)
        self._notices.see(fingerprints, self._fingerprint_count)
        self._fingerprint_count += count
        self._gathered.append(pa.concat_arrays([fingerprints]))  # a copy: the rows' batch is not kept
        self._gathered_count += count
        if self._gathered_count >= FINGERPRINT_GROUP:
            self._write_gathered()

    def _write_gathered(self) -> None:
        """Write the gathered fingerprints as one row group."""
        if not self._gathered:
            return
        values = self._gathered[0] if len(self._gathered) == 1 else pa.concat_arrays(self._gathered)
        self._gathered, self._gathered_count = [], 0
        self._fingerprint_writer(values.type).write(pa.record_batch([values], names=[FINGERPRINT_COLUMN]))

    def _fingerprint_writer(self, type_: pa.DataType) -> ParquetExport:
        if self._fingerprints is None:
            file = ChecksummedFile(self._partial.create_file(FINGERPRINTS_FILE))
            schema = pa.schema([(FINGERPRINT_COLUMN, type_)])
            self._fingerprint_type = type_
            self._fingerprints = file, ParquetExport(file, schema, dictionary=False)  # keyed: all distinct
        return self._fingerprints[1]

    # --- sealing -------------------------------------------------------------------------------

    def seal(self) -> str | None:
        """Finish the files (durable, checksummed; no more rows) and return the content digest.

        The content digest is the Parquet file's SHA-256, equal for the same rows in the same order
        (None for a delivery written without Parquet: it is never taken for a repeat).
        """
        if self._state != "open":
            raise OutboxError(f"delivery {self.description.delivery_id} is {self._state}")
        if self._sealed is None:
            try:
                self._sealed = self._close_files(), self._close_fingerprints()
            except BaseException:
                self.discard()
                raise
        return next((f.sha256 for f in self._sealed[0] if f.format == OutputFormat.PARQUET.value), None)

    # --- publishing ----------------------------------------------------------------------------

    def publish(self) -> tuple[str, str]:
        """Make the delivery visible atomically; return its folder and the manifest's SHA-256.

        An already published delivery of the same id is left as it is and its folder and manifest
        returned. On any failure the partial folder is removed and the error raised.
        """
        if self._state != "open":
            raise OutboxError(f"delivery {self.description.delivery_id} is {self._state}")
        try:
            manifest_sha = self._publish()
        except BaseException:
            self.discard()
            raise
        self._state = "published"
        d = self.description
        return str(delivery_folder(self.root, d.unit_code, d.dataset, d.delivery_id)), manifest_sha

    def _publish(self) -> str:
        self.seal()
        assert self._sealed is not None
        files, fingerprints = self._sealed
        faults.crash_point("outbox.files_written")
        manifest = DeliveryManifest(
            description=self.description,
            rows=self.rows,
            files=tuple(files),
            fingerprints=fingerprints,
            data_sheets=self._data_sheets(),
            notices=self._write_notices(),
        )
        raw = json.dumps(manifest.as_dict(), ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        with self._partial.create_file(MANIFEST_FILE) as file:
            file.write(raw)
        self._seal_all([MANIFEST_FILE])
        self._partial.sync()
        faults.crash_point("outbox.manifest_written")
        self.manifest, sha = manifest, hashlib.sha256(raw).hexdigest()
        d = self.description
        with self._dataset_folder() as dataset, dataset.locked():
            if dataset.exists(d.delivery_id):
                self.manifest, sha = self._existing(dataset)
                dataset.remove_tree(partial_name(d.delivery_id))
            else:
                dataset.rename(partial_name(d.delivery_id), d.delivery_id)
            dataset.sync()
        faults.crash_point("outbox.published")
        self._partial.close()
        return sha

    def _write_notices(self) -> NoticeFile | None:
        lines = self._notices.lines
        if not lines:
            return None
        document = {"notices": [line.as_dict() for line in lines]}
        raw = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        with self._partial.create_file(NOTICES_FILE) as file:
            file.write(raw)
        ((size, sha),) = self._seal_all([NOTICES_FILE])
        return NoticeFile(name=NOTICES_FILE, bytes=size, sha256=sha, count=len(lines))

    def _existing(self, dataset: Folder) -> tuple[DeliveryManifest, str]:
        manifest, sha = _load_manifest(dataset, self.description.delivery_id)
        if not manifest.description.same_delivery(self.description):
            raise OutboxError(
                f"delivery id {self.description.delivery_id} is already published for another grant, "
                "snapshot, policy or column set; use a new delivery id"
            )
        return manifest, sha

    def _data_sheets(self) -> tuple[str, ...]:
        for output, _, _, writer in self._files:
            if output is OutputFormat.XLSX and isinstance(writer, XlsxExport):
                return tuple(s.name for s in sheet_spans(self.rows, writer.rows_per_sheet))
        return ()

    def _close_files(self) -> list[DeliveredFile]:
        delivered = []
        for output, name, file, writer in self._files:
            if isinstance(writer, XlsxExport):
                writer.add_notices(self._notices.lines)
            writer.close()
            if isinstance(file, ChecksummedFile):
                size, sha = file.seal()
            else:
                file.close()
                ((size, sha),) = self._seal_all([name])
            delivered.append(DeliveredFile(name=name, format=output.value, bytes=size, sha256=sha))
        return delivered

    def _close_fingerprints(self) -> FingerprintFile | None:
        if not self._fingerprinted:
            return None
        self._write_gathered()
        writer = self._fingerprint_writer(pa.uint64())  # an empty delivery: no type was given
        writer.close()
        assert self._fingerprints is not None
        size, sha = self._fingerprints[0].seal()
        return FingerprintFile(name=FINGERPRINTS_FILE, bytes=size, sha256=sha, count=self._fingerprint_count)

    def _seal_all(self, names: Iterable[str]) -> list[tuple[int, str]]:
        return [_seal(self._partial, name) for name in names]

    # --- discarding ----------------------------------------------------------------------------

    def discard(self) -> None:
        """Drop the delivery: its partial folder is removed and nothing becomes visible."""
        if self._state != "open":
            return
        self._state = "discarded"
        for _, _, file, writer in self._files:
            with suppress(Exception):
                writer.close()
            if isinstance(file, ChecksummedFile):
                file.discard()
            else:
                file.close()
        if self._fingerprints is not None:
            with suppress(Exception):
                self._fingerprints[1].close()
            self._fingerprints[0].discard()
        d = self.description
        with suppress(OutboxError), self._dataset_folder() as dataset, dataset.locked():
            with suppress(FileNotFoundError):
                dataset.remove_tree(partial_name(d.delivery_id))
            dataset.sync()
        self._partial.close()

    def __enter__(self) -> OutboxDelivery:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None or self._state == "open":
            self.discard()


def open_delivery(
    root: Path,
    description: DeliveryDescription,
    schema: pa.Schema,
    *,
    formats: Sequence[OutputFormat | str] = DEFAULT_FORMATS,
    fingerprinted: bool = True,
    zone: str | None = None,
    notices: Sequence[CorrectionNotice] = (),
    key_columns: Sequence[str] = (),
) -> OutboxDelivery:
    """Open a delivery in its unit's outbox, to be written batch by batch and then published.

    Args:
        root: the outbox root.
        description: the delivery (unit, dataset, grant, snapshot, policy, columns …).
        schema: the schema of the rows that will be written (every column described).
        formats: the data files to write (parquet, csv, xlsx).
        fingerprinted: whether every write carries the rows' primary-key fingerprints.
        zone: the time zone times are shown in (CSV, XLSX, 说明); default the city's (settings).
        notices: corrections applied since the grant's last delivery: the rows they touch are
            listed in ``corrections.json`` and the XLSX sheet 更正通知.
        key_columns: the record's key columns as delivered, listed per row in the XLSX 纠错 form.

    Raises:
        OutboxError: a refused name, a linked folder, undescribed columns, the same delivery being
            written by another process.
    """
    if zone is None:
        from huiliu.settings import get_settings

        zone = get_settings().timezone
    return OutboxDelivery(
        root,
        description,
        schema,
        formats=[OutputFormat(f) for f in formats],
        fingerprinted=fingerprinted,
        zone=zone,
        notices=notices,
        key_columns=key_columns,
    )


def read_manifest(root: Path, unit_code: str, dataset: str, delivery_id: str) -> DeliveryManifest | None:
    """The manifest of a published delivery, None when there is no such delivery."""
    folder = walk(root, checked_unit_code(unit_code), checked_dataset(dataset))
    if folder is None:
        return None
    with folder:
        if not folder.exists(checked_delivery_id(delivery_id)):
            return None
        return _load_manifest(folder, delivery_id)[0]


def write_delivery(
    root: Path,
    description: DeliveryDescription,
    batches: Iterable[pa.RecordBatch],
    *,
    fingerprints: Iterable[pa.Array] | None = None,
    formats: Sequence[OutputFormat | str] = DEFAULT_FORMATS,
    schema: pa.Schema | None = None,
    zone: str | None = None,
) -> DeliveryManifest:
    """Write one delivery's files and publish them atomically; return its manifest.

    A delivery id already published is left as it is and its manifest returned (the batches are not
    read).

    Args:
        root: the outbox root.
        description: the delivery.
        batches: the rows, already scoped and masked, streamed (never held all at once).
        fingerprints: per batch, the keyed primary-key fingerprints of its rows.
        formats: the data files to write.
        schema: the rows' schema when there may be no batches at all.
        zone: the time zone times are shown in; default the city's.
    """
    d = description
    existing = read_manifest(root, d.unit_code, d.dataset, d.delivery_id)
    if existing is not None:
        if not existing.description.same_delivery(d):
            raise OutboxError(f"delivery id {d.delivery_id} is already published for another delivery")
        return existing
    rows = iter(batches)
    first = next(rows, None)
    schema = first.schema if first is not None else schema
    if schema is None:
        raise OutboxError(
            f"delivery {d.delivery_id}: no rows and no schema; pass schema= when it may be empty"
        )
    stream = rows if first is None else itertools.chain([first], rows)
    pairs = _paired(stream, fingerprints, d.delivery_id)
    with open_delivery(
        root, d, schema, formats=formats, fingerprinted=fingerprints is not None, zone=zone
    ) as delivery:
        for batch, printed in pairs:
            delivery.write(batch, printed)
        delivery.publish()
        assert delivery.manifest is not None
        return delivery.manifest


def _paired(
    batches: Iterator[pa.RecordBatch], fingerprints: Iterable[pa.Array] | None, delivery_id: str
) -> Iterator[tuple[pa.RecordBatch, pa.Array | None]]:
    if fingerprints is None:
        yield from ((b, None) for b in batches)
        return
    try:
        yield from zip(batches, fingerprints, strict=True)
    except ValueError:
        raise OutboxError(f"delivery {delivery_id}: not one fingerprint array per batch") from None


def withdraw(
    root: Path, unit_code: str, dataset: str, *, delivery_ids: Iterable[str] | None = None
) -> list[Path]:
    """Take a unit's deliveries of a dataset out of the outbox (all, or the ones named).

    Each delivery is renamed to a hidden ``.<id>.withdrawn`` folder (gone from view at once), then
    deleted. Withdrawing what is not there is not an error.

    Returns:
        The folders withdrawn.

    Raises:
        OutboxError: a refused name; a linked unit or dataset folder (nothing is followed or
            deleted through it); a link or file where a delivery folder should be (reported after
            every real delivery has been withdrawn).
    """
    wanted = None if delivery_ids is None else {checked_delivery_id(i) for i in delivery_ids}
    folder = walk(root, checked_unit_code(unit_code), checked_dataset(dataset))
    if folder is None:
        return []
    withdrawn: list[Path] = []
    strangers: list[str] = []
    with folder, folder.locked():
        sweep(folder)
        for name, is_folder in folder.entries():
            if name.startswith(".") or (wanted is not None and name not in wanted):
                continue
            if not is_folder:
                strangers.append(name)
                continue
            hidden = withdrawn_name(name)
            folder.rename(name, hidden)
            folder.sync()
            folder.remove_tree(hidden)
            withdrawn.append(folder.path / name)
        folder.sync()
    if strangers:
        raise OutboxError(
            f"{folder.path} holds {', '.join(strangers)}, which are not delivery folders (links or files): "
            "they were left alone; remove them by hand"
        )
    return withdrawn
