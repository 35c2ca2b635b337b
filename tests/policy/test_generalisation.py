"""Generalisation ladders on Arrow: each step coarser, chained, nulls kept, unreadable values withheld."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from huiliu.policy.generalisation import LADDERS, generalise

ADDRESSES = [
    "贵州省贵阳市南明区新华路街道和平社区遵义路128号阳光小区3栋2单元1203室",
    "云岩区黔东街道新村社区12号",
    "花溪区青岩镇龙井村5组",
    "遵义路128号",
    None,
]


@pytest.mark.parametrize(
    ("values", "levels"),
    [
        (
            pa.array([dt.date(1990, 3, 7), None, dt.date(1987, 12, 31)]),
            [[1990, None, 1987], ["1990-1994", None, "1985-1989"], ["1990-1999", None, "1980-1989"]],
        ),
        (
            pa.array([dt.datetime(1990, 3, 7, 8), None], pa.timestamp("us")),
            [[1990, None], ["1990-1994", None], ["1990-1999", None]],
        ),
        (
            pa.array(["1990-03-07", "1990年3月7日", " 19850101", "未知", None]),
            [[1990, 1990, 1985, None, None], ["1990-1994", "1990-1994", "1985-1989", None, None]],
        ),
    ],
    ids=["date", "timestamp", "text"],
)
def test_birth_date_to_year_then_bands(values: pa.Array, levels: list[list[object]]) -> None:
    for level, expected in enumerate(levels, 1):
        assert generalise(values, "DATE_OF_BIRTH", level).to_pylist() == expected


def test_age_to_bands_of_5_10_and_20_years() -> None:
    ages = pa.array([0, 4, 63, 99, None, 120], pa.int64())
    assert generalise(ages, "AGE").to_pylist() == ["0-4", "0-4", "60-64", "95-99", None, "120-124"]
    assert generalise(ages, "AGE", 2).to_pylist() == ["0-9", "0-9", "60-69", "90-99", None, "120-129"]
    assert generalise(ages, "AGE", 3).to_pylist() == ["0-19", "0-19", "60-79", "80-99", None, "120-139"]


def test_ages_written_as_text_are_read_and_anything_else_is_withheld() -> None:
    assert generalise(pa.array(["63", " 7 ", "六十", None]), "AGE").to_pylist() == [
        "60-64",
        "5-9",
        None,
        None,
    ]


def test_amounts_to_bands_of_100_500_and_1000_yuan() -> None:
    amounts = pa.array([Decimal("695.50"), Decimal("1000.00"), None, Decimal("-3.20")], pa.decimal128(10, 2))
    assert generalise(amounts, "FINANCIAL").to_pylist() == ["600-699", "1000-1099", None, "-100--1"]
    assert generalise(amounts, "FINANCIAL", 2).to_pylist() == ["500-999", "1000-1499", None, "-500--1"]
    assert generalise(amounts, "FINANCIAL", 3).to_pylist() == ["0-999", "1000-1999", None, "-1000--1"]


def test_address_to_its_community_then_its_street() -> None:
    assert generalise(pa.array(ADDRESSES), "ADDRESS").to_pylist() == [
        "贵州省贵阳市南明区新华路街道和平社区",
        "云岩区黔东街道新村社区",  # 社区 wins over the 村 inside the community's name
        "花溪区青岩镇龙井村",
        None,  # no community to cut at: withheld, not passed through
        None,
    ]
    assert generalise(pa.array(ADDRESSES), "ADDRESS", 2).to_pylist() == [
        "贵州省贵阳市南明区新华路街道",
        "云岩区黔东街道",
        "花溪区青岩镇",
        None,
        None,
    ]


@pytest.mark.parametrize("entity", sorted(LADDERS))
def test_each_step_takes_the_previous_steps_output(entity: str) -> None:
    samples = {
        "DATE_OF_BIRTH": pa.array([dt.date(1953, 5, 1), dt.date(2011, 1, 9), None]),
        "AGE": pa.array([7, 68, None]),
        "ADDRESS": pa.array(ADDRESSES),
        "FINANCIAL": pa.array([Decimal("812.00"), None], pa.decimal128(10, 2)),
    }
    values = samples[entity]
    for step in LADDERS[entity]:
        values = step.apply(values)
        assert values.to_pylist() == generalise(samples[entity], entity, step.level).to_pylist()
        assert values.null_count >= samples[entity].null_count
