"""Quality suites: Great Expectations suite JSON files in ``expectations/``, one per dataset.

A suite is reviewed like code. Two levels of checking:

* ``suite_problems`` is cheap (no Great Expectations import): the file parses, names the contract's
  suite, every expectation type exists (GX's own or huiliu's custom ones), every column it names
  is a column of the contract, and severities are valid. ``huiliu contracts check`` and DAG
  parsing use it.
* ``build_gx_suite`` turns the document into a real ``gx.ExpectationSuite`` for a run.

Some rules hold for every dataset and are not written in the files: ``load_checked_suite`` adds them
for the contract's columns (see ``contract_rules``), so a new dataset gets them too.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from huiliu.contracts.model import RESERVED_COLUMNS, DatasetContract
from huiliu.errors import ContractProblem, SuiteError
from huiliu.quality.custom_types import CUSTOM_EXPECTATION_TYPES
from huiliu.settings import Settings, get_settings

if TYPE_CHECKING:
    import great_expectations as gx

SEVERITIES = ("critical", "warning", "info")
FORMULA_RULE = "expect_column_values_to_not_be_formula_like_text"
COLUMN_KWARGS = ("column", "column_A", "column_B")
COLUMN_LIST_KWARGS = ("column_list", "column_set")
# suite parameters the gate supplies at run time, e.g. {"$PARAMETER": "as_of"}
RUN_PARAMETERS = ("as_of", "max_record_age_days", "jurisdiction", "city_code", "id_regions")


class ExpectationEntry(TypedDict):
    """One expectation of a suite as huiliu writes it (a drafted suite, the rules every suite gets);
    ``kwargs`` are the expectation type's own."""

    type: str
    kwargs: dict[str, Any]
    severity: str
    meta: dict[str, Any]


class SuiteDraft(TypedDict):
    """A suite document as ``huiliu quality suggest`` drafts it, before an engineer reviews it."""

    name: str
    expectations: list[ExpectationEntry]
    meta: dict[str, Any]
    notes: str | None


@dataclass(frozen=True)
class SuiteDocument:
    """A parsed suite file."""

    path: Path
    body: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.body.get("name", ""))

    @property
    def expectations(self) -> list[dict[str, Any]]:
        return list(self.body.get("expectations") or [])


def suite_path(contract: DatasetContract, settings: Settings | None = None) -> Path:
    """Where the contract's suite lives: ``<expectations_dir>/<quality_suite>.json``."""
    return (settings or get_settings()).expectations_dir / f"{contract.quality_suite}.json"


