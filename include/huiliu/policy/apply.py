"""The policy applied to rows: one function for every way data leaves the lake (push and pull).

Given rows of a dataset and the tier's :class:`~huiliu.policy.columns.ReturnDecision`, it returns
only the columns the tier receives, in contract order, each transformed by its action: masked,
generalised one step, hashed under the grant's own key or anonymised; nulls stay null. Columns the
decision returns but the rows lack are left out, so a narrow read yields the columns it can.
Everything but the keyed hash is the same for every grant of a tier (:func:`apply_unkeyed`, computed
once per tier in a delivery pass); the hash is each grant's own (:func:`apply_keyed`).
"""

from __future__ import annotations

import pyarrow as pa

from huiliu.errors import AccessError
from huiliu.policy.columns import ColumnDecision, ReturnDecision
from huiliu.policy.generalisation import generalise
from huiliu.policy.hashing import hash_array
from huiliu.policy.masking import Values, anonymize_array, mask_array, mask_array_by_type
from huiliu.policy.vocabulary import Action


def apply_column(values: Values, column: ColumnDecision, *, grant_id: str, key: bytes) -> Values:
    """One column's values as the tier receives them."""
    if column.action is Action.HASH:
        return hash_array(values, key=key, grant_id=grant_id, entity_type=column.applies_as)
    return _unkeyed(values, column)


def _unkeyed(values: Values, column: ColumnDecision) -> Values:
    action = column.action
    if action is Action.KEEP:
        return values
    if action is Action.MASK and column.masks:
        return mask_array_by_type(values, {entity: dict(params) for entity, params in column.masks})
    if action is Action.MASK:
        return mask_array(values, dict(column.mask_params))
    if action is Action.GENERALIZE and column.applies_as is not None:
        return generalise(values, column.applies_as)
    if action is Action.ANONYMIZE:
        return anonymize_array(values)
    raise AccessError(f"column {column.column!r} is not returned ({action.value}): the policy withholds it")


def apply_unkeyed(table: pa.Table, decision: ReturnDecision) -> pa.Table:
    """The rows with every action but the keyed hash applied: the same for every grant of the tier.

    Columns the policy hashes are left as they are; :func:`apply_keyed` hashes them under a grant's key.
    """
    returned = [c for c in decision.returned if c.column in table.column_names]
    rows = table.select([c.column for c in returned])
    for index, column in enumerate(returned):
        if column.action is not Action.HASH:
            rows = rows.set_column(index, column.column, _unkeyed(rows.column(index), column))
    return rows


def hashes_any(decision: ReturnDecision) -> bool:
    """Whether the tier receives a column hashed under each grant's own key."""
    return any(c.action is Action.HASH for c in decision.returned)


def apply_keyed(rows: pa.Table, decision: ReturnDecision, *, grant_id: str, key: bytes) -> pa.Table:
    """Rows from :func:`apply_unkeyed` with the hashed columns hashed under the grant's own key."""
    for column in decision.returned:
        if column.action is Action.HASH and column.column in rows.column_names:
            index = rows.schema.get_field_index(column.column)
            values = apply_column(rows.column(index), column, grant_id=grant_id, key=key)
            rows = rows.set_column(index, column.column, values)
    return rows


def apply_policy(table: pa.Table, decision: ReturnDecision, *, grant_id: str, key: bytes) -> pa.Table:
    """The rows as the grant's unit receives them: returned columns only, each transformed.

    Args:
        table: rows of the dataset (curated columns; technical and other columns are ignored).
        decision: what the unit's tier receives of the dataset.
        grant_id: the grant the rows are delivered under (the hash key is derived from it).
        key: the city's hash key (:func:`huiliu.policy.hashing.policy_hash_key`).
    """
    return apply_keyed(apply_unkeyed(table, decision), decision, grant_id=grant_id, key=key)
