"""A revoked grant's deliveries are taken out of the outbox; "who received record X" is a lookup."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from tests.helpers.outbox_cases import DATASET, UNIT, description, fingerprints, rows

from huiliu.returnflow.outbox import delivery_folder, withdraw, write_delivery
from huiliu.returnflow.receipts import Receipt, received

OTHER = "520102016002"


def _write(root: Path, delivery_id: str, unit: str = UNIT, start: int = 0, dataset: str = DATASET) -> None:
    write_delivery(
        root,
        description(delivery_id=delivery_id, unit_code=unit, dataset=dataset),
        [rows(10)],
        fingerprints=[fingerprints(10, start)],
        zone="UTC",
    )


def test_withdrawing_removes_the_units_deliveries_of_the_dataset_only(tmp_path: Path) -> None:
    _write(tmp_path, "D1")
    _write(tmp_path, "D2")
    _write(tmp_path, "D3", unit=OTHER)
    _write(tmp_path, "D4", dataset="low_income")

    gone = withdraw(tmp_path, UNIT, DATASET)

    assert gone == [delivery_folder(tmp_path, UNIT, DATASET, i) for i in ("D1", "D2")]
    assert not any(p.exists() for p in gone)
    assert list((tmp_path / UNIT / DATASET).iterdir()) == []  # nothing hidden left either
    assert delivery_folder(tmp_path, OTHER, DATASET, "D3").is_dir()
    assert delivery_folder(tmp_path, UNIT, "low_income", "D4").is_dir()


def test_withdrawing_named_deliveries_and_what_is_not_there(tmp_path: Path) -> None:
    _write(tmp_path, "D1")
    _write(tmp_path, "D2")
    assert withdraw(tmp_path, UNIT, DATASET, delivery_ids=["D2", "D9"]) == [
        delivery_folder(tmp_path, UNIT, DATASET, "D2")
    ]
    assert delivery_folder(tmp_path, UNIT, DATASET, "D1").is_dir()
    assert withdraw(tmp_path, UNIT, DATASET, delivery_ids=["D2"]) == []
    assert withdraw(tmp_path, OTHER, DATASET) == []
    assert withdraw(tmp_path / "no-outbox", UNIT, DATASET) == []


def test_a_half_deleted_withdrawal_is_hidden_and_swept_later(tmp_path: Path) -> None:
    _write(tmp_path, "D1")
    folder = tmp_path / UNIT / DATASET
    (folder / "D1").rename(folder / ".D1.withdrawn")  # a withdrawal killed after its rename
    assert received(tmp_path, 10_000) == []
    _write(tmp_path, "D2")
    assert sorted(p.name for p in folder.iterdir()) == ["D2"]


def test_who_received_a_record(tmp_path: Path) -> None:
    _write(tmp_path, "D1", start=0)  # fingerprints 10000..10009
    _write(tmp_path, "D2", unit=OTHER, start=5)  # 10005..10014
    _write(tmp_path, "D3", dataset="low_income", start=100)

    assert received(tmp_path, 10_007) == [Receipt(UNIT, DATASET, "D1"), Receipt(OTHER, DATASET, "D2")]
    assert received(tmp_path, 10_001) == [(UNIT, DATASET, "D1")]
    assert received(tmp_path, 10_100) == [(UNIT, "low_income", "D3")]
    assert received(tmp_path, 99) == [] and received(tmp_path, -1) == [] and received(tmp_path, "x") == []
    withdraw(tmp_path, UNIT, DATASET)
    assert received(tmp_path, 10_007) == [Receipt(OTHER, DATASET, "D2")]


def test_text_fingerprints_are_looked_up_too(tmp_path: Path) -> None:
    write_delivery(tmp_path, description(), [rows(2)], fingerprints=[pa.array(["ab12", "cd34"])], zone="UTC")
    assert received(tmp_path, "cd34") == [Receipt(UNIT, DATASET, "D0001")]
    assert received(tmp_path, 12) == []
