"""Work run in child processes: gating one batch over and over (to be killed), landing a batch."""

from __future__ import annotations

import os
from multiprocessing.synchronize import Event


def _use(environment: dict[str, str]) -> None:
    """Take the test's HUILIU_* settings (a forkserver child starts with the server's)."""
    for key in [k for k in os.environ if k.startswith("HUILIU_")]:
        del os.environ[key]
    os.environ.update(environment)
    from huiliu.lake import catalog
    from huiliu.settings import reset_settings
    from huiliu.store import db

    reset_settings()
    db.get_engine.cache_clear()
    db._ready.clear()
    catalog._catalog.cache_clear()


def gate_forever(environment: dict[str, str], batch_id: str, ready: Event) -> None:
    _use(environment)
    from huiliu.contracts import load_contract
    from huiliu.quality.gate import run_gate

    contract = load_contract("resident_registry")
    ready.set()
    while True:
        run_gate(contract, batch_id)


def land_once(environment: dict[str, str], run_key: str) -> None:
    """Land one batch of resident_registry (for two processes started at once)."""
    _use(environment)
    from huiliu.contracts import load_contract
    from huiliu.ingest import land_dataset

    land_dataset(load_contract("resident_registry"), run_key)
