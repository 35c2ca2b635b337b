"""Random policies, tiers, classifications and datasets: nothing returned less protected than allowed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from huiliu.contracts.model import DatasetContract
from huiliu.policy.columns import decide_columns
from huiliu.policy.rules import ReturnPolicy
from huiliu.policy.vocabulary import Tier
from tests.helpers.policies import check_decision, classifications, datasets, policies


@settings(max_examples=300, deadline=None)
@given(data=st.data(), policy=policies(), tier=st.sampled_from(list(Tier)), contract=datasets())
def test_no_column_is_returned_less_protected_than_the_policy_allows(
    data: st.DataObject, policy: ReturnPolicy, tier: Tier, contract: DatasetContract
) -> None:
    table = data.draw(classifications(contract))
    decision = decide_columns(policy, tier, contract, table)
    check_decision(policy, tier, contract, table, decision)
    assert [c.column for c in decision.columns][: len(contract.columns)] == [c.name for c in contract.columns]
    assert all(c.reason_en and c.reason_zh for c in decision.columns)
