"""Timing helpers shared by the bench figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

Result = dict[str, Any]


def best_of_rounds(runs: int, *timed: Callable[[], Result]) -> tuple[Result, ...]:
    """The fastest of ``runs`` results (by ``seconds``) of each of ``timed``, run in turn round
    after round, so that drift of the machine hits them all alike."""
    results: list[list[Result]] = [[] for _ in timed]
    for _ in range(runs):
        for kept, run in zip(results, timed, strict=True):
            kept.append(run())
    return tuple(min(kept, key=lambda r: r["seconds"]) for kept in results)


def create_table_as(url: str, name: str, select: str, *then: str) -> None:
    """Replace table ``name`` with the rows of ``select``, then run the ``then`` statements."""
    with sa.create_engine(url).begin() as conn:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        conn.execute(sa.text(f"CREATE TABLE {name} AS {select}"))
        for statement in then:
            conn.execute(sa.text(statement))
