"""Console output written to a log keeps its tables whole."""

from __future__ import annotations

import io

import pytest
from rich.table import Table

from huiliu.cli.output import LOG_WIDTH, _console


def _demo_like_table() -> Table:
    table = Table(title="huiliu demo 演示结果")
    for header in ("dataset", "state", "rows_landed", "rows_curated", "rows_quarantined", "pass_rate"):
        table.add_column(header)
    table.add_row("resident_registry", "success", "50,250", "48,600", "1,650", "96.72%")
    return table


def test_output_to_a_file_or_pipe_keeps_every_column_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    log = io.StringIO()
    console = _console(log)
    console.file = log
    console.print(_demo_like_table())
    assert console.width == LOG_WIDTH
    for header in ("rows_curated", "rows_quarantined", "pass_rate", "48,600"):
        assert header in log.getvalue()


def test_columns_set_by_the_user_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert _console(io.StringIO()).width == 100
