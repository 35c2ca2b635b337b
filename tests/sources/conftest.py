"""Fixtures of the file-source tests: the real file-drop contracts."""

from __future__ import annotations

from pathlib import Path

import pytest

from huiliu.contracts import DatasetContract, load_contracts

CONTRACTS_DIR = Path(__file__).resolve().parents[2] / "include" / "contracts"


@pytest.fixture(scope="session")
def contracts() -> dict[str, DatasetContract]:
    """Every contract of the repository, validated."""
    return load_contracts(CONTRACTS_DIR)


@pytest.fixture
def unemployment(contracts: dict[str, DatasetContract]) -> DatasetContract:
    """The GBK CSV drop of 人社局 (unemployment_benefit)."""
    return contracts["unemployment_benefit"]


@pytest.fixture
def volunteer(contracts: dict[str, DatasetContract]) -> DatasetContract:
    """The XLSX drop of the communities (volunteer_points)."""
    return contracts["volunteer_points"]
