"""The words of the return policy: tiers, actions in order of protection, and the entity types.

Tiers are the levels of the hierarchy that receive data (district, street, community, grid). The
actions are ordered by how much of a value they let through, and each entity type accepts only the
actions that mean something for it, so the catalogue of entity types is built from the contracts'
list and the PII gate's registry (its mask per type and what its anonymiser does to each type).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

from huiliu.contracts.model import PI_ENTITY_TYPES, SENSITIVE_PI_TYPES, SharingClass
from huiliu.policy.generalisation import LADDERS

if TYPE_CHECKING:
    from huiliu.pii.config import PiiConfig

NO_PII = "NO_PII"
"""The pseudo entity type of a column the PII gate examined and found no personal information in."""
FREE_TEXT = "FREE_TEXT"


class Tier(StrEnum):
    """A level of the hierarchy that receives data, from the widest (district) to the narrowest."""

    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"

    @property
    def rank(self) -> int:
        """0 for district … 3 for grid: a higher rank is a smaller unit, protected more."""
        return list(Tier).index(self)

    def below(self, other: Tier) -> bool:
        """Whether this tier is a smaller unit than ``other`` (grid is below street)."""
        return self.rank > other.rank

    @property
    def zh(self) -> str:
        return TIER_ZH[self]


TIER_ZH = {Tier.DISTRICT: "区县级", Tier.STREET: "街道级", Tier.COMMUNITY: "社区级", Tier.GRID: "网格级"}


class Action(StrEnum):
    """What the policy does to a column of one entity type, least protective first.

    ``keep`` returns the value; ``mask`` hides part of it but keeps some of its own characters (an
    ID number's region and last four, a surname, an address's road without numbers); ``generalize``
    keeps only a class many people share (a birth year, an age band, a community); ``anonymize``
    returns free text with every finding replaced by the PII gate's anonymiser; ``hash`` returns a
    keyed digest that joins but reads as nothing; ``drop`` returns nothing.
    """

    KEEP = "keep"
    MASK = "mask"
    GENERALIZE = "generalize"
    ANONYMIZE = "anonymize"
    HASH = "hash"
    DROP = "drop"

    @property
    def protection(self) -> int:
        """The action's place in the order: a larger number lets less of a value through."""
        return list(Action).index(self)

    @property
    def zh(self) -> str:
        return ACTION_ZH[self]


ACTION_ZH = {
    Action.KEEP: "原样返还",
    Action.MASK: "脱敏",
    Action.GENERALIZE: "泛化",
    Action.ANONYMIZE: "匿名化",
    Action.HASH: "密钥哈希",
    Action.DROP: "不返还",
}
SHARING_ZH = {SharingClass.UNCONDITIONAL: "无条件共享", SharingClass.CONDITIONAL: "有条件共享"}
GRADE_ZH = {"general": "一般数据", "important": "重要数据", "core": "核心数据"}

GENERALISED_TYPES = frozenset(LADDERS)
"""Entity types with a generalisation ladder."""

_ANONYMISER_OPERATORS = {
    "keep": Action.KEEP,
    "cn_mask": Action.MASK,
    "mask": Action.MASK,
    "hash": Action.HASH,
    "replace": Action.DROP,
    "redact": Action.DROP,
}
"""What each presidio-anonymizer operator leaves of a value, as the policy's action of the same effect."""


@dataclass(frozen=True, kw_only=True)
class EntityCatalog:
    """The entity types a policy may name, and what each one allows.

    Attributes:
        entity_types: the contracts' entity types, the PII registry's, and ``NO_PII``.
        mask_params: ``cn_mask`` parameters per entity type that can be masked (the PII gate's mask).
        anonymiser: what the PII gate's anonymiser does to each entity type inside free text.
        anonymiser_default: what it does to a type it has no operator for.
    """

    entity_types: frozenset[str]
    mask_params: Mapping[str, Mapping[str, str | int | bool]]
    anonymiser: Mapping[str, Action]
    anonymiser_default: Action

    def valid_actions(self, entity_type: str) -> tuple[Action, ...]:
        """The actions that mean something for an entity type, in order of protection."""
        if entity_type == FREE_TEXT:
            return (Action.ANONYMIZE, Action.DROP)
        if entity_type == NO_PII:
            return (Action.KEEP, Action.DROP)
        valid = {Action.KEEP, Action.HASH, Action.DROP}
        if entity_type in self.mask_params:
            valid.add(Action.MASK)
        if entity_type in GENERALISED_TYPES:
            valid.add(Action.GENERALIZE)
        return tuple(a for a in Action if a in valid)

    def anonymised_as(self, entity_type: str) -> Action:
        """What the anonymiser leaves of an entity type found in free text."""
        return self.anonymiser.get(entity_type, self.anonymiser_default)


def is_sensitive(entity_type: str) -> bool:
    """Sensitive personal information in every dataset (PIPL art. 28)."""
    return entity_type in SENSITIVE_PI_TYPES


def entity_catalog(config: PiiConfig | None = None) -> EntityCatalog:
    """The catalogue from the PII registry (packaged, with ``HUILIU_PII_CONFIG`` merged on top)."""
    if config is None:
        from huiliu.pii.config import load_config

        config = load_config()
    registry_types = {spec.entity for spec in config.recognizers.values()}
    masks = {
        entity: MappingProxyType(dict(spec.params))
        for entity, spec in config.anonymizers.items()
        if spec.operator == "cn_mask" and entity != "DEFAULT"
    }
    anonymiser = {
        entity: _ANONYMISER_OPERATORS.get(spec.operator, Action.DROP)
        for entity, spec in config.anonymizers.items()
        if entity != "DEFAULT"
    }
    default = _ANONYMISER_OPERATORS.get(config.anonymizers["DEFAULT"].operator, Action.DROP)
    return EntityCatalog(
        entity_types=frozenset({*PI_ENTITY_TYPES, *registry_types, NO_PII}),
        mask_params=MappingProxyType(masks),
        anonymiser=MappingProxyType(anonymiser),
        anonymiser_default=default,
    )
