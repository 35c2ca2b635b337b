"""Dataset contracts: one YAML file per dataset, the unit of onboarding."""

from huiliu.contracts.loader import check_paths, load_contract, load_contracts
from huiliu.contracts.model import ColumnSpec, DatasetContract

__all__ = ["ColumnSpec", "DatasetContract", "check_paths", "load_contract", "load_contracts"]
