"""Random return policies, datasets and PII gate classifications for property-based tests, and the
check that what a tier receives is never less protected than the policy allows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from huiliu.contracts import load_contracts
from huiliu.contracts.model import (
    SENSITIVE_PI_TYPES,
    Classification,
    DatasetContract,
    PersonalInformation,
    SharingClass,
)
from huiliu.errors import PolicyError
from huiliu.pii.classify import TableClassification
from huiliu.policy.checks import PolicyProblem
from huiliu.policy.columns import ColumnDecision, ReturnDecision
from huiliu.policy.loader import policy_from_data
from huiliu.policy.rules import ReturnPolicy
from huiliu.policy.vocabulary import FREE_TEXT, NO_PII, Action, Tier, entity_catalog
from tests.helpers.classifications import column

CATALOG = entity_catalog()
NAMEABLE = sorted(CATALOG.entity_types)
UNKNOWN = [
    "CN_SOCIAL_SECURITY_CARD",
    "ORGANIZATION",
]  # types a classification may hold that no policy can name
FOUND = sorted(CATALOG.entity_types - {NO_PII, FREE_TEXT}) + UNKNOWN
CONTRACTS = list(load_contracts().values())

Rules = dict[str, Any]
"""A tier's block of a policy file: sharing class → grade → entity type → action (and ``inherits``)."""


@st.composite
def blocks(draw: st.DrawFn) -> Rules:
    """A tier's rules: some sharing classes, some grades, some entity types with a valid action each."""
    rules: dict[str, dict[str, dict[str, str]]] = {}
    for sharing in ("unconditional", "conditional"):
        for grade in ("general", "important", "core"):
            if draw(st.booleans()):
                named = draw(st.lists(st.sampled_from(NAMEABLE), unique=True, max_size=10))
                actions = {e: draw(st.sampled_from(CATALOG.valid_actions(e))).value for e in named}
                rules.setdefault(sharing, {})[grade] = actions
    return rules


def _dropped_where_refused(data: dict[str, Any], problems: list[PolicyProblem]) -> None:
    """Set every rule the art. 28 check refused to drop (tiers.<tier>.<class>.<grade>.<entity>)."""
    for problem in problems:
        _, tier, sharing, grade, entity = problem.field.split(".")
        block = data["tiers"][tier].setdefault(sharing, {}).setdefault(grade, {})
        block[entity] = "drop"


@st.composite
def policies(
    draw: st.DrawFn,
    rules: Callable[[], st.SearchStrategy[Rules]] = blocks,
    guards: st.SearchStrategy[dict[str, Any]] | None = None,
    present: st.SearchStrategy[bool] = st.integers(0, 3).map(bool),
) -> ReturnPolicy:
    """A random valid policy: random tiers, inheritance from above, rules, and minimum tier.

    Args:
        rules: the strategy of one tier's rules (default: any sharing class, grade and entity type).
        guards: the strategy of its ``reidentification`` block (default: none, the policy's defaults).
        present: whether a tier is in the policy (default: three times in four).
    """
    tiers: dict[str, dict[str, Any]] = {}
    for tier in Tier:
        if not draw(present):
            continue
        block: dict[str, Any] = draw(rules())
        above = [t.value for t in Tier if tier.below(t) and t.value in tiers]
        if above and draw(st.booleans()):
            block["inherits"] = draw(st.sampled_from(above))
        tiers[tier.value] = block
    data = {"version": "p", "sensitive_minimum_tier": draw(st.sampled_from(list(Tier))).value, "tiers": tiers}
    if guards is not None:
        data["reidentification"] = draw(guards)
    for _ in range(5):  # sensitive types below the minimum tier are refused: drop them, as an author would
        try:
            return policy_from_data(data, catalog=CATALOG)
        except PolicyError as exc:
            _dropped_where_refused(data, exc.problems)  # type: ignore[arg-type]
    return policy_from_data(data, catalog=CATALOG)


