"""Fixtures of the reconciliation tests: a small generated city, landed and copied to curated."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from huiliu.city import generate_city
from huiliu.contracts import DatasetContract, load_contract
from huiliu.ingest import land_dataset
from huiliu.lake.catalog import lake_table
from huiliu.lake.schema import landing_schema
from huiliu.settings import Settings, get_settings
from tests.conftest import _clear_caches

AS_OF = date(2026, 10, 15)
CITY_RESIDENTS = 20_000
RECONCILED = (
    "resident_registry",
    "subsistence_allowance",
    "disability_registry",
    "elderly_care_services",
    "hotline_tickets",
    "grid_events",
)


def copy_to_curated(contract: DatasetContract, settings: Settings | None = None) -> int:
    """Append everything landed for a dataset to its curated table (stands in for the quality gate)."""
    landed = lake_table(contract.landing_table, settings=settings).scan().to_arrow()
    schema = landing_schema(contract)
    lake_table(contract.curated_table, schema, settings).append(landed.select(schema.names).cast(schema))
    return landed.num_rows


def land_and_curate(names: tuple[str, ...], run_key: str = "20261015T000000") -> None:
    """Land each dataset from the city's sources and copy it to curated."""
    for name in names:
        contract = load_contract(name)
        land_dataset(contract, run_key)
        copy_to_curated(contract)


@dataclass(frozen=True)
class CityLake:
    """A home whose curated zone holds the reconciled datasets of a generated city."""

    home: Path
    ground_truth: dict[str, Any]


@pytest.fixture(scope="module")
def city_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CityLake]:
    """A small city (seed 7), landed once and copied to curated; the module's huiliu home."""
    home = tmp_path_factory.mktemp("reconcile") / "huiliu"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUILIU_HOME", str(home))
        for key in [k for k in os.environ if k.startswith(("HUILIU_SOURCE_", "OPENLINEAGE"))]:
            patch.delenv(key)
        _clear_caches()
        get_settings().ensure_home()
        manifest = generate_city(get_settings().city_path, residents=CITY_RESIDENTS, seed=7, as_of=AS_OF)
        land_and_curate(RECONCILED)
        yield CityLake(home, json.loads(manifest.ground_truth.read_text(encoding="utf-8")))
    _clear_caches()


@pytest.fixture
def on_city(city_lake: CityLake, monkeypatch: pytest.MonkeyPatch) -> Iterator[CityLake]:
    """The shared city lake as this test's huiliu home."""
    monkeypatch.setenv("HUILIU_HOME", str(city_lake.home))
    _clear_caches()
    yield city_lake
    _clear_caches()
