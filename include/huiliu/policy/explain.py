"""Why a unit gets what it gets: its tier, the dataset's classification and the policy's decision.

The unit's tier is its level in the governance store's administrative units; the classification is
the PII gate's latest one of a batch that passed or was approved; the decision is
:func:`huiliu.policy.columns.decide_columns` under the policy in force. An unknown unit or dataset,
or a unit above the district (which receives nothing back), is refused in Chinese and English.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from huiliu.divisions.hierarchy import LEVEL_NAMES_ZH, Level
from huiliu.errors import NotFoundError
from huiliu.policy.columns import ReturnDecision, decide_columns
from huiliu.policy.loader import load_policy
from huiliu.policy.rules import ReturnPolicy
from huiliu.policy.vocabulary import Tier

if TYPE_CHECKING:
    from huiliu.pii.classify import TableClassification


@dataclass(frozen=True, kw_only=True)
class Unit:
    """A receiving unit as the governance store knows it."""

    code: str
    name: str
    tier: Tier


@dataclass(frozen=True, kw_only=True)
class Explanation:
    """What one unit receives of one dataset, and on what it rests."""

    unit: Unit
    decision: ReturnDecision
    classified_batch: str | None
    policy: ReturnPolicy

    def as_dict(self) -> dict[str, object]:
        return {
            "unit": {"code": self.unit.code, "name": self.unit.name, "tier": self.unit.tier.value},
            "policy": {"file": self.policy.file, "version": self.policy.label},
            "classified_batch": self.classified_batch,
            **self.decision.as_dict(),
        }


def receiving_unit(code: str, url: str | None = None) -> Unit:
    """The unit with this code and its tier, from the governance store's administrative units.

    Raises:
        NotFoundError: no such unit, or a unit above the district.
    """
    from huiliu.store.db import session_scope
    from huiliu.store.models import AdminUnit

    with session_scope(url) as session:
        unit = session.get(AdminUnit, code.strip())
        if unit is None:
            raise NotFoundError(
                f"没有单位 {code}（先运行 huiliu units sync 同步行政区划） / "
                f"no unit {code} in the governance store (run huiliu units sync first)"
            )
        if unit.level not in {t.value for t in Tier}:
            level_zh = LEVEL_NAMES_ZH.get(cast(Level, unit.level), unit.level)
            raise NotFoundError(
                f"{unit.name}（{code}）是{level_zh}级单位，数据只回流到区县、街道、社区和网格 / "
                f"{unit.name} ({code}) is a {unit.level}; data returns only to districts, streets, "
                "communities and grids"
            )
        return Unit(code=unit.code, name=unit.name, tier=Tier(unit.level))


def stored_classification(dataset: str) -> tuple[TableClassification | None, str | None]:
    """The PII gate's latest classification of a passed or approved batch, and that batch's id."""
    from huiliu.pii.decisions import return_classification
    from huiliu.pii.gate import table_classification

    stored = return_classification(dataset)
    if stored is None:
        return None, None
    return table_classification(stored), str(stored["batch_id"])


def explain(
    unit_code: str, dataset: str, *, policy: ReturnPolicy | None = None, contracts_dir: Path | None = None
) -> Explanation:
    """Which columns of the dataset the unit receives under the policy in force, and why.

    Raises:
        NotFoundError: an unknown unit or dataset.
        PolicyError: the policy in force cannot be used.
    """
    from huiliu.contracts import load_contracts

    unit = receiving_unit(unit_code)
    contracts = load_contracts(contracts_dir)
    if dataset not in contracts:
        known = ", ".join(sorted(contracts))
        raise NotFoundError(f"没有数据集 {dataset}（已有：{known}） / no dataset {dataset} (known: {known})")
    policy = policy or load_policy()
    classification, batch = stored_classification(dataset)
    decision = decide_columns(policy, unit.tier, contracts[dataset], classification)
    return Explanation(unit=unit, decision=decision, classified_batch=batch, policy=policy)
