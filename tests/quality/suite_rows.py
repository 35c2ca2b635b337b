"""Run a dataset's reviewed suite over hand-made rows, as the gate runs it over a landed chunk."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pyarrow as pa
from stdnum.cn import ric

from huiliu.contracts import load_contract
from huiliu.contracts.arrow import arrow_schema
from huiliu.divisions import load_hierarchy
from huiliu.quality.batch_stream import data_frame
from huiliu.quality.gate import run_parameters
from huiliu.quality.suites import load_checked_suite
from huiliu.quality.validation import SuiteRunner
from huiliu.quality.verdict import Verdict, combine, decide
from huiliu.settings import Settings


def resident_id(region: str, birth: date, sequence: int) -> str:
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def unit_code(settings: Settings, level: str) -> str:
    """A code of the city's hierarchy at ``level`` (district, community, grid)."""
    hierarchy = load_hierarchy(settings.city_code, None, settings.units_seed)
    return min(u.code for u in hierarchy.units.values() if u.level == level)


def gate_verdict(dataset: str, rows: list[dict[str, Any]], as_of: datetime, settings: Settings) -> Verdict:
    """The gate's per-row verdict on ``rows`` under the dataset's suite (no batch hold share)."""
    contract = load_contract(dataset)
    table = pa.Table.from_pylist(rows, schema=arrow_schema(contract))
    runner = SuiteRunner(load_checked_suite(contract, settings), dataset)
    outcomes = runner.validate(data_frame(contract, table, 0), run_parameters(contract, as_of, settings), "t")
    return decide(combine([outcomes]), len(rows), 1.0)


def row_failures(verdict: Verdict, position: int) -> dict[str, str]:
    """The rules row ``position`` fails, with their severity."""
    return {
        verdict.rules[i].rule: verdict.rules[i].severity for i in verdict.failures_by_row.get(position, [])
    }