def read_suite(contract: DatasetContract, settings: Settings | None = None) -> SuiteDocument:
    """Read and parse the contract's suite file.

    Raises:
        SuiteError: the file is missing, is not JSON, or is not a suite object.
    """
    path = suite_path(contract, settings)
    if not path.is_file():
        raise SuiteError(
            str(path),
            [
                f"dataset {contract.name} names quality_suite {contract.quality_suite!r} but the file "
                f"does not exist; draft one with `huiliu quality suggest {contract.name}` and review it"
            ],
        )
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SuiteError(
            str(path), [f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"]
        ) from None
    except UnicodeDecodeError:
        raise SuiteError(str(path), ["not UTF-8 text; save the suite as UTF-8 JSON"]) from None
    if not isinstance(body, dict) or not isinstance(body.get("expectations"), list):
        raise SuiteError(str(path), ['a suite is a JSON object with "name" and an "expectations" list'])
    return SuiteDocument(path, body)


@lru_cache(maxsize=1)
def known_expectation_types() -> frozenset[str]:
    """GX's core expectation types and huiliu's custom ones, found without importing GX."""
    names: set[str] = set(CUSTOM_EXPECTATION_TYPES)
    # the top-level package only: finding a submodule's spec would import its parents (GX, pandas)
    spec = importlib.util.find_spec("great_expectations")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        names.update(p.stem for p in (Path(folder) / "expectations" / "core").glob("expect_*.py"))
    return frozenset(names)


# whole-column aggregates and cross-row checks: the gate validates a batch in chunks, so these
# would be judged per chunk; uniqueness is the contract's primary key and duplicate rule
_BATCH_WIDE = frozenset(
    {
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
        "expect_multicolumn_values_to_be_unique",
        "expect_column_values_to_be_increasing",
        "expect_column_values_to_be_decreasing",
        "expect_column_values_to_not_be_outliers",
        "expect_column_value_z_scores_to_be_less_than",
        "expect_query_results_to_match_comparison",
        "unexpected_rows_expectation",
    }
)
_ROW_LEVEL_PREFIXES = (
    "expect_column_values_",
    "expect_column_value_lengths_",
    "expect_column_pair_values_",
    "expect_multicolumn_",
    "expect_select_column_values_",
    "expect_table_column",
    "expect_column_to_exist",
)


def batch_wide(kind: str) -> bool:
    """Whether an expectation type judges the whole batch at once (refused in huiliu suites)."""
    return kind in _BATCH_WIDE or not kind.startswith(_ROW_LEVEL_PREFIXES)


def _columns_named(kwargs: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for key in COLUMN_KWARGS:
        if key in kwargs:
            yield key, kwargs[key]
    for key in COLUMN_LIST_KWARGS:
        for value in kwargs.get(key) or []:
            yield key, value


# expectation types that look at the batch's column names only, never at a value
_NAMES_ONLY_PREFIXES = ("expect_table_column", "expect_column_to_exist")


def columns_looked_at(document: SuiteDocument) -> frozenset[str] | None:
    """The columns whose values the suite's expectations read; ``None`` when that cannot be told
    (a ``row_condition`` may name any column). Expectations on the column set (``expect_table_
    columns_to_match_set``, ``expect_column_to_exist`` …) only need the columns to be there."""
    names: set[str] = set()
    for item in document.expectations:
        kwargs = item.get("kwargs") or {}
        if not isinstance(kwargs, dict) or kwargs.get("row_condition"):
            return None
        if not str(item.get("type", "")).startswith(_NAMES_ONLY_PREFIXES):
            names.update(str(column) for _, column in _columns_named(kwargs))
    return frozenset(names)


def _expectation_problems(index: int, item: Any, columns: set[str]) -> list[str]:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        return [f'expectation #{index + 1} has no "type"']
    kind = item["type"]
    where = f"expectation #{index + 1} ({kind})"
    problems = []
    if kind not in known_expectation_types():
        problems.append(
            f"{where}: unknown expectation type; use a Great Expectations core type or one of huiliu's "
            "custom ones (huiliu.quality.expectations)"
        )
    elif batch_wide(kind):
        problems.append(
            f"{where}: judges the whole batch at once, but the gate validates large batches in chunks; "
            "use a row-level expectation (uniqueness is the contract's primary key and quality.duplicates)"
        )
    kwargs = item.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        return [*problems, f'{where}: "kwargs" must be an object']
    for key, column in _columns_named(kwargs):
        if column not in columns:
            problems.append(f"{where}: {key} {column!r} is not a column of the contract")
    for key, value in kwargs.items():
        name = value.get("$PARAMETER") if isinstance(value, dict) else None
        if name is not None and name not in RUN_PARAMETERS:
            problems.append(
                f"{where}: {key} asks for suite parameter {name!r}, which the gate does not supply; "
                f"use one of {', '.join(RUN_PARAMETERS)}"
            )
    mostly = kwargs.get("mostly")
    if mostly is not None and (
        isinstance(mostly, bool) or not isinstance(mostly, int | float) or not 0 <= mostly <= 1
    ):
        problems.append(f"{where}: mostly {mostly!r} must be a share between 0 and 1")
    severity = item.get("severity", "critical")
    if severity not in SEVERITIES:
        problems.append(f"{where}: severity {severity!r} must be one of {', '.join(SEVERITIES)}")
    return problems


def suite_problems(contract: DatasetContract, document: SuiteDocument) -> list[str]:
    """Everything wrong with a suite for this contract, as readable sentences (empty when fine)."""
    problems = []
    if document.name != contract.quality_suite:
        problems.append(
            f'"name" is {document.name!r} but contract {contract.name} names suite {contract.quality_suite!r}'
        )
    columns = {c.name for c in contract.columns} | set(RESERVED_COLUMNS)
    for index, item in enumerate(document.expectations):
        problems.extend(_expectation_problems(index, item, columns))
    return problems


def contract_rules(contract: DatasetContract, document: SuiteDocument) -> list[ExpectationEntry]:
    """The rules every suite gets: no text a spreadsheet would run as a formula (``warning``), on
    every text column of the contract. Data flows back to streets and communities who open it in
    Excel or WPS. A column the file already gives that rule keeps the file's entry (its severity,
    its ``mostly``)."""
    listed = {
        str((item.get("kwargs") or {}).get("column"))
        for item in document.expectations
        if isinstance(item, dict) and item.get("type") == FORMULA_RULE
    }
    return [
        {
            "type": FORMULA_RULE,
            "kwargs": {"column": column.name},
            "severity": "warning",
            "meta": {"notes": "every text column: added by huiliu to each suite"},
        }
        for column in contract.columns
        if column.type == "string" and column.name not in listed
    ]


def with_contract_rules(contract: DatasetContract, document: SuiteDocument) -> SuiteDocument:
    """The document with ``contract_rules`` appended to its expectations."""
    expectations = [*document.expectations, *contract_rules(contract, document)]
    return SuiteDocument(document.path, {**document.body, "expectations": expectations})


def load_checked_suite(contract: DatasetContract, settings: Settings | None = None) -> SuiteDocument:
    """Read the contract's suite, refuse it when it has any problem, and add ``contract_rules``.

    Raises:
        SuiteError: naming the file and every problem found.
    """
    document = read_suite(contract, settings)
    problems = suite_problems(contract, document)
    if problems:
        raise SuiteError(str(document.path), problems)
    return with_contract_rules(contract, document)


def build_gx_suite(document: SuiteDocument) -> gx.ExpectationSuite:
    """The document as a Great Expectations suite (custom expectations registered first).

    Raises:
        SuiteError: Great Expectations refuses an expectation's configuration.
    """
    import great_expectations as gx
    from great_expectations.exceptions.exceptions import GreatExpectationsError

    import huiliu.quality.expectations  # noqa: F401  (registers the custom expectation types)

    body = {k: v for k, v in document.body.items() if k in ("name", "expectations", "meta", "notes")}
    try:
        return gx.ExpectationSuite(**body)
    except (GreatExpectationsError, TypeError, ValueError) as exc:
        raise SuiteError(str(document.path), [f"Great Expectations refuses the suite: {exc}"]) from None


def write_suite(path: Path, body: Mapping[str, Any]) -> None:
    """Write a suite document as reviewed JSON (UTF-8, stable key order, two-space indent)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def suite_contract_problems(
    contracts: list[DatasetContract], settings: Settings | None = None
) -> list[ContractProblem]:
    """``ContractProblem``s for contracts whose suite is missing or broken (for ``contracts check``)."""
    problems = []
    for contract in contracts:
        try:
            build_gx_suite(load_checked_suite(contract, settings))  # GX checks each expectation's kwargs
        except SuiteError as exc:
            problems += [ContractProblem(exc.file, "quality_suite", p) for p in exc.problems]
    return problems
