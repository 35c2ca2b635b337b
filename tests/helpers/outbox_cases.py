"""Deliveries for outbox tests: a description, hostile rows of every type, and a child process that
writes a delivery (to be killed): ``python -m tests.helpers.outbox_cases ROOT DELIVERY_ID [--endless]``."""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from huiliu.returnflow.manifest import DeliveredColumn, DeliveryDescription

UNIT = "520102016001"
DATASET = "resident_registry"
AT = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
HOSTILE = ["=cmd|' /C calc'!A0", "@SUM(A1)", "+1+1", "-1+1", "\t=1", '\r\n=HYPERLINK("x")', "\n@x"]
INERT = ["张*", "", "a=b", " =1", "'quoted", "'=already", "-", None]
COLUMNS = (
    DeliveredColumn(name="name", title_zh="姓名", action="mask", reason_zh="个人信息", reason_en="PI"),
    DeliveredColumn(name="birth_date", title_zh="出生日期", action="generalize", reason_zh="准标识符"),
    DeliveredColumn(name="registered_at", title_zh="登记时间"),
    DeliveredColumn(name="household_size", title_zh="户人数"),
    DeliveredColumn(name="allowance", title_zh="月补助金额"),
    DeliveredColumn(name="verified", title_zh="已核验"),
    DeliveredColumn(name="id_number", title_zh="身份证号", action="drop", reason_zh="本层级不提供"),
)


def description(**changes: Any) -> DeliveryDescription:
    values: dict[str, Any] = {
        "delivery_id": "D0001",
        "grant_id": "G1",
        "unit_code": UNIT,
        "unit_name": "新华社区",
        "dataset": DATASET,
        "dataset_title": "人口基础信息",
        "department": "公安局",
        "steward": "李管理",
        "steward_contact": "0851-85550000",
        "snapshot_id": 7001,
        "snapshot_committed_at": AT,
        "policy_version": "2026.12-1",
        "delivered_at": AT,
        "columns": COLUMNS,
        "correction_zh": "在回流门户“纠错”页提交",
        "correction_en": "file it on the portal's correction page",
        "purpose": "社区人口核验",
    }
    return DeliveryDescription(**{**values, **changes})


SCHEMA = pa.schema(
    [
        ("name", pa.string()),
        ("birth_date", pa.date32()),
        ("registered_at", pa.timestamp("us")),
        ("household_size", pa.int64()),
        ("allowance", pa.decimal128(10, 2)),
        ("verified", pa.bool_()),
    ]
)


def rows(count: int, start: int = 0) -> pa.RecordBatch:
    """``count`` rows, hostile and inert text among them, every type with nulls."""
    texts = HOSTILE + INERT
    return pa.record_batch(
        [
            pa.array([texts[(start + i) % len(texts)] for i in range(count)], pa.string()),
            pa.array(
                [None if (start + i) % 9 == 4 else date(1950 + (start + i) % 60, 1, 2) for i in range(count)]
            ),
            pa.array(
                [datetime(2026, 1, 1, 8, 0, (start + i) % 60) for i in range(count)], pa.timestamp("us")
            ),
            pa.array(
                [None if (start + i) % 5 == 0 else (start + i) % 7 + 1 for i in range(count)], pa.int64()
            ),
            pa.array([Decimal(f"{(start + i) % 1000}.50") for i in range(count)], pa.decimal128(10, 2)),
            pa.array([(start + i) % 2 == 0 for i in range(count)]),
        ],
        schema=SCHEMA,
    )


def fingerprints(count: int, start: int = 0) -> pa.Array:
    return pa.array(range(10_000 + start, 10_000 + start + count), pa.uint64())


def _endless() -> Iterator[pa.RecordBatch]:
    for n in itertools.count():
        yield rows(1000, n * 1000)
        if n == 3:
            print("writing", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=Path)
    parser.add_argument("delivery_id")
    parser.add_argument("--endless", action="store_true", help="write batches until killed")
    args = parser.parse_args()
    from huiliu.returnflow.outbox import write_delivery

    if args.endless:
        batches, printed = _endless(), (fingerprints(1000, n * 1000) for n in itertools.count())
    else:
        batches, printed = (
            iter([rows(500), rows(500, 500)]),
            iter([fingerprints(500), fingerprints(500, 500)]),
        )
    write_delivery(
        args.root,
        description(delivery_id=args.delivery_id),
        batches,
        fingerprints=printed,
        zone="Asia/Shanghai",
    )
    print("published", flush=True)


if __name__ == "__main__":
    sys.exit(main())
