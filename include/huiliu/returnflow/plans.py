"""Each grant's extract plan, from the return policy in force: columns, transformation and guard.

A grant's unit receives what its tier gets under the policy
(:func:`huiliu.policy.columns.decide_columns` on the PII gate's latest classification), transformed
by :func:`huiliu.policy.apply.apply_unkeyed` (one projection shared by the tier's plans) and
:func:`huiliu.policy.apply.apply_keyed` (hashing under the grant's own key). The guard measures the
contract's quasi-identifiers as delivered, with the policy's k, ℓ and suppression share; its ladder
continues each generalised quasi-identifier along the policy's ladders from where the policy left
it, then makes the unit code coarser.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from itertools import zip_longest

import pyarrow as pa
import pyarrow.compute as pc

from huiliu.contracts.model import UNIT_CODE_DIGITS, DatasetContract
from huiliu.pii.classify import TableClassification
from huiliu.policy.apply import apply_keyed, apply_unkeyed, hashes_any
from huiliu.policy.columns import ColumnDecision, ReturnDecision, decide_columns
from huiliu.policy.generalisation import LADDERS
from huiliu.policy.grants import GrantView
from huiliu.policy.reidentification import GuardRule, LadderStep
from huiliu.policy.rules import ReturnPolicy
from huiliu.policy.vocabulary import Action, Tier
from huiliu.returnflow.delivery import ExtractPlan
from huiliu.returnflow.lineage import ColumnAction

_COARSER = {"grid": "community", "community": "street", "street": "district"}
_LEVEL_ZH = {"community": "社区", "street": "街道", "district": "区县"}


def _value_steps(column: ColumnDecision) -> list[LadderStep]:
    """The ladder steps left for a delivered column: after the policy's own step, or all when kept."""
    if column.action is Action.GENERALIZE and column.applies_as in LADDERS:
        remaining = LADDERS[column.applies_as][1:]
    elif column.action is Action.KEEP:
        kind = next((t for t in column.entity_types if t in LADDERS), None)
        remaining = LADDERS[kind] if kind else ()
    else:
        return []
    return [
        LadderStep(column=column.column, generalise=g.apply, label_zh=g.label_zh, label_en=g.label_en)
        for g in remaining
    ]


def _code_prefix(values: pa.Array, digits: int) -> pa.Array:
    """Unit codes cut to their first ``digits`` (the code of the unit above)."""
    return pc.utf8_slice_codeunits(values, 0, digits)


def _unit_code_steps(column: str, level: str) -> list[LadderStep]:
    """Unit codes made coarser level by level (a community's code → its street's → its district's)."""
    steps = []
    while level in _COARSER and _COARSER[level] != "district":
        level = _COARSER[level]
        digits = UNIT_CODE_DIGITS[level]
        steps.append(
            LadderStep(
                column=column,
                generalise=partial(_code_prefix, digits=digits),
                label_zh=f"所属{_LEVEL_ZH[level]}",
                label_en=f"{level} code",
            )
        )
    return steps


def guard_rule(policy: ReturnPolicy, contract: DatasetContract, decision: ReturnDecision) -> GuardRule:
    """The guard of a tier's extracts: the policy's k, ℓ and share, and the ladder on delivered columns.

    A contract that names no quasi-identifier (its rows are not about persons) is not measured (k 1).

    Value ladders are taken one step of each quasi-identifier in turn; the unit code's coarsening
    comes last, as it costs a unit its finer breakdown.
    """
    returns = contract.returns
    delivered = {c.column: c for c in decision.returned}
    quasi = [c for c in (returns.quasi_identifiers if returns else []) if c in delivered]
    unit_column = returns.unit_column if returns else None
    value_ladders = [_value_steps(delivered[c]) for c in quasi if c != unit_column]
    ladder = [step for round_ in zip_longest(*value_ladders) for step in round_ if step is not None]
    if returns and unit_column in quasi and delivered[unit_column].action is Action.KEEP:
        ladder += _unit_code_steps(unit_column, returns.unit_level)
    sensitive = returns.sensitive_column if returns else None
    measured = sensitive is not None and sensitive in delivered
    names_persons = bool(returns and returns.quasi_identifiers)  # no quasi-identifier: nothing to measure
    return GuardRule(
        k=policy.guard.k if names_persons else 1,
        l=policy.guard.l if measured else 1,
        max_suppressed_share=policy.guard.max_suppressed_share,
        ladder=tuple(ladder),
    )


def _action(column: ColumnDecision) -> ColumnAction:
    return ColumnAction(
        name=column.column,
        source=column.column,
        action=column.action.value,
        description=column.description,
        reason_zh=column.reason_zh,
        reason_en=column.reason_en,
    )


def _tier_projection(decision: ReturnDecision) -> Callable[[pa.Table], pa.Table]:
    return partial(apply_unkeyed, decision=decision)


def _keyed(decision: ReturnDecision, grant_id: str, key: bytes) -> Callable[[pa.Table], pa.Table] | None:
    if not hashes_any(decision):
        return None
    return partial(apply_keyed, decision=decision, grant_id=grant_id, key=key)


def plan_grants(
    contract: DatasetContract,
    grants: Sequence[GrantView],
    *,
    policy: ReturnPolicy,
    classification: TableClassification | None,
    hash_key: bytes,
) -> list[ExtractPlan]:
    """One extract plan per grant (a grant whose tier receives no column gets no plan).

    Args:
        contract: the dataset.
        grants: its active grants.
        policy: the return policy in force.
        classification: the PII gate's latest classification of the dataset (None: unexamined,
            so nothing but what the policy allows unexamined columns is returned: nothing).
        hash_key: the city's hash key (each grant hashes under its own key derived from it).
    """
    decisions: dict[Tier, tuple[ReturnDecision, Callable[[pa.Table], pa.Table], GuardRule]] = {}
    plans = []
    for grant in grants:
        tier = Tier(grant.unit_level)
        if tier not in decisions:  # one projection and one guard object per tier, shared by its plans
            decided = decide_columns(policy, tier, contract, classification)
            decisions[tier] = decided, _tier_projection(decided), guard_rule(policy, contract, decided)
        decision, projection, guard = decisions[tier]
        if not decision.returned:
            continue
        returns = contract.returns
        delivered = {c.column for c in decision.returned}
        quasi = tuple(c for c in (returns.quasi_identifiers if returns else []) if c in delivered)
        sensitive = returns.sensitive_column if returns else None
        plans.append(
            ExtractPlan(
                grant=grant,
                columns=tuple(_action(c) for c in decision.returned),
                withheld=tuple(_action(c) for c in decision.columns if not c.returned),
                project=projection,
                keyed=_keyed(decision, grant.id, hash_key),
                quasi_identifiers=quasi,
                sensitive=sensitive if sensitive in delivered else None,
                guard=guard,
                policy_version=policy.label,
            )
        )
    return plans
