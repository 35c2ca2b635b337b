"""A delivery appears whole with its manifest or not at all: writers killed with SIGKILL at each commit
boundary and at a random moment, failures midway, idempotent re-writes and concurrent writers."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from tests.helpers.outbox_cases import DATASET, UNIT, description, fingerprints, rows

from huiliu.faults import CRASH_AT_VARIABLE
from huiliu.returnflow.manifest import DeliveryManifest, OutboxError
from huiliu.returnflow.outbox import delivery_folder, open_delivery, read_manifest, withdraw, write_delivery
from huiliu.returnflow.receipts import received

REPO = Path(__file__).resolve().parents[2]


def _child(root: Path, delivery_id: str, *options: str, crash_at: str = "") -> subprocess.Popen[str]:
    env = {**os.environ, CRASH_AT_VARIABLE: crash_at}
    command = [sys.executable, "-m", "tests.helpers.outbox_cases", str(root), delivery_id, *options]
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _visible(root: Path) -> list[str]:
    folder = root / UNIT / DATASET
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) if folder.exists() else []


def _hidden(root: Path) -> list[str]:
    folder = root / UNIT / DATASET
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) if folder.exists() else []


def _verify(root: Path, delivery_id: str) -> DeliveryManifest:
    """The published delivery's manifest, after checking every file against it."""
    manifest = read_manifest(root, UNIT, DATASET, delivery_id)
    assert manifest is not None
    folder = delivery_folder(root, UNIT, DATASET, delivery_id)
    for entry in [*manifest.files, *([manifest.fingerprints] if manifest.fingerprints else [])]:
        assert hashlib.sha256((folder / entry.name).read_bytes()).hexdigest() == entry.sha256
    return manifest


def _write(root: Path, delivery_id: str = "D0001") -> DeliveryManifest:
    return write_delivery(
        root, description(delivery_id=delivery_id), [rows(20)], fingerprints=[fingerprints(20)], zone="UTC"
    )


@pytest.mark.parametrize("point", ["outbox.files_written", "outbox.manifest_written"])
def test_a_writer_killed_before_the_rename_leaves_nothing_visible(tmp_path: Path, point: str) -> None:
    child = _child(tmp_path, "D0001", crash_at=point)
    _, err = child.communicate(timeout=120)

    assert child.returncode == -signal.SIGKILL, err
    assert _visible(tmp_path) == [] and _hidden(tmp_path) == [".D0001.partial"]
    assert read_manifest(tmp_path, UNIT, DATASET, "D0001") is None
    assert received(tmp_path, 10_000) == []
    _write(tmp_path, "D0002")  # the next delivery of the unit and dataset sweeps the stale folder
    assert _visible(tmp_path) == ["D0002"] and _hidden(tmp_path) == []


def test_a_writer_killed_after_the_rename_has_published_a_whole_delivery(tmp_path: Path) -> None:
    child = _child(tmp_path, "D0001", crash_at="outbox.published")
    _, err = child.communicate(timeout=120)

    assert child.returncode == -signal.SIGKILL, err
    assert _visible(tmp_path) == ["D0001"] and _hidden(tmp_path) == []
    assert _verify(tmp_path, "D0001").rows == 1000


def test_a_writer_killed_while_writing_rows_leaves_nothing_visible(tmp_path: Path) -> None:
    child = _child(tmp_path, "D0001", "--endless")
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "writing"  # rows are streaming into the partial folder
    partial = tmp_path / UNIT / DATASET / ".D0001.partial"
    assert (partial / f"{DATASET}.csv").stat().st_size > 0
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)

    assert _visible(tmp_path) == [] and _hidden(tmp_path) == [".D0001.partial"]
    assert withdraw(tmp_path, UNIT, DATASET) == []  # a withdrawal sweeps it too
    assert _hidden(tmp_path) == []
    _write(tmp_path, "D0001")  # and the same delivery can be written again
    assert _verify(tmp_path, "D0001").rows == 20