@st.composite
def datasets(draw: st.DrawFn, contracts: list[DatasetContract] = CONTRACTS) -> DatasetContract:
    """A shipped contract, sometimes 不予共享, sometimes marking a type sensitive, of any grade."""
    contract = draw(st.sampled_from(contracts))
    sharing = draw(st.sampled_from(list(SharingClass)))
    grade = draw(st.sampled_from(["general", "important", "core"]))
    marked = [*contract.personal_information]
    if marked and draw(st.booleans()):
        index = draw(st.integers(0, len(marked) - 1))
        marked[index] = PersonalInformation(
            column=marked[index].column, entity_type=marked[index].entity_type, sensitive=True
        )
    classification = Classification(sharing_class=sharing, sensitivity=grade)  # type: ignore[arg-type]
    return contract.model_copy(update={"classification": classification, "personal_information": marked})


@st.composite
def classifications(draw: st.DrawFn, contract: DatasetContract) -> TableClassification:
    """Most columns examined, each with random types (free text with rare types too), plus a technical one."""
    columns = []
    for spec in contract.columns:
        if draw(st.integers(0, 7)) == 0:
            continue  # not examined
        types = draw(st.lists(st.sampled_from(FOUND), unique=True, max_size=3))
        if draw(st.integers(0, 5)) == 0:
            rare = tuple(draw(st.lists(st.sampled_from(FOUND), unique=True, max_size=2)))
            columns.append(column(spec.name, FREE_TEXT, *types, kind="free_text", rare=rare))
        else:
            columns.append(column(spec.name, *types))
    columns.append(column("_batch_id"))
    return TableClassification(tuple(columns), 100, 100)


def _treated(decided: ColumnDecision, entity: str) -> Action:
    """How much of an entity type's values the delivered column lets through, as an action."""
    if decided.action is Action.ANONYMIZE:
        return Action.ANONYMIZE if entity == FREE_TEXT else CATALOG.anonymised_as(entity)
    return decided.action


def check_decision(
    policy: ReturnPolicy,
    tier: Tier,
    contract: DatasetContract,
    table: TableClassification,
    decision: ReturnDecision,
) -> None:
    """Every returned column was examined, carries its classified and declared types, and is treated at
    least as protectively as the policy asks for each of them (default deny, sensitive floor)."""
    sharing, grade = contract.classification.sharing_class, contract.classification.sensitivity
    rules = policy.rules_for(tier, sharing, grade)
    examined = {c.name: c for c in table.columns}
    marked = {pi.entity_type for pi in contract.personal_information if pi.sensitive}
    if sharing is SharingClass.NONE:
        assert decision.returned == ()
    for decided in decision.returned:
        assert decided.column in examined and decided.column in {c.name for c in contract.columns}
        assert set(examined[decided.column].entity_types) <= set(decided.entity_types)
        declared = {pi.entity_type for pi in contract.personal_information if pi.column == decided.column}
        assert declared <= set(decided.entity_types)
        for entity in decided.entity_types:
            rule = rules.get(entity)
            floor = (entity in SENSITIVE_PI_TYPES or entity in marked) and not policy.sensitive_allowed(tier)
            if decided.action is not Action.ANONYMIZE:
                assert rule is not None, f"{entity} is not named but {decided.column} is returned"
                assert not floor, f"{entity} is sensitive and {tier} is below the minimum tier"
            # in free text, an unnamed or too sensitive type must vanish entirely in the anonymiser
            allowed = Action.DROP if rule is None or floor else rule.action
            assert _treated(decided, entity).protection >= allowed.protection
            if rule is not None and rule.action is decided.action is Action.MASK:
                assert dict(CATALOG.mask_params[entity]) == dict(decided.mask_params_of(entity))
            if rule is not None and rule.action is decided.action is Action.GENERALIZE:
                assert decided.applies_as == entity
