"""Draft a starting suite for a dataset from its contract and a profile of landed data.

The draft is a proposal for an engineer to review, never applied automatically: required columns
must not be null or blank, identifiers and codes get huiliu's domain expectations (chosen from the
contract's declared entity types and column names), small sets of observed labels become value
sets, integer ranges become ``info`` checks, and the extraction cursor must be within the
contract's freshness window. Values that cannot be true are drafted at ``warning`` (the row goes to
quarantine): a negative amount of money, a birth date in the future or more than 130 years ago, a
person's date before their birth. Dates that must not be in the future are left to the reviewer:
the draft cannot tell an approval date from an expiry date.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from huiliu.contracts.model import ColumnSpec, DatasetContract
from huiliu.quality.suites import ExpectationEntry, SuiteDraft

MAX_SET_SIZE = 30
MIN_ROWS_FOR_SET = 50
MAX_AGE_YEARS = 130
PARAM = "$PARAMETER"


def _expectation(kind: str, severity: str = "warning", **kwargs: Any) -> ExpectationEntry:
    return {"type": kind, "kwargs": kwargs, "severity": severity, "meta": {}}


def _entity_types(contract: DatasetContract) -> dict[str, str]:
    return {p.column: p.entity_type for p in contract.personal_information}


def _mostly_id_length(values: pa.ChunkedArray | None) -> bool:
    """Whether profiled values look like resident IDs (nine in ten of them 18 characters long);
    True with no profile, when that cannot be told."""
    if values is None or not pa.types.is_string(values.type) or values.null_count == len(values):
        return True
    lengths = pc.utf8_length(pc.utf8_trim_whitespace(pc.drop_null(values)))
    share: float = pc.mean(pc.equal(lengths, 18)).as_py()
    return share >= 0.9


def _identifier_checks(
    column: ColumnSpec, entity: str | None, values: pa.ChunkedArray | None
) -> list[ExpectationEntry]:
    name = column.name
    # a column tagged as holding resident IDs may hold them inside a longer code (残疾人证号 is the
    # ID plus two digits): the ID check is drafted only where the values are IDs themselves
    if name == "id_number" or (entity == "CN_RESIDENT_ID" and _mostly_id_length(values)):
        return [
            _expectation(
                "expect_column_values_to_be_valid_cn_resident_id",
                "critical",
                column=name,
                mostly=0.9,
                as_of={PARAM: "as_of"},
                region_prefixes={PARAM: "id_regions"},
            )
        ]
    if entity == "CN_MOBILE":
        return [_expectation("expect_column_values_to_be_valid_cn_mobile", column=name)]
    if name in ("uscc", "credit_code") or entity == "CN_USCC":
        return [
            _expectation(
                "expect_column_values_to_be_valid_cn_credit_code", "critical", column=name, mostly=0.9
            )
        ]
    level = next(
        (lv for lv in ("community", "grid", "district", "street") if name.endswith(f"{lv}_code")), None
    )
    if level is not None:
        return [
            _expectation(
                "expect_column_values_to_be_valid_admin_code",
                column=name,
                jurisdiction={PARAM: "jurisdiction"},
                city_code={PARAM: "city_code"},
                level=level,
            )
        ]
    return []


def _profile_checks(column: ColumnSpec, values: pa.ChunkedArray | None) -> list[ExpectationEntry]:
    if values is None or len(values) < MIN_ROWS_FOR_SET:
        return []
    if column.type == "string":
        distinct = pc.unique(pc.drop_null(values)).to_pylist()
        labels = sorted(v for v in distinct if isinstance(v, str) and v.strip())
        if 0 < len(labels) <= MAX_SET_SIZE and len(labels) < len(values) / 10:
            return [_expectation("expect_column_values_to_be_in_set", column=column.name, value_set=labels)]
    if column.type == "integer":
        bounds = pc.min_max(values).as_py()
        if bounds["min"] is not None:
            return [
                _expectation(
                    "expect_column_values_to_be_between",
                    "info",
                    column=column.name,
                    min_value=bounds["min"],
                    max_value=bounds["max"],
                )
            ]
    return []


def _impossible_value_checks(contract: DatasetContract, column: ColumnSpec) -> list[ExpectationEntry]:
    """Values that cannot be true: money below zero, a birth date after as_of or over 130 years
    before it, a date about a person (the contract has ``id_number``) before their birth."""
    name = column.name
    if column.decimal_precision_scale is not None:
        return [_expectation("expect_column_values_to_be_between", column=name, min_value=0)]
    if name == "birth_date":
        return [
            _expectation(
                "expect_column_values_to_not_be_in_the_future",
                column=name,
                as_of={PARAM: "as_of"},
                max_age_years=MAX_AGE_YEARS,
            )
        ]
    if column.type == "date" and "id_number" in {c.name for c in contract.columns}:
        return [
            _expectation(
                "expect_column_pair_values_to_not_predate_cn_resident_id_birth",
                column_A="id_number",
                column_B=name,
            )
        ]
    return []


def _column_checks(
    contract: DatasetContract, column: ColumnSpec, values: pa.ChunkedArray | None
) -> list[ExpectationEntry]:
    checks: list[ExpectationEntry] = []
    if not column.nullable:
        required = "expect_column_values_to_not_be_blank" if column.type == "string" else None
        checks.append(_expectation(required or "expect_column_values_to_not_be_null", column=column.name))
    identifier = _identifier_checks(column, _entity_types(contract).get(column.name), values)
    checks += identifier or _profile_checks(column, values)
    checks += _impossible_value_checks(contract, column)
    if column.name == contract.extraction.cursor_column or (
        column.type == "timestamp" and column.name == "updated_at"
    ):
        checks.append(
            _expectation(
                "expect_column_values_to_be_within_freshness_window",
                column=column.name,
                as_of={PARAM: "as_of"},
                max_age_days={PARAM: "max_record_age_days"},
            )
        )
    return checks


def _consistency_checks(contract: DatasetContract) -> list[ExpectationEntry]:
    names = {c.name for c in contract.columns}
    if "id_number" not in names:
        return []
    return [
        _expectation(
            "expect_column_pair_values_to_match_cn_resident_id",
            column_A="id_number",
            column_B=column,
            part=part,
        )
        for column, part in (("birth_date", "birth_date"), ("gender", "gender"))
        if column in names
    ]


def suggest_suite(contract: DatasetContract, profile: pa.Table | None = None) -> SuiteDraft:
    """A draft suite document for ``contract``; ``profile`` is a sample of landed rows, if any."""
    available = set(profile.column_names) if profile is not None else set()
    expectations = [
        _expectation(
            "expect_table_columns_to_match_set",
            "critical",
            column_set=[c.name for c in contract.columns],
            exact_match=False,
        )
    ]
    for column in contract.columns:
        values = profile.column(column.name) if profile is not None and column.name in available else None
        expectations += _column_checks(contract, column, values)
    expectations += _consistency_checks(contract)
    return {
        "name": contract.quality_suite,
        "expectations": expectations,
        "meta": {
            "dataset": contract.name,
            "notes": "Drafted by `huiliu quality suggest` from the contract and a profile; review it.",
        },
        "notes": None,
    }