def test_a_failure_midway_removes_the_partial_folder(tmp_path: Path) -> None:
    def failing() -> Iterator[pa.RecordBatch]:
        yield rows(10)
        raise RuntimeError("the lake went away")

    with pytest.raises(RuntimeError):
        write_delivery(tmp_path, description(), failing(), zone="UTC")
    assert _visible(tmp_path) == [] and _hidden(tmp_path) == []


def test_rewriting_a_published_delivery_leaves_it_as_it_is(tmp_path: Path) -> None:
    first = _write(tmp_path)
    folder = delivery_folder(tmp_path, UNIT, DATASET, "D0001")
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()}

    def untouched() -> Iterator[pa.RecordBatch]:
        raise AssertionError("the rows of a published delivery are not read again")
        yield  # pragma: no cover

    again = write_delivery(tmp_path, description(delivered_at=first.description.delivered_at), untouched())
    assert again == first
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()} == before


def test_publishing_an_id_already_published_returns_the_published_one(tmp_path: Path) -> None:
    published = _write(tmp_path)
    with open_delivery(tmp_path, description(), rows(1).schema, zone="UTC") as late:
        late.write(rows(5), fingerprints(5))
        folder, manifest_sha = late.publish()
    assert late.manifest == published and _hidden(tmp_path) == []
    assert hashlib.sha256((Path(folder) / "manifest.json").read_bytes()).hexdigest() == manifest_sha


def test_an_id_cannot_be_reused_for_another_delivery(tmp_path: Path) -> None:
    _write(tmp_path)
    with pytest.raises(OutboxError, match="already published"):
        write_delivery(tmp_path, description(grant_id="G2"), [rows(1)], zone="UTC")


def test_a_live_writer_is_not_swept_by_another_delivery_of_the_same_unit(tmp_path: Path) -> None:
    with (
        open_delivery(tmp_path, description(delivery_id="D1"), rows(1).schema, zone="UTC") as one,
        open_delivery(tmp_path, description(delivery_id="D2"), rows(1).schema, zone="UTC") as two,
    ):
        one.write(rows(3), fingerprints(3))
        two.write(rows(4), fingerprints(4))
        _write(tmp_path, "D3")  # opens and sweeps while both are being written
        withdraw(tmp_path, UNIT, DATASET, delivery_ids=["D3"])  # sweeps too
        one.publish()
        two.publish()
    assert _visible(tmp_path) == ["D1", "D2"]
    assert (_verify(tmp_path, "D1").rows, _verify(tmp_path, "D2").rows) == (3, 4)


def test_the_same_delivery_cannot_be_written_twice_at_once(tmp_path: Path) -> None:
    with (
        open_delivery(tmp_path, description(), rows(1).schema, zone="UTC"),
        pytest.raises(OutboxError, match="being written by another process"),
    ):
        open_delivery(tmp_path, description(), rows(1).schema, zone="UTC")
    assert _hidden(tmp_path) == []  # leaving the block unpublished discards it


def test_a_discarded_delivery_leaves_nothing(tmp_path: Path) -> None:
    delivery = open_delivery(tmp_path, description(), rows(1).schema, zone="UTC")
    delivery.write(rows(5), fingerprints(5))
    delivery.discard()
    assert _visible(tmp_path) == [] and _hidden(tmp_path) == []
    with pytest.raises(OutboxError):
        delivery.write(rows(1), fingerprints(1))


def test_rows_must_match_the_description_and_their_fingerprints(tmp_path: Path) -> None:
    with pytest.raises(OutboxError, match=r"columns not described: \['extra'\]"):
        open_delivery(tmp_path, description(), rows(1).schema.append(pa.field("extra", pa.int8())))
    with open_delivery(tmp_path, description(), rows(1).schema, zone="UTC") as delivery:
        with pytest.raises(OutboxError, match="2 fingerprints for 3 rows"):
            delivery.write(rows(3), fingerprints(2))
        with pytest.raises(OutboxError, match="fingerprints missing"):
            delivery.write(rows(3))
        with pytest.raises(OutboxError, match="do not match"):
            delivery.write(pa.record_batch({"name": ["x"]}), fingerprints(1))
    assert _hidden(tmp_path) == []
