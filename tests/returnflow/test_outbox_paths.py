"""No write or delete escapes the outbox root: hostile names are refused, linked folders never followed."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.helpers.outbox_cases import DATASET, UNIT, description, fingerprints, rows

from huiliu.returnflow.manifest import OutboxError
from huiliu.returnflow.outbox import delivery_folder, read_manifest, withdraw, write_delivery
from huiliu.returnflow.receipts import received

BAD_UNITS = [
    "../520102",
    "/etc",
    "520102\x00",
    "５２０１０２",
    "520102/016",
    "",
    "520102\n",
    "520102 ",
    "..",
    520102,
]
BAD_DATASETS = [
    "../resident_registry",
    "/etc/passwd",
    "Resident",
    "a/b",
    "x\x00y",
    "resident_registry\n",
    ".x",
    "",
]
BAD_IDS = [".D1", "../D1", "D/1", "-rf", "D1\n", "", "D1\x00", "/D1", "D" * 65]


def _write(root: Path, delivery_id: str = "D0001", unit: str = UNIT) -> None:
    write_delivery(
        root,
        description(delivery_id=delivery_id, unit_code=unit),
        [rows(3)],
        fingerprints=[fingerprints(3)],
        zone="UTC",
    )


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("unit", BAD_UNITS, ids=repr)
def test_a_hostile_unit_code_is_refused(tmp_path: Path, unit: object) -> None:
    with pytest.raises(OutboxError, match="unit code"):
        description(unit_code=unit)
    with pytest.raises(OutboxError, match="unit code"):
        withdraw(tmp_path, unit, DATASET)  # type: ignore[arg-type]
    with pytest.raises(OutboxError, match="unit code"):
        read_manifest(tmp_path, unit, DATASET, "D1")  # type: ignore[arg-type]


@pytest.mark.parametrize("dataset", BAD_DATASETS, ids=repr)
def test_a_hostile_dataset_name_is_refused(tmp_path: Path, dataset: str) -> None:
    with pytest.raises(OutboxError, match="dataset"):
        description(dataset=dataset)
    with pytest.raises(OutboxError, match="dataset"):
        withdraw(tmp_path, UNIT, dataset)


@pytest.mark.parametrize("delivery_id", BAD_IDS, ids=repr)
def test_a_hostile_delivery_id_is_refused(tmp_path: Path, delivery_id: str) -> None:
    with pytest.raises(OutboxError, match="delivery id"):
        description(delivery_id=delivery_id)
    with pytest.raises(OutboxError, match="delivery id"):
        withdraw(tmp_path, UNIT, DATASET, delivery_ids=[delivery_id])
    with pytest.raises(OutboxError, match="delivery id"):
        delivery_folder(tmp_path, UNIT, DATASET, delivery_id)


def test_a_linked_unit_folder_is_never_written_through(tmp_path: Path) -> None:
    root, outside = tmp_path / "outbox", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / UNIT).symlink_to(outside, target_is_directory=True)

    with pytest.raises(OutboxError, match="never follows links"):
        _write(root)
    assert _tree(outside) == []


def test_a_linked_unit_or_dataset_folder_is_never_deleted_through(tmp_path: Path) -> None:
    root, outside = tmp_path / "outbox", tmp_path / "outside"
    _write(outside)  # a real delivery somewhere else, that a link tries to reach
    before = _tree(outside)
    root.mkdir()
    (root / UNIT).symlink_to(outside / UNIT, target_is_directory=True)
    with pytest.raises(OutboxError, match="never follows links"):
        withdraw(root, UNIT, DATASET)
    assert received(root, 10_000) == []  # nor read through

    (root / UNIT).unlink()
    (root / UNIT).mkdir()
    (root / UNIT / DATASET).symlink_to(outside / UNIT / DATASET, target_is_directory=True)
    with pytest.raises(OutboxError, match="never follows links"):
        withdraw(root, UNIT, DATASET)
    with pytest.raises(OutboxError, match="never follows links"):
        _write(root)
    assert _tree(outside) == before


def test_a_link_among_deliveries_is_left_alone_and_reported_after_the_real_ones_are_withdrawn(
    tmp_path: Path,
) -> None:
    root, victim = tmp_path / "outbox", tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("not the outbox's")
    _write(root)
    (root / UNIT / DATASET / "D0002").symlink_to(victim, target_is_directory=True)

    with pytest.raises(OutboxError, match="D0002, which are not delivery folders"):
        withdraw(root, UNIT, DATASET)
    assert not (root / UNIT / DATASET / "D0001").exists()
    assert (victim / "keep.txt").read_text() == "not the outbox's"


def test_a_delivery_folder_replaced_by_a_link_is_not_read_as_published(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "outbox", tmp_path / "elsewhere"
    _write(elsewhere)
    (root / UNIT / DATASET).mkdir(parents=True)
    (root / UNIT / DATASET / "D0001").symlink_to(
        elsewhere / UNIT / DATASET / "D0001", target_is_directory=True
    )
    assert received(root, 10_000) == []
    with pytest.raises(OutboxError, match="never follows links"):
        read_manifest(root, UNIT, DATASET, "D0001")


def test_the_root_itself_may_be_a_link(tmp_path: Path) -> None:
    (tmp_path / "disk").mkdir()
    (tmp_path / "outbox").symlink_to(tmp_path / "disk", target_is_directory=True)
    _write(tmp_path / "outbox")
    assert (tmp_path / "disk" / UNIT / DATASET / "D0001" / "manifest.json").is_file()
