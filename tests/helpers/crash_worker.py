"""A process that gates one batch over and over, to be killed at a random moment."""

from __future__ import annotations

import os
from multiprocessing.synchronize import Event


def gate_forever(environment: dict[str, str], batch_id: str, ready: Event) -> None:
    for key in [k for k in os.environ if k.startswith("HUILIU_")]:
        del os.environ[key]
    os.environ.update(environment)
    from huiliu.contracts import load_contract
    from huiliu.lake import catalog
    from huiliu.quality.gate import run_gate
    from huiliu.settings import reset_settings
    from huiliu.store import db

    reset_settings()
    db.get_engine.cache_clear()
    db._ready.clear()
    catalog._catalog.cache_clear()
    contract = load_contract("resident_registry")
    ready.set()
    while True:
        run_gate(contract, batch_id)
