"""Who received record X: the published deliveries whose fingerprint files hold its fingerprint.

The caller computes the record's keyed fingerprint as the delivery pass did
(:func:`huiliu.returnflow.delivery.fingerprint` with the same key) and asks :func:`received`.

Cost: a full scan. Every published delivery's ``fingerprints.parquet`` is read (8 bytes a delivered
row for 64-bit fingerprints, in batches, so memory stays flat), one file open per delivery: about
the time to read every fingerprint ever delivered and still in the outbox, e.g. a few hundred
milliseconds per 10 million delivered rows from the page cache. Fingerprints are keyed hashes, so
row-group statistics cannot prune; an index (a sorted table of fingerprint → delivery in the
governance store or the lake) is the step up when outboxes grow past that.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from huiliu.returnflow.manifest import DATASET_NAME, DELIVERY_ID, FINGERPRINTS_FILE, UNIT_CODE
from huiliu.returnflow.outbox_folders import Folder, walk

SCAN_BATCH_ROWS = 1 << 20


class Receipt(NamedTuple):
    """One delivery that carried a record."""

    unit_code: str
    dataset: str
    delivery_id: str


def _subfolders(folder: Folder, pattern: re.Pattern[str]) -> Iterator[Folder]:
    """The real (not linked, not hidden) sub-folders whose names fit ``pattern``."""
    for name, is_folder in folder.entries():
        if is_folder and pattern.fullmatch(name):
            child = folder.child(name)
            if child is not None:
                yield child


def _published(outbox: Folder) -> Iterator[tuple[Receipt, Folder]]:
    """Every published delivery folder of the outbox, with who received it."""
    for unit in _subfolders(outbox, UNIT_CODE):
        with unit:
            for dataset in _subfolders(unit, DATASET_NAME):
                with dataset:
                    for delivery in _subfolders(dataset, DELIVERY_ID):
                        with delivery:
                            yield Receipt(unit.path.name, dataset.path.name, delivery.path.name), delivery


def _holds(delivery: Folder, fingerprint: object) -> bool:
    try:
        file = delivery.open_file(FINGERPRINTS_FILE)
    except (FileNotFoundError, OSError):
        return False
    with file:
        parquet = pq.ParquetFile(file)
        try:
            wanted = pa.scalar(fingerprint, type=parquet.schema_arrow.field(0).type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
            return False  # a value of another kind cannot be among these fingerprints
        for batch in parquet.iter_batches(batch_size=SCAN_BATCH_ROWS):
            if pc.any(pc.equal(batch.column(0), wanted)).as_py():
                return True
    return False


def received(root: Path, fingerprint: object) -> list[Receipt]:
    """The published deliveries that carried the record with this fingerprint, sorted.

    Args:
        root: the outbox root.
        fingerprint: the record's keyed primary-key fingerprint (an int for the delivery pass's
            64-bit fingerprints).
    """
    found: list[Receipt] = []
    outbox = walk(root)
    if outbox is None:
        return found
    with outbox:
        found += [receipt for receipt, delivery in _published(outbox) if _holds(delivery, fingerprint)]
    return sorted(found)
