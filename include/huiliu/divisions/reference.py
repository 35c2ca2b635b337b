"""Read the real division tables shipped in ``data/`` (province, city, district, street)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources


def _rows(filename: str) -> Iterator[dict[str, str]]:
    with resources.files("huiliu.divisions").joinpath("data", filename).open(encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


@lru_cache(maxsize=1)
def provinces() -> dict[str, str]:
    """2-digit code → name."""
    return {r["code"]: r["name"] for r in _rows("provinces.csv")}


@lru_cache(maxsize=1)
def cities() -> dict[str, tuple[str, str]]:
    """4-digit code → (name, province code)."""
    return {r["code"]: (r["name"], r["provinceCode"]) for r in _rows("cities.csv")}


@lru_cache(maxsize=1)
def districts() -> dict[str, tuple[str, str]]:
    """6-digit code → (name, city code)."""
    return {r["code"]: (r["name"], r["cityCode"]) for r in _rows("areas.csv")}


@lru_cache(maxsize=1)
def streets() -> dict[str, tuple[str, str]]:
    """9-digit code → (name, district code)."""
    return {r["code"]: (r["name"], r["areaCode"]) for r in _rows("streets.csv")}


def all_region_codes() -> frozenset[str]:
    """Every real 6-digit district/county code (the first six digits of a resident ID)."""
    return frozenset(districts())
