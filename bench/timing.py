"""Timing helpers shared by the bench figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

Result = dict[str, Any]


def best_of_alternating(
    runs: int, baseline: Callable[[], Result], ours: Callable[[], Result]
) -> tuple[Result, Result]:
    """The fastest of ``runs`` results (by ``seconds``) of the baseline and of huiliu, run
    alternately so that drift of the machine hits both."""
    base, mine = [], []
    for _ in range(runs):
        base.append(baseline())
        mine.append(ours())
    fastest = lambda results: min(results, key=lambda r: r["seconds"])  # noqa: E731
    return fastest(base), fastest(mine)


def create_table_as(url: str, name: str, select: str, *then: str) -> None:
    """Replace table ``name`` with the rows of ``select``, then run the ``then`` statements."""
    with sa.create_engine(url).begin() as conn:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        conn.execute(sa.text(f"CREATE TABLE {name} AS {select}"))
        for statement in then:
            conn.execute(sa.text(statement))
