"""The policy applied to rows: one function for every way data leaves the lake (push and pull).

Given rows of a dataset and the tier's :class:`~huiliu.policy.columns.ReturnDecision`, it returns
only the columns the tier receives, in contract order, each transformed by its action: masked,
generalised one step, hashed under the grant's own key or anonymised; nulls stay null. Columns the
decision returns but the rows lack are left out, so a narrow read yields the columns it can.
"""

from __future__ import annotations

import pyarrow as pa

from huiliu.errors import AccessError
from huiliu.policy.columns import ColumnDecision, ReturnDecision
from huiliu.policy.generalisation import generalise
from huiliu.policy.hashing import hash_array
from huiliu.policy.masking import Values, anonymize_array, mask_array
from huiliu.policy.vocabulary import Action


def apply_column(values: Values, column: ColumnDecision, *, grant_id: str, key: bytes) -> Values:
    """One column's values as the tier receives them."""
    action = column.action
    if action is Action.KEEP:
        return values
    if action is Action.MASK:
        return mask_array(values, dict(column.mask_params))
    if action is Action.GENERALIZE and column.applies_as is not None:
        return generalise(values, column.applies_as)
    if action is Action.HASH:
        return hash_array(values, key=key, grant_id=grant_id, entity_type=column.applies_as)
    if action is Action.ANONYMIZE:
        return anonymize_array(values)
    raise AccessError(f"column {column.column!r} is not returned ({action.value}): the policy withholds it")


def apply_policy(table: pa.Table, decision: ReturnDecision, *, grant_id: str, key: bytes) -> pa.Table:
    """The rows as the grant's unit receives them: returned columns only, each transformed.

    Args:
        table: rows of the dataset (curated columns; technical and other columns are ignored).
        decision: what the unit's tier receives of the dataset.
        grant_id: the grant the rows are delivered under (the hash key is derived from it).
        key: the city's hash key (:func:`huiliu.policy.hashing.policy_hash_key`).
    """
    returned = [c for c in decision.returned if c.column in table.column_names]
    rows = table.select([c.column for c in returned])
    for index, column in enumerate(returned):
        values = apply_column(rows.column(index), column, grant_id=grant_id, key=key)
        rows = rows.set_column(index, column.column, values)
    return rows
