"""PII gate classifications built by hand, as the gate would store them, for policy tests."""

from __future__ import annotations

from huiliu.contracts.model import DatasetContract
from huiliu.pii.classify import ColumnClassification, EntityMatch, TableClassification


def column(
    name: str, *entities: str, kind: str = "structured", rare: tuple[str, ...] = ()
) -> ColumnClassification:
    """A column classified as ``entities`` (and, in free text, ``rare`` types seen below the bar)."""
    matches = tuple(EntityMatch(e, 1.0, 100, 0.9) for e in entities)
    observed = matches + tuple(EntityMatch(e, 0.01, 1, 0.5) for e in rare)
    return ColumnClassification(
        name, "string", 100, 0, 100, kind if matches else "none", matches, observed, (), ""
    )  # type: ignore[arg-type]


def classified(
    contract: DatasetContract, *columns: ColumnClassification, skip: tuple[str, ...] = ()
) -> TableClassification:
    """Every contract column examined (those not given: no personal information), except ``skip``."""
    given = {c.name: c for c in columns}
    names = [c.name for c in contract.columns if c.name not in skip] + [n for n in given if n.startswith("_")]
    return TableClassification(tuple(given.get(n, column(n)) for n in names), 100, 100)


RESIDENT_COLUMNS = (
    column("id_number", "CN_RESIDENT_ID"),
    column("name", "PERSON"),
    column("gender", "GENDER"),
    column("birth_date", "DATE_OF_BIRTH"),
    column("ethnicity", "ETHNICITY"),
    column("household_address", "ADDRESS"),
    column("phone", "CN_MOBILE"),
)
"""The resident registry's personal-information columns as the gate classifies them."""


def store_resident_classification(
    batch: str = "b1", *, needs_approval: bool = False, replacing: tuple[ColumnClassification, ...] = ()
) -> None:
    """Store a gate classification of the resident registry, as the PII gate would (``replacing``:
    columns classified otherwise than in :data:`RESIDENT_COLUMNS`)."""
    from huiliu.contracts import load_contract
    from huiliu.pii import decisions
    from huiliu.store.batches import register_dataset

    contract = load_contract("resident_registry")
    register_dataset(contract)
    others = {c.name: c for c in replacing}
    table = classified(contract, *(others.get(c.name, c) for c in RESIDENT_COLUMNS), column("_batch_id"))
    fields = {
        "rows": 100,
        "sampled_rows": 100,
        "columns": [c.as_dict() for c in table.columns],
        "status": "pass",
    }
    decisions.save_classification(batch, contract.name, fields)
    decisions.request_decision(contract.name, batch, needs_approval, [])
