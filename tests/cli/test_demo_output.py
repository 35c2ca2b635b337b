"""What ``huiliu demo`` prints about the reconciliation run."""

from __future__ import annotations

from huiliu.airflow.demo import ReconciliationResult
from huiliu.cli.demo_cmd import _print_reconciliation
from huiliu.cli.output import console


def printed(result: ReconciliationResult) -> str:
    width = console.width
    console.width = 400  # one message, one line, whatever the terminal running the tests
    try:
        with console.capture() as captured:
            _print_reconciliation(result)
    finally:
        console.width = width
    return captured.get()


def test_mismatches_found_are_explained_as_records_to_send_back_not_a_broken_run() -> None:
    out = printed(
        {
            "state": "success",
            "status": "failed",
            "checks": [
                {"name": "recipients_in_registry", "status": "failed", "rows_compared": 900, "mismatches": 7},
                {"name": "community_exists", "status": "passed", "rows_compared": 900, "mismatches": 0},
            ],
        }
    )
    assert "7 处跨部门不一致" in out and "huiliu reconcile flags" in out
    assert "not a broken run" in out


def test_a_clean_run_or_a_broken_one_gets_no_such_explanation() -> None:
    clean = printed({"state": "success", "status": "passed", "checks": []})
    broken = printed(
        {
            "state": "failed",
            "status": None,
            "checks": [{"name": "x", "status": None, "rows_compared": None, "mismatches": 3}],
        }
    )
    assert "跨部门不一致" not in clean and "跨部门不一致" not in broken
