"""The dataset registry: registering a dataset another process registers at the same moment."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from huiliu.contracts import load_contract
from huiliu.settings import Settings
from huiliu.store.batches import register_dataset
from huiliu.store.db import session_scope
from huiliu.store.models import DatasetRecord


def test_losing_the_race_to_insert_a_new_dataset_refreshes_the_winners_row(
    huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    contract = load_contract("resident_registry")
    register_dataset(contract)  # the other process's row
    with session_scope() as session:
        session.get(DatasetRecord, contract.name).title = "stale title"  # type: ignore[union-attr]
    lookups = {"n": 0}
    get = Session.get

    def not_seen_yet(self: Session, entity: Any, ident: Any, **kwargs: Any) -> Any:
        lookups["n"] += 1
        return None if lookups["n"] == 1 else get(self, entity, ident, **kwargs)  # looked before it was there

    monkeypatch.setattr(Session, "get", not_seen_yet)
    register_dataset(contract)
    monkeypatch.undo()

    with session_scope() as session:
        rows = session.query(DatasetRecord).filter_by(name=contract.name).all()
        assert [r.title for r in rows] == [contract.title]
    assert lookups["n"] == 2
