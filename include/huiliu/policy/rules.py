"""The return policy in force: one rule per tier, sharing class, sensitivity grade and entity type.

Inheritance is resolved once: a tier that inherits starts from the resolved rules of the tier it
names, and its own rules replace them type by type, each rule remembering its tier and line.
The version is the declared one plus the SHA-256 of the file, so an edit without a bump still shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeAlias

from huiliu.contracts.model import Sensitivity, SharingClass
from huiliu.policy.spec import GuardSpec, ReturnPolicySpec
from huiliu.policy.vocabulary import Action, EntityCatalog, Tier
from huiliu.spec_files import YamlDocument

RETURNED_CLASSES = (SharingClass.UNCONDITIONAL, SharingClass.CONDITIONAL)
GRADES = (Sensitivity.GENERAL, Sensitivity.IMPORTANT, Sensitivity.CORE)
RuleKey: TypeAlias = tuple[Tier, SharingClass, Sensitivity]


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One action for one entity type, and where the policy gives it."""

    action: Action
    tier: Tier
    path: str
    line: int | None = None


@dataclass(frozen=True, kw_only=True)
class ReturnPolicy:
    """A checked policy, inheritance resolved.

    Attributes:
        file: the file it was read from.
        version: the version the file declares.
        sha256: SHA-256 of the file's bytes.
        title: its name.
        sensitive_minimum_tier: the lowest tier that may receive sensitive personal information.
        guard: k, ℓ and suppression share of the re-identification guard.
        rules: (tier, sharing class, grade) → entity type → rule.
        catalog: the entity types and what each allows.
    """

    file: str
    version: str
    sha256: str
    title: str | None
    sensitive_minimum_tier: Tier
    guard: GuardSpec
    rules: Mapping[RuleKey, Mapping[str, Rule]]
    catalog: EntityCatalog

    @property
    def label(self) -> str:
        """The version every delivery names: declared version + the file's digest."""
        return f"{self.version}+{self.sha256[:12]}"

    def rules_for(self, tier: Tier, sharing: SharingClass, grade: Sensitivity) -> Mapping[str, Rule]:
        """Entity type → rule at one tier for one kind of dataset (empty: nothing is returned)."""
        return self.rules.get((tier, sharing, grade), MappingProxyType({}))

    def sensitive_allowed(self, tier: Tier) -> bool:
        """Whether the tier may receive sensitive personal information at all."""
        return not tier.below(self.sensitive_minimum_tier)


def _own_rules(
    spec: ReturnPolicySpec, tier: Tier, document: YamlDocument | None
) -> dict[RuleKey, dict[str, Rule]]:
    """The rules a tier's block gives itself."""
    block = spec.tiers.of(tier)
    own: dict[RuleKey, dict[str, Rule]] = {}
    if block is None:
        return own
    for sharing in RETURNED_CLASSES:
        grades = getattr(block, sharing.value)
        for grade in GRADES:
            actions = getattr(grades, grade.value) if grades is not None else None
            for entity, action in (actions or {}).items():
                path = f"tiers.{tier.value}.{sharing.value}.{grade.value}.{entity}"
                line = document.line_of(path) if document is not None else None
                own.setdefault((tier, sharing, grade), {})[entity] = Rule(
                    action=action, tier=tier, path=path, line=line
                )
    return own


def inherited_from(spec: ReturnPolicySpec, tier: Tier) -> Tier | None:
    """The tier whose rules ``tier`` starts from, when it names one above it that the policy defines."""
    block = spec.tiers.of(tier)
    parent = block.inherits if block is not None else None
    if parent is None or not tier.below(parent) or spec.tiers.of(parent) is None:
        return None
    return parent


def resolve(spec: ReturnPolicySpec, document: YamlDocument | None = None) -> dict[RuleKey, dict[str, Rule]]:
    """Every tier's rules with inheritance applied (a tier's own rule wins, entity by entity)."""
    resolved: dict[RuleKey, dict[str, Rule]] = {}
    for tier in Tier:  # widest first, so a parent is resolved before the tiers below it
        if spec.tiers.of(tier) is None:
            continue
        parent = inherited_from(spec, tier)
        for sharing in RETURNED_CLASSES:
            for grade in GRADES:
                base = dict(resolved.get((parent, sharing, grade), {})) if parent else {}
                if base:
                    resolved[(tier, sharing, grade)] = base
        for key, rules in _own_rules(spec, tier, document).items():
            resolved.setdefault(key, {}).update(rules)
    return resolved


def build(
    spec: ReturnPolicySpec, *, file: str, sha256: str, catalog: EntityCatalog, document: YamlDocument | None
) -> ReturnPolicy:
    """The runtime policy of a checked specification."""
    rules = {key: MappingProxyType(value) for key, value in resolve(spec, document).items()}
    return ReturnPolicy(
        file=file,
        version=spec.version,
        sha256=sha256,
        title=spec.title,
        sensitive_minimum_tier=spec.sensitive_minimum_tier,
        guard=spec.reidentification,
        rules=MappingProxyType(rules),
        catalog=catalog,
    )
