"""Masking of the personal data shown in reconciliation samples and flag listings.

Conventions of Chinese government systems (see the domain notes): an ID number keeps its 6-digit
region code and its last 4 characters (``520102********4514``), a name keeps its surname (``张*``).
A record key is masked like an ID number when its column holds personal information, so a
disability certificate number (ID number + category + grade) never shows in full.
"""

from __future__ import annotations

from collections.abc import Sequence

from huiliu.contracts.model import DatasetContract

ID_KEEP_HEAD = 6
ID_KEEP_TAIL = 4


def mask_id(value: str | None) -> str | None:
    """``520102199003074514`` → ``520102********4514``; a short value is starred out entirely."""
    if value is None:
        return None
    if len(value) <= ID_KEEP_HEAD + ID_KEEP_TAIL:
        return "*" * len(value)
    hidden = len(value) - ID_KEEP_HEAD - ID_KEEP_TAIL
    return value[:ID_KEEP_HEAD] + "*" * hidden + value[-ID_KEEP_TAIL:]


def mask_name(value: str | None) -> str | None:
    """``张三`` → ``张*``: the surname stays, the given name is one star whatever its length."""
    if value is None:
        return None
    value = value.strip()
    return value[:1] + "*" if value else ""


def personal_key_columns(contract: DatasetContract) -> tuple[str, ...]:
    """The primary-key columns the contract declares as personal information."""
    declared = {p.column for p in contract.personal_information}
    return tuple(c for c in contract.schema_.primary_key if c in declared)


def mask_record_key(record_key: str, key_columns: Sequence[str], personal: Sequence[str]) -> str:
    """A record key fit to show: each part from a personal-information column masked like an ID.

    Args:
        record_key: The key as stored, parts joined with ``/`` for a composite key.
        key_columns: The primary-key columns, in order.
        personal: Which of them hold personal information.
    """
    if not personal:
        return record_key
    parts = record_key.split("/", len(key_columns) - 1)
    masked = [
        (mask_id(part) or "") if column in personal else part
        for column, part in zip(key_columns, parts, strict=False)
    ]
    return "/".join(masked)


def display_key(record_key: str, contract: DatasetContract | None) -> str:
    """A record key masked by its contract; fully masked when the contract is unknown."""
    if contract is None:
        return mask_id(record_key) or ""
    return mask_record_key(record_key, contract.schema_.primary_key, personal_key_columns(contract))
