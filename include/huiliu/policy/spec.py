"""The return policy file (``include/policies/*.yaml``) as pydantic models, one per block of the file.

A policy declares its version, the tier below which sensitive personal information (PIPL art. 28)
is never returned, the re-identification guard's k, ℓ and suppression share, and for each tier the
actions per sharing class, sensitivity grade and entity type. A tier may inherit the rules of a
tier above it, and an action it gives itself always wins over the inherited one.
"""

from __future__ import annotations

from typing import TypeAlias

from pydantic import BaseModel, ConfigDict, Field

from huiliu.policy.vocabulary import Action, Tier

EntityActions: TypeAlias = dict[str, Action]
"""Entity type → action (the entity types are checked against the catalogue after parsing)."""


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GradeRules(Spec):
    """One sharing class's actions, per sensitivity grade of the dataset."""

    general: EntityActions | None = Field(default=None, description="一般数据: entity type → action")
    important: EntityActions | None = Field(default=None, description="重要数据: entity type → action")
    core: EntityActions | None = Field(default=None, description="核心数据: entity type → action")


class TierRules(Spec):
    """One tier's rules; ``none`` (不予共享) has none, since such datasets are never returned."""

    inherits: Tier | None = Field(
        default=None, description="a tier above this one whose rules apply where this tier gives none"
    )
    unconditional: GradeRules | None = Field(default=None, description="无条件共享 datasets")
    conditional: GradeRules | None = Field(default=None, description="有条件共享 datasets")


class TierTable(Spec):
    """The rules of each tier; a tier the policy leaves out receives nothing."""

    district: TierRules | None = None
    street: TierRules | None = None
    community: TierRules | None = None
    grid: TierRules | None = None

    def of(self, tier: Tier) -> TierRules | None:
        rules: TierRules | None = getattr(self, tier.value)
        return rules


class GuardSpec(Spec):
    """What each unit's extract must reach (measured by :mod:`huiliu.policy.reidentification`)."""

    k: int = Field(
        default=5, ge=2, description="the smallest group sharing one combination of quasi-identifiers"
    )
    l: int = Field(  # noqa: E741 - ℓ, as the literature names it
        default=1,
        ge=1,
        description="the fewest distinct values of the sensitive column per group (1: not measured)",
    )
    max_suppressed_share: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="the share of a unit's rows that may be suppressed before it is held",
    )


class ReturnPolicySpec(Spec):
    """A whole return policy file."""

    version: str = Field(min_length=1, description='the policy\'s own version, quoted (e.g. "2025.1")')
    title: str | None = Field(default=None, description="the policy's name, e.g. 贵阳市数据回流脱敏策略")
    sensitive_minimum_tier: Tier = Field(
        description="the lowest tier that may receive sensitive personal information (PIPL art. 28); "
        "below it such information is only ever dropped"
    )
    reidentification: GuardSpec = Field(default_factory=GuardSpec, description="k, ℓ and suppression share")
    tiers: TierTable = Field(description="the rules of each tier")
